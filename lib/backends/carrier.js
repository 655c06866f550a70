'use strict';
// The `carrier` backend: for runtimes whose built-in AsyncLocalStorage runs on
// async_hooks (Node 20, Node 22 by default, Node 24 with --no-async-context-frame).
//
// One internal built-in AsyncLocalStorage -- the carrier (carrier-store.js) --
// holds the current entries, so async_hooks propagates one value however many
// ctxframe storages exist, and everything Node integrates with async_hooks
// (timers, I/O, AsyncResource, diagnostics_channel, napi_make_callback) keeps
// working. Semantics follow Node's lib/internal/async_local_storage/async_hooks.js,
// including enable/disable: a disabled storage reads as its default, and
// entries made while it is disabled do not carry it.

const { executionAsyncResource } = require('node:async_hooks');
const { ObjectIs, ReflectApply, applyNotCallable } = require('../primordials');
const { createKey, setDisabled, anyDisabled } = require('../frame/keys');
const {
  indexOf, storeIn, hasEntry, entriesWithAt, entriesWith, entriesWithStore, entriesWithout,
  entriesWithEntryOf,
} = require('../frame/entries');
const { carrier } = require('../carrier-store');
const { parseOptions, RunScope, bind, snapshot, kObservingGetStore } = require('../storage-api');

class AsyncLocalStorage {
  #key;
  #enabled = true;
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

  #storeIn(entries) {
    return this.#enabled ? storeIn(entries, this.#key, this.#defaultValue) : this.#defaultValue;
  }

  getStore() {
    return this.#storeIn(carrier.read(executionAsyncResource()));
  }

  // The built-in's run() puts back the store it read, so a storage that was
  // absent before run() is present afterwards, holding undefined: from then
  // on it reads undefined, not its defaultValue (Node 24's async_hooks
  // storage). Without a defaultValue the two read the same.
  #restored(outer) {
    if (this.#defaultValue === undefined || hasEntry(outer, this.#key)) return outer;
    return entriesWith(outer, this.#key, undefined);
  }

  #enable() {
    if (!this.#enabled) {
      setDisabled(this.#key, false); // first: a call stopped before it changes nothing
      this.#enabled = true;
    }
  }

  enterWith(store) {
    this.#enable();
    const resource = carrier.resource();
    carrier.write(resource, entriesWithStore(carrier.read(resource), this.#key, store));
  }

  run(store, fn, ...args) {
    // As the built-in, whose run() asks this.getStore() whether the store is
    // already current: a subclass's or an instance's getStore() decides
    // (ctxframe/doctor's observing wrapper excepted: kObservingGetStore).
    const ownGetStore = this.getStore;
    const overridden = ownGetStore !== getStore && ownGetStore[kObservingGetStore] !== true;
    if (overridden && ObjectIs(store, this.getStore())) return ReflectApply(fn, null, args);
    if (typeof fn !== 'function') return applyNotCallable(fn, args);
    const resource = carrier.resource();
    const outer = carrier.read(resource);
    const key = this.#key;
    // One scan finds our pair, for the early return and for the copy.
    const at = outer === undefined ? -1 : indexOf(outer, key);
    const prior = at === -1 || !this.#enabled ? this.#defaultValue : outer[at + 1];
    if (ObjectIs(store, prior) && !overridden) return ReflectApply(fn, null, args);
    if (!this.#enabled) this.#enable();
    const inner = entriesWithAt(outer, at, key, store, anyDisabled());
    if (carrier.viaApi) return this.#viaApi(outer, inner, false, fn, args);
    carrier.write(resource, inner);
    try {
      return ReflectApply(fn, null, args);
    } finally {
      // Restore our own entry only: what fn entered for others stays.
      const now = carrier.read(resource);
      if (now === inner && this.#defaultValue === undefined) carrier.write(resource, outer);
      else this.#restore(resource, now, inner, outer);
    }
  }

  // run() and exit() where the carrier's value is reached only through the built-in's API (Deno):
  // fn runs in `inner` through the built-in's own run(), which switches and puts the caller's value
  // back itself, so no call of ours stands between fn and the restore, where an exhausted stack
  // could stop it (and no frame of ours more than the other path's: Deno's stack holds 1,000
  // nested run()s with little to spare). Only when fn wrote the carrier (an enterWith of any
  // storage) is the value read before the built-in restores, to keep what fn entered for others,
  // with this storage's entry from `outer`, or (`exiting`) the one fn entered for it itself.
  #viaApi(outer, inner, exiting, fn, args) {
    const base = exiting ? outer : this.#restored(outer);
    if (base !== outer) carrier.write(undefined, base); // what the built-in puts back
    const writes = carrier.writes;
    let now = inner;
    try {
      return carrier.builtin.run(inner, () => {
        try {
          return ReflectApply(fn, null, args);
        } finally {
          if (carrier.writes !== writes) now = carrier.read();
        }
      });
    } finally {
      if (now !== inner) {
        const key = this.#key;
        carrier.write(undefined, exiting && hasEntry(now, key) ? now : entriesWithEntryOf(now, key, base));
      }
    }
  }

  // run()'s way back when fn changed the entries, or a defaultValue makes
  // presence visible (see #restored).
  #restore(resource, now, inner, outer) {
    const restored = this.#restored(outer);
    carrier.write(resource, now === inner ? restored :
      entriesWithEntryOf(now, this.#key, restored));
  }

  // As the built-in's exit(): disabled while fn runs, enabled again after. The entries without
  // this storage are made before it is disabled, so a call stopped there changes nothing. The way
  // back still makes calls (enable, read, write): a stack exhausted inside fn can stop them, and
  // then a level of a nested exit() recursion reads a wrong store, depending on the V8 tier
  // running this (the built-in's own exit() on Node 20 and 22 can stay disabled for good then).
  exit(fn, ...args) {
    if (typeof fn !== 'function') return applyNotCallable(fn, args);
    if (!this.#enabled) return ReflectApply(fn, null, args);
    // The built-in stops propagating a disabled storage, so async work
    // created inside fn must not carry it: run fn in entries without it.
    const key = this.#key;
    const resource = executionAsyncResource();
    const outer = carrier.read(resource);
    const inner = outer === undefined ? undefined : entriesWithout(outer, key);
    this.disable();
    if (inner !== undefined && carrier.viaApi) {
      try {
        return this.#viaApi(outer, inner, true, fn, args);
      } finally {
        this.#enable();
      }
    }
    try {
      if (inner !== undefined) carrier.write(resource, inner);
      return ReflectApply(fn, null, args);
    } finally {
      this.#enable();
      if (inner !== undefined) {
        const now = carrier.read(resource);
        if (now === inner) {
          carrier.write(resource, outer);
        } else if (!hasEntry(now, key)) {
          carrier.write(resource, entriesWithEntryOf(now, key, outer));
        } // else fn entered this storage itself: that stays, as with the built-in.
      }
    }
  }

  disable() {
    if (this.#enabled) {
      setDisabled(this.#key, true); // first: a call stopped before it changes nothing
      this.#enabled = false;
    }
  }

  withScope(store) {
    return new RunScope(this, store);
  }
}

const { getStore } = AsyncLocalStorage.prototype;

module.exports = AsyncLocalStorage;
