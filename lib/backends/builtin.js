'use strict';
// The `builtin` backend (CTXFRAME_BACKEND=builtin): the running Node's own
// AsyncLocalStorage, untouched, for comparing or backing out without code
// changes. Its API is the runtime's (Node 20 and 22 lack defaultValue, name
// and withScope).

module.exports = require('node:async_hooks').AsyncLocalStorage;
