'use strict';
// Owns: the one place tests reach inside ctxframe's lib/ (the native loader, the frame's keys
// and entries, the carrier, the error-code registry, the entries the running backend made current). Everything else in the tests goes through the package's public names
// (`require('ctxframe')`, `require('ctxframe/register')`, ...). When a file under lib/ moves,
// this table is the only test code that changes.
//
//   const { internal } = require('../support/internals.js');
//   internal('native')                 // lib/native.js of this checkout
//   internal('native', '/tmp/copy')    // ... of a copy of the package (fallback tests)

const path = require('node:path');
const { executionAsyncResource } = require('node:async_hooks');

const ROOT = path.resolve(__dirname, '..', '..');

const PATHS = {
  native: 'lib/native.js', // { binding, continuation, loadError, path }
  keys: 'lib/frame/keys.js', // StorageKey, createKey, isLiveKey
  entries: 'lib/frame/entries.js', // the entries arithmetic
  frame: 'lib/frame/frame.js', // the Frame class (frame backend)
  jsContinuation: 'lib/js-continuation.js', // the frame backend without native code: current()
  carrierStore: 'lib/carrier-store.js', // the carrier and its layouts (carrier backend)
  errors: 'lib/errors.js', // CODES, the registry docs/errors.md is checked against
};

function internalPath(name, root = ROOT) {
  const file = PATHS[name];
  if (file === undefined) throw new Error(`no internal module "${name}" (known: ${Object.keys(PATHS).join(', ')})`);
  return path.join(root, file);
}

function internal(name, root = ROOT) {
  return require(internalPath(name, root));
}

// [key, store, key, store, ...] that ctxframe's running backend made current (the frame in the
// continuation on `frame`, the carrier's value on `carrier`); [] when there is none.
function currentEntries() {
  const { backend, continuation } = require('ctxframe');
  if (backend === 'frame') {
    const frame = continuation === 'js' ? internal('jsContinuation').current() :
      internal('native').continuation.get();
    return (frame && frame[internal('frame').kEntries]) || [];
  }
  return internal('carrierStore').carrier.read(executionAsyncResource()) || [];
}

module.exports = { internal, internalPath, currentEntries };
