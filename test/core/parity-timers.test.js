'use strict';
// Parity of timers: each scenario of scenarios/timers.js runs on the built-in and on ctxframe.
const path = require('node:path');
const { describeParity } = require('../support/parity.js');

describeParity('core parity: timers', path.join(__dirname, 'scenarios', 'timers.js'));
