'use strict';
// The `frame` backend: for runtimes whose built-in AsyncLocalStorage runs on
// AsyncContextFrame (Node >= 24, Node 22 with --experimental-async-context-frame).
//
// The current frame lives in V8's continuation-preserved embedder data, the
// slot V8 and Node already save and restore around every promise reaction,
// timer, immediate, nextTick, I/O callback and AsyncResource. ctxframe only
// reads and writes it; propagation costs nothing extra. Semantics follow
// Node's own lib/internal/async_local_storage/async_context_frame.js.

const { ObjectIs, ReflectApply } = require('../primordials');
const { kEntries, createKey, frameWith, restored } = require('../frame');
const { validateOptions, RunScope, bind, snapshot } = require('../storage-common');

function createFrameBackend(slot) {
  // V8's own slot built-ins when the extras binding has them (inlined by
  // TurboFan), the bridge's V8 callbacks otherwise.
  const current = slot.get;
  const setCurrent = slot.set;

  class AsyncLocalStorage {
    #key;
    #index;
    #defaultValue = undefined;
    #name = undefined;

    constructor(options = {}) {
      validateOptions(options);
      this.#defaultValue = options.defaultValue;
      if (options.name !== undefined) this.#name = `${options.name}`;
      this.#key = createKey(this, this.#name);
      this.#index = this.#key.slot << 1;
    }

    get name() { return this.#name || ''; }

    static bind(fn) { return bind(fn); }
    static snapshot() { return snapshot(); }

    getStore() {
      const frame = current();
      if (frame !== undefined) {
        const entries = frame[kEntries];
        if (entries !== undefined) {
          const index = this.#index;
          if (entries[index] === this.#key) return entries[index + 1];
        } else if (frame.has(this.#key)) {
          return frame.get(this.#key);
        }
      }
      return this.#defaultValue;
    }

    enterWith(store) {
      setCurrent(frameWith(current(), this.#key, store));
    }

    run(store, fn, ...args) {
      const outer = current();
      const key = this.#key;
      let prior = this.#defaultValue;
      if (outer !== undefined) {
        const entries = outer[kEntries];
        if (entries !== undefined) {
          if (entries[this.#index] === key) prior = entries[this.#index + 1];
        } else if (outer.has(key)) {
          prior = outer.get(key);
        }
      }
      if (ObjectIs(prior, store)) return ReflectApply(fn, null, args);
      const inner = frameWith(outer, key, store);
      const innerEntries = inner[kEntries];
      setCurrent(inner);
      try {
        return ReflectApply(fn, null, args);
      } finally {
        // As the built-in: a new frame, the current one with our storage set
        // back; what fn entered (or disabled) for others stays. When fn left
        // the frame as it was, that is `outer`'s contents in a new object.
        const now = current();
        setCurrent(now === inner && inner[kEntries] === innerEntries &&
                   (outer === undefined || outer[kEntries] !== undefined) ?
          restored(outer) :
          frameWith(now, key, prior));
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

  return AsyncLocalStorage;
}

module.exports = { createFrameBackend };
