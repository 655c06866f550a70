'use strict';
// The `frame` backend: for runtimes whose built-in AsyncLocalStorage runs on
// AsyncContextFrame (Node >= 24, Node 22 with --experimental-async-context-frame).
//
// The current frame lives in the continuation (V8's continuation-preserved
// embedder data), which V8 and Node already save and restore around every
// promise reaction, timer, immediate, nextTick, I/O callback and
// AsyncResource. ctxframe only reads and writes it; propagation costs nothing
// extra. Semantics follow Node's own
// lib/internal/async_local_storage/async_context_frame.js.

const { ObjectIs, ReflectApply, applyNotCallable } = require('../primordials');
const { createKey } = require('../frame/keys');
const { kEntries, storeInFrame, frameWith, restored } = require('../frame/frame');
const { parseOptions, RunScope, bind, snapshot, overridesRun, runThroughOverrides } = require('../storage-api');

// V8's own continuation built-ins when the extras binding has them (inlined by
// TurboFan), the bridge's V8 callbacks otherwise.
const { get: current, set: setCurrent } = require('../native').continuation;

class AsyncLocalStorage {
  #key;
  #defaultValue;
  #name;

  constructor(options = {}) {
    const { defaultValue, name } = parseOptions(options);
    this.#defaultValue = defaultValue;
    this.#name = name;
    this.#key = createKey(this, name);
  }

  get name() { return this.#name || ''; }

  static bind(fn) { return bind(fn); }
  static snapshot() { return snapshot(); }

  getStore() {
    return storeInFrame(current(), this.#key, this.#defaultValue);
  }

  enterWith(store) {
    setCurrent(frameWith(current(), this.#key, store));
  }

  run(store, fn, ...args) {
    if (overridesRun(this, getStore, enterWith)) return runThroughOverrides(this, store, fn, args);
    if (typeof fn !== 'function') return applyNotCallable(fn, args);
    const outer = current();
    const key = this.#key;
    const prior = storeInFrame(outer, key, this.#defaultValue);
    if (ObjectIs(prior, store)) return ReflectApply(fn, null, args);
    const inner = frameWith(outer, key, store);
    const innerEntries = inner[kEntries];
    // What to put back, made before fn runs: `finally` may run with the stack
    // exhausted, where making a frame (an allocation, a call) throws before
    // the continuation is set back. Not `outer` itself when it is ours: the
    // built-in's disable() changes the current frame object in place and
    // must not reach continuations that captured `outer`.
    const ours = outer === undefined || outer[kEntries] !== undefined;
    const back = ours ? restored(outer) : outer;
    setCurrent(inner);
    try {
      return ReflectApply(fn, null, args);
    } finally {
      // As the built-in: the current frame with our storage set back; what
      // fn entered (or disabled) for others stays. When fn left the frame as
      // it was, that is `back`; if making the other one throws, `back` too.
      let next = back;
      try {
        const now = current();
        if (now !== inner || inner[kEntries] !== innerEntries || !ours) {
          next = frameWith(now, key, prior);
        }
      } finally {
        setCurrent(next);
      }
    }
  }

  exit(fn, ...args) {
    return this.run(undefined, fn, ...args);
  }

  // As the built-in: delete from the current frame, in place.
  disable() {
    const frame = current();
    if (frame !== undefined && frame !== null) frame.disable(this.#key);
  }

  withScope(store) {
    return new RunScope(this, store);
  }
}

// run() goes through overridden getStore/enterWith as the built-in's does (storage-api.js).
const { getStore, enterWith } = AsyncLocalStorage.prototype;

module.exports = AsyncLocalStorage;
