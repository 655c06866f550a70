'use strict';
// Chooses the backend once, at load.
//
//   frame    Node's built-in AsyncLocalStorage runs on AsyncContextFrame here:
//            frames live in V8's slot, reached through the native bridge
//            (continuation 'native') or, where it is missing or does not load,
//            through Node's public API (continuation 'js', lib/js-continuation.js).
//   carrier  everything else: one built-in storage carries the frame.
//   builtin  only when asked for (CTXFRAME_BACKEND=builtin).
//
// The native part is loaded only on AsyncContextFrame runtimes (Node 24+, 22
// with --experimental-async-context-frame): elsewhere `carrier` is the only
// possible backend, so nothing is loaded and nothing is said. Where it is
// missing, one warning per process (not per thread) says which case it is,
// what runs instead and what that costs, and the fix. CTXFRAME_BACKEND=frame|carrier|
// builtin overrides; `frame` where it cannot work or an unknown value each give
// one warning with a stable code and fall back to `carrier`.

const asyncHooks = require('node:async_hooks');

// lib/errors.js is loaded only when there is something to say: every module
// loaded stays in the heap for the life of the process (docs/design.md).
function warnOnce(code, message) {
  require('./errors').warnOnce(code, message);
}

// Does Node run AsyncLocalStorage on AsyncContextFrame in this process? Asked
// of the runtime without native code: an AsyncResource keeps the frame it will
// restore in an own `context_frame` symbol property (Node 22+, whatever the
// mode); with our own frame there, a built-in storage sees it inside
// runInAsyncScope() only if Node really switches frames. The probe storage is
// disabled afterwards: Node 24's async_hooks storage enables itself in its
// constructor, and an enabled storage stays in Node's list, copying its store
// onto every async resource the process ever creates.
function runtimeHasFrames() {
  const { AsyncLocalStorage, AsyncResource } = asyncHooks; // Node decides its mode on this read
  const resource = new AsyncResource('CTXFRAME_PROBE', { requireManualDestroy: true });
  const key = Object.getOwnPropertySymbols(resource).find((s) => s.description === 'context_frame');
  if (key === undefined) return false; // Node 20: no AsyncContextFrame at all
  const probe = new AsyncLocalStorage();
  try {
    const marker = {};
    resource[key] = { has: (k) => k === probe, get: (k) => (k === probe ? marker : undefined) };
    return resource.runInAsyncScope(() => probe.getStore()) === marker;
  } finally {
    probe.disable();
  }
}

// The same question asked through the native slot functions (the check the
// frame backend relies on): with a token in the slot, an AsyncResource must
// capture it and hand it back to its callback.
function slotIsCarried(slot) {
  const token = { ctxframeProbe: true };
  const prior = slot.get();
  slot.set(token);
  let resource;
  try {
    resource = new asyncHooks.AsyncResource('CTXFRAME_PROBE', { requireManualDestroy: true });
  } finally {
    slot.set(prior);
  }
  let seen;
  resource.runInAsyncScope(() => { seen = slot.get(); });
  return seen === token;
}

function selectBackend(env = process.env) {
  const requested = (env.CTXFRAME_BACKEND || '').trim().toLowerCase();
  if (requested === 'builtin') return { name: 'builtin', slot: null, continuation: null };

  if (requested !== '' && requested !== 'auto' && requested !== 'frame' &&
      requested !== 'carrier') {
    warnOnce('CTXFRAME_INVALID_BACKEND',
      `CTXFRAME_BACKEND=${JSON.stringify(env.CTXFRAME_BACKEND)} is not one of ` +
      'frame, carrier, builtin, auto; choosing automatically.');
  }
  if (requested === 'carrier') return { name: 'carrier', slot: null, continuation: null };

  if (!runtimeHasFrames()) {
    if (requested === 'frame') {
      warnOnce('CTXFRAME_FRAME_UNAVAILABLE',
        'ctxframe: CTXFRAME_BACKEND=frame needs a Node.js whose AsyncLocalStorage runs on ' +
        'AsyncContextFrame (Node >= 24, or 22 with --experimental-async-context-frame); ' +
        `${process.version} here does not. Running on the carrier backend.`);
    }
    return { name: 'carrier', slot: null, continuation: null };
  }

  const native = require('./native');
  if (native.binding !== null && slotIsCarried(native.continuation)) {
    return { name: 'frame', slot: native.continuation, continuation: 'native' };
  }
  // No native part (or one whose slot Node does not carry): the same frames through Node's public
  // API, if the probe finds Node's internals as it expects them; else carrier.
  const jsFailure = require('./js-continuation').install();
  if (native.binding === null) {
    warnOnce('CTXFRAME_NATIVE_UNAVAILABLE',
      () => require('./native-warning').describe(native, undefined, jsFailure === null));
  }
  if (jsFailure === null) return { name: 'frame', slot: null, continuation: 'js' };
  return { name: 'carrier', slot: null, continuation: null };
}

module.exports = { selectBackend, warnOnce, runtimeHasFrames };
