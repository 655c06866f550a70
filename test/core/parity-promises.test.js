'use strict';
// Parity of promises: each scenario of scenarios/promises.js runs on the built-in and on ctxframe.
const path = require('node:path');
const { describeParity } = require('../support/parity.js');

describeParity('core parity: promises', path.join(__dirname, 'scenarios', 'promises.js'));
