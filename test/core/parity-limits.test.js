'use strict';
// Parity at the limits (stack overflow inside nested run(), 10,000 live or disabled storages, a
// storage per request): scenarios/limits.js on both sides.
const path = require('node:path');
const { describeParity } = require('../support/parity.js');

describeParity('core parity: limits', path.join(__dirname, 'scenarios', 'limits.js'));
