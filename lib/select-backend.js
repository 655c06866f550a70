'use strict';
// Chooses the backend once, at load.
//
//   frame    Node's built-in AsyncLocalStorage runs on AsyncContextFrame here
//            and the native bridge loaded: frames live in V8's slot.
//   carrier  everything else: one built-in storage carries the frame.
//   builtin  only when asked for (CTXFRAME_BACKEND=builtin).
//
// CTXFRAME_BACKEND=frame|carrier|builtin overrides; `frame` where it cannot
// work, a missing native build, or an unknown value each give one warning
// with a stable code and fall back to `carrier`.

const asyncHooks = require('node:async_hooks');

const WARNING_TYPE = 'CtxframeWarning';

function warnOnce(code, message) {
  const flag = Symbol.for(`ctxframe.warned.${code}`);
  if (process[flag]) return;
  Object.defineProperty(process, flag, { value: true });
  process.emitWarning(message, { type: WARNING_TYPE, code });
}

// Does Node run AsyncLocalStorage on AsyncContextFrame in this process? Asked
// of the runtime itself, not guessed from versions or flags: with a token in
// the slot, an AsyncResource must capture it and hand it back to its callback.
// It uses no built-in storage (a built-in run() would switch async_hooks on
// and off and change what a later enterWith leaks).
function runtimeUsesFrames(slot) {
  // Node decides whether its frames are active the first time this is read;
  // until then its timers and immediates ignore the slot.
  void asyncHooks.AsyncLocalStorage;
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
  if (requested === 'builtin') return { name: 'builtin', slot: null };

  if (requested !== '' && requested !== 'auto' && requested !== 'frame' &&
      requested !== 'carrier') {
    warnOnce('CTXFRAME_INVALID_BACKEND',
      `CTXFRAME_BACKEND=${JSON.stringify(env.CTXFRAME_BACKEND)} is not one of ` +
      'frame, carrier, builtin, auto; choosing automatically.');
  }
  if (requested === 'carrier') return { name: 'carrier', slot: null };

  const native = require('./native');
  if (native.binding === null) {
    warnOnce('CTXFRAME_NATIVE_UNAVAILABLE',
      'ctxframe: the native bridge for this Node.js ' +
      `(${process.version}, ABI ${process.versions.modules}) could not be loaded ` +
      `(${native.loadError && native.loadError.message.split('\n')[0]}); running on the ` +
      'carrier backend, which is correct everywhere but, where Node runs AsyncLocalStorage ' +
      'on AsyncContextFrame, slower than the frame backend. Fix: npm rebuild ctxframe ' +
      '(needs a C/C++ toolchain). Set CTXFRAME_BACKEND=carrier to silence this.');
    return { name: 'carrier', slot: null };
  }

  const slot = native.continuation;
  if (runtimeUsesFrames(slot)) return { name: 'frame', slot };
  if (requested === 'frame') {
    warnOnce('CTXFRAME_FRAME_UNAVAILABLE',
      `ctxframe: CTXFRAME_BACKEND=frame needs a Node.js whose AsyncLocalStorage runs on ` +
      `AsyncContextFrame (Node >= 24, or 22 with --experimental-async-context-frame); ` +
      `${process.version} here does not. Running on the carrier backend.`);
  }
  return { name: 'carrier', slot: null };
}

module.exports = { selectBackend, warnOnce };
