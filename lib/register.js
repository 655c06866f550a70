'use strict';
// `node -r ctxframe/register app.js`: every module loaded afterwards that asks
// for async_hooks.AsyncLocalStorage (require('async_hooks'),
// require('node:async_hooks'), and ESM named imports of either) gets
// ctxframe's, so all of a process's storages share one frame. Storages
// created before this ran keep working beside ctxframe's.

const asyncHooks = require('node:async_hooks');
const { syncBuiltinESMExports } = require('node:module');
const ctxframe = require('./index');
const { keepForeignReaders } = require('./frame-readers');

if (ctxframe.backend !== 'builtin' &&
    asyncHooks.AsyncLocalStorage !== ctxframe.AsyncLocalStorage) {
  Object.defineProperty(asyncHooks, 'AsyncLocalStorage', {
    value: ctxframe.AsyncLocalStorage,
    writable: true,
    enumerable: true,
    configurable: true,
  });
  // ESM's view of builtins is a snapshot of their CommonJS exports: refresh it.
  syncBuiltinESMExports();
  // Profilers that read Node's own frame from V8's slot (frame-readers.js).
  keepForeignReaders(ctxframe.backend, process.env);
}

module.exports = ctxframe;

// CTXFRAME_DOCTOR=1: diagnostic mode (ctxframe/doctor), loaded only when asked for.
if (process.env.CTXFRAME_DOCTOR === '1' || process.env.CTXFRAME_DOCTOR === 'true') {
  require('./doctor/index.js');
}
