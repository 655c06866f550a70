'use strict';
// Parity of the synchronous API (run/exit/enterWith/disable/bind/snapshot/defaultValue/name/
// withScope): each scenario of scenarios/basics.js runs on the built-in and on ctxframe.
const path = require('node:path');
const { describeParity } = require('../support/parity.js');

describeParity('core parity: basics', path.join(__dirname, 'scenarios', 'basics.js'));
