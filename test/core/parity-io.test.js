'use strict';
// Parity of I/O (fs, net, http, keep-alive agent, dgram, zlib, crypto, dns, streams): each scenario
// of scenarios/io.js runs on the built-in and on ctxframe.
const path = require('node:path');
const { describeParity } = require('../support/parity.js');

describeParity('core parity: io', path.join(__dirname, 'scenarios', 'io.js'));
