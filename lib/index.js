'use strict';
// ctxframe: AsyncLocalStorage that costs less than the built-in and behaves
// exactly like the built-in of the running Node. The backend is chosen once,
// here (lib/select-backend.js says how); each backend is one class in
// lib/backends/. The design: docs/design.md.

const { selectBackend } = require('./select-backend');

const selected = selectBackend();
const backend = selected.name;
// Which way the frame backend reaches the continuation: 'native' (the bridge) or 'js' (Node's
// public API, where the native part is missing); null on the other backends.
const continuation = selected.continuation;

const AsyncLocalStorage =
  continuation === 'js' ? require('./backends/frame-js') :
  backend === 'frame' ? require('./backends/frame') :
  backend === 'carrier' ? require('./backends/carrier') :
  require('./backends/builtin');

module.exports = { AsyncLocalStorage, backend, continuation };
