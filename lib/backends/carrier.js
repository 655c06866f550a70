'use strict';
// The `carrier` backend: for runtimes whose built-in AsyncLocalStorage runs on
// async_hooks (Node 20, Node 22 by default, Node 24 with --no-async-context-frame).
//
// One internal built-in AsyncLocalStorage -- the carrier -- holds the current
// frame, so async_hooks propagates one value however many ctxframe storages
// exist, and everything Node integrates with async_hooks (timers, I/O,
// AsyncResource, diagnostics_channel, napi_make_callback) keeps working.
// Semantics follow Node's lib/internal/async_local_storage/async_hooks.js,
// including enable/disable: a disabled storage reads as its default, and
// frames made while it is disabled do not carry it.

const {
  AsyncLocalStorage: BuiltinAsyncLocalStorage,
  executionAsyncResource,
} = require('node:async_hooks');
const { ObjectIs, ReflectApply, SafeMap } = require('../primordials');
const {
  createKey, isLiveKey, entriesWith, entriesWithout, entriesWithEntryOf,
} = require('../frame');
const { validateOptions, RunScope, bind, snapshot } = require('../storage-common');

// Where the carrier keeps its value on an async resource. Node 20 and 22 put
// it on the resource itself, Node 24 --no-async-context-frame in a holder
// object under an internal symbol. Found by looking, once, so that run() and
// getStore() cost one executionAsyncResource() each, as the built-in's do.
function locateCarrierStore(carrier) {
  let key = carrier.kResourceStore;
  const resource = executionAsyncResource();
  const prior = carrier.getStore();
  const probe = { ctxframeProbe: true };
  carrier.enterWith(probe);
  let holder = null;
  if (resource[key] !== probe) {
    for (const symbol of Object.getOwnPropertySymbols(resource)) {
      const value = resource[symbol];
      if (value !== null && typeof value === 'object' && value[key] === probe) {
        holder = symbol;
        break;
      }
    }
    if (holder === null) key = null;
  }
  carrier.enterWith(prior);
  return { key, holder };
}

function createCarrierBackend() {
  // Created on first write: a built-in storage switches Node's async_hooks on
  // (and on Node 24 --no-async-context-frame already in its constructor), which
  // a process that never enters a ctxframe context should not pay for.
  let carrier = null;
  // How to reach the carrier's value on a resource (see locateCarrierStore):
  // OWN_PROPERTY resource[storeKey]; IN_HOLDER resource[holderKey][storeKey];
  // PUBLIC_API carrier.getStore()/enterWith() for a layout we do not know.
  // Before the carrier starts, storeKey is a symbol nothing is stored under.
  const OWN_PROPERTY = 0;
  const IN_HOLDER = 1;
  const PUBLIC_API = 2;
  let layout = OWN_PROPERTY;
  let storeKey = Symbol('ctxframe.carrier.notStarted');
  let holderKey = null;

  function readFrame(resource) {
    if (layout === OWN_PROPERTY) return resource[storeKey];
    if (layout === IN_HOLDER) {
      const holder = resource[holderKey];
      return holder === undefined ? undefined : holder[storeKey];
    }
    return carrier.getStore();
  }

  function writeFrame(resource, frame) {
    if (layout === OWN_PROPERTY) {
      resource[storeKey] = frame;
    } else if (layout === IN_HOLDER && resource[holderKey] !== undefined) {
      resource[holderKey][storeKey] = frame;
    } else {
      carrier.enterWith(frame); // also creates the holder on this resource
    }
  }

  function startCarrier() {
    carrier = new BuiltinAsyncLocalStorage();
    const { key, holder } = locateCarrierStore(carrier);
    if (key === null) {
      layout = PUBLIC_API;
    } else {
      storeKey = key;
      holderKey = holder;
      layout = holder === null ? OWN_PROPERTY : IN_HOLDER;
    }
  }

  // Keys of storages that are disabled now: new frames leave them out.
  const disabledKeys = new SafeMap();
  let anyDisabled = false; // disabledKeys.size !== 0, read on every new frame
  const strip = (frame) => {
    for (const key of disabledKeys.keys()) {
      if (!isLiveKey(key)) { // its storage was collected: nothing reads it
        disabledKeys.delete(key);
        anyDisabled = disabledKeys.size !== 0;
        continue;
      }
      const index = key.slot << 1;
      if (frame[index] === key) {
        frame[index] = undefined;
        frame[index + 1] = undefined;
      }
    }
    return frame;
  };
  const withStore = (frame, key, store) => {
    const next = entriesWith(frame, key, store);
    return anyDisabled ? strip(next) : next;
  };

  class AsyncLocalStorage {
    #key;
    #index;
    #enabled = true;
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

    #storeIn(frame) {
      if (this.#enabled && frame !== undefined) {
        const index = this.#index;
        if (frame[index] === this.#key) return frame[index + 1];
      }
      return this.#defaultValue;
    }

    getStore() {
      if (this.#enabled) {
        const frame = readFrame(executionAsyncResource());
        if (frame !== undefined) {
          const index = this.#index;
          if (frame[index] === this.#key) return frame[index + 1];
        }
      }
      return this.#defaultValue;
    }

    // The built-in's run() puts back the store it read, so a storage that was
    // absent before run() is present afterwards, holding undefined: from then
    // on it reads undefined, not its defaultValue (Node 24's async_hooks
    // storage). Without a defaultValue the two read the same.
    #restored(outer) {
      if (this.#defaultValue === undefined ||
          (outer !== undefined && outer[this.#index] === this.#key)) {
        return outer;
      }
      return entriesWith(outer, this.#key, undefined);
    }

    #enable() {
      if (!this.#enabled) {
        this.#enabled = true;
        disabledKeys.delete(this.#key);
        anyDisabled = disabledKeys.size !== 0;
      }
    }

    enterWith(store) {
      this.#enable();
      if (carrier === null) startCarrier();
      const resource = executionAsyncResource();
      writeFrame(resource, withStore(readFrame(resource), this.#key, store));
    }

    run(store, fn, ...args) {
      if (carrier === null) startCarrier();
      const resource = executionAsyncResource();
      const outer = readFrame(resource);
      if (ObjectIs(store, this.#storeIn(outer))) return ReflectApply(fn, null, args);
      if (!this.#enabled) this.#enable();
      const inner = withStore(outer, this.#key, store);
      writeFrame(resource, inner);
      try {
        return ReflectApply(fn, null, args);
      } finally {
        // Restore our own entry only: what fn entered for others stays.
        const now = readFrame(resource);
        if (now === inner && this.#defaultValue === undefined) writeFrame(resource, outer);
        else this.#restore(resource, now, inner, outer);
      }
    }

    // run()'s way back when fn changed the frame, or a defaultValue makes
    // presence visible (see #restored).
    #restore(resource, now, inner, outer) {
      const restored = this.#restored(outer);
      writeFrame(resource, now === inner ? restored :
        entriesWithEntryOf(now, this.#key, restored));
    }

    exit(fn, ...args) {
      if (!this.#enabled) return ReflectApply(fn, null, args);
      this.disable();
      // The built-in stops propagating a disabled storage, so async work
      // created inside fn must not carry it: run fn in a frame without it.
      const resource = executionAsyncResource();
      const outer = readFrame(resource);
      const inner = outer === undefined ? undefined : entriesWithout(outer, this.#key);
      if (inner !== undefined) writeFrame(resource, inner);
      try {
        return ReflectApply(fn, null, args);
      } finally {
        if (inner !== undefined) {
          const now = readFrame(resource);
          if (now === inner) {
            writeFrame(resource, outer);
          } else if (now === undefined || now[this.#index] !== this.#key) {
            writeFrame(resource, entriesWithEntryOf(now, this.#key, outer));
          } // else fn entered this storage itself: that stays, as with the built-in.
        }
        this.#enable();
      }
    }

    disable() {
      if (this.#enabled) {
        this.#enabled = false;
        disabledKeys.set(this.#key, true);
        anyDisabled = true;
      }
    }

    withScope(store) {
      return new RunScope(this, store);
    }
  }

  return AsyncLocalStorage;
}

module.exports = { createCarrierBackend };
