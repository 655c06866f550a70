'use strict';
// Parity of what async_hooks users observe around ctxframe's API (ids, trigger ids, the execution
// resource, init events): each scenario of scenarios/async-hooks.js runs on the built-in and on
// ctxframe.
const path = require('node:path');
const { describeParity } = require('../support/parity.js');

describeParity('core parity: async_hooks', path.join(__dirname, 'scenarios', 'async-hooks.js'));
