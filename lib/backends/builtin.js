'use strict';
// The `builtin` backend (CTXFRAME_BACKEND=builtin): the running Node's own AsyncLocalStorage, for
// comparing or backing out without a code change. Switching to it changes speed only: it keeps
// ctxframe's API (Node 24's: the `defaultValue` and `name` options, `.name`, `.withScope()`, static
// bind/snapshot) on every runtime.
//
// Where the built-in has that API (Node 24 and later, in both of its modes) it is exported as it
// is. Where it lacks it (Node 20 and 22, in both of 22's modes), a thin subclass adds the missing
// members and nothing else: propagation, run(), exit(), enterWith() and disable() stay the
// built-in's own. `defaultValue` follows Node 24's built-in of the same kind:
//   - async_hooks built-in (Node 20, 22): Node 24's async_hooks getStore() exactly — the default
//     while the storage is disabled or the current resource has no store property (so after a
//     run() on a storage that had no store, it reads undefined, as on Node 24
//     --no-async-context-frame);
//   - AsyncContextFrame built-in (Node 22 --experimental-async-context-frame), or a layout not
//     recognised: the default when the frame has no entry for the storage; an explicit undefined
//     (run(undefined), exit(), enterWith(undefined)) is kept as a private marker so that it reads
//     undefined, as on Node 24.
// Options are checked as on the other backends (storage-api.js: ERR_INVALID_ARG_TYPE).

const { AsyncLocalStorage: Builtin, executionAsyncResource } = require('node:async_hooks');
const { parseOptions, RunScope } = require('../storage-api');

// Does the built-in have Node 24's API? Asked of the class, not the version. The probe storage is
// disabled after it answers (Node 24's async_hooks storage enables itself when constructed).
function hasNode24Api() {
  const proto = Builtin.prototype;
  const name = Object.getOwnPropertyDescriptor(proto, 'name');
  if (typeof proto.withScope !== 'function' || name === undefined || typeof name.get !== 'function') return false;
  const marker = {};
  const probe = new Builtin({ name: 'ctxframe-probe', defaultValue: marker });
  try {
    return probe.name === 'ctxframe-probe' && probe.getStore() === marker;
  } finally {
    probe.disable();
  }
}

// The async_hooks built-in keeps a storage's store in a per-storage symbol property of each async
// resource (`kResourceStore`) and its state in `enabled`, both own properties of the instance.
function hasAsyncHooksLayout() {
  const probe = new Builtin();
  try {
    return typeof probe.kResourceStore === 'symbol' && typeof probe.enabled === 'boolean' &&
      typeof Builtin.prototype._enable === 'function';
  } finally {
    probe.disable();
  }
}

// What an AsyncContextFrame built-in holds for "present, undefined" in a storage with a default.
const PRESENT_UNDEFINED = Object.freeze({ __proto__: null });

function subclass(asyncHooksLayout) {
  class AsyncLocalStorage extends Builtin {
    #defaultValue;
    #name;

    constructor(options = {}) {
      const { defaultValue, name } = parseOptions(options);
      super();
      this.#defaultValue = defaultValue;
      this.#name = name;
    }

    get name() { return this.#name || ''; }

    withScope(store) {
      return new RunScope(this, store);
    }

    // The three overrides below matter only for a storage with a default: without one, "no
    // store" and "undefined" read the same and the built-in's methods answer as they are.
    getStore() {
      if (this.#defaultValue === undefined) return super.getStore();
      if (asyncHooksLayout) {
        if (!this.enabled) return this.#defaultValue;
        const resource = executionAsyncResource();
        return this.kResourceStore in resource ? resource[this.kResourceStore] : this.#defaultValue;
      }
      const store = super.getStore();
      return store === undefined ? this.#defaultValue : store === PRESENT_UNDEFINED ? undefined : store;
    }

    enterWith(store) {
      super.enterWith(this.#mark(store));
    }

    run(store, fn, ...args) {
      return super.run(this.#mark(store), fn, ...args);
    }

    #mark(store) {
      return store === undefined && !asyncHooksLayout && this.#defaultValue !== undefined ?
        PRESENT_UNDEFINED : store;
    }
  }
  if (asyncHooksLayout) {
    // The async_hooks built-in's own run() and enterWith() already keep "present, undefined"
    // apart from "no store" (the property is there): no marking, no extra call on the hot path.
    delete AsyncLocalStorage.prototype.run;
    delete AsyncLocalStorage.prototype.enterWith;
  }
  return AsyncLocalStorage;
}

module.exports = hasNode24Api() ? Builtin : subclass(hasAsyncHooksLayout());
