'use strict';
// ctxframe: AsyncLocalStorage that costs less than the built-in and behaves
// exactly like the built-in of the running Node. The backend is chosen once,
// here; see lib/select-backend.js and docs/design.md.

const { selectBackend } = require('./select-backend');

const { name: backend, slot } = selectBackend();

let AsyncLocalStorage;
if (backend === 'frame') {
  AsyncLocalStorage = require('./backends/frame').createFrameBackend(slot);
} else if (backend === 'carrier') {
  AsyncLocalStorage = require('./backends/carrier').createCarrierBackend();
} else {
  AsyncLocalStorage = require('./backends/builtin').AsyncLocalStorage;
}

module.exports = { AsyncLocalStorage, backend };
