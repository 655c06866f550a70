'use strict';
// TEMPORARY bootstrap: delegates to the built-in until the frame/carrier backends land.
const { AsyncLocalStorage } = require('node:async_hooks');
module.exports = { AsyncLocalStorage, backend: 'builtin' };
