'use strict';
// The `frame` backend without its native part: the same frames in the same continuation, reached
// through Node's public API (lib/js-continuation.js says how) instead of the native bridge. Chosen
// when the native part is missing or does not load on an AsyncContextFrame runtime and the probe
// in lib/js-continuation.js passed. Semantics follow Node's own
// lib/internal/async_local_storage/async_context_frame.js, as lib/backends/frame.js does.

const { ObjectIs, ReflectApply, applyNotCallable } = require('../primordials');
const { createKey } = require('../frame/keys');
const { storeInFrame, frameWith } = require('../frame/frame');
const { parseOptions, RunScope, bind, snapshot, overridesRun, runThroughOverrides } = require('../storage-api');
const js = require('../js-continuation');

const ArrayPrototypeSlice = Array.prototype.slice;
const kNoArgs = Object.freeze([]);

const { current, read, outerFrame, Holder, body, persist, enterFrame, disableIn } = js;
const { kEntries } = require('../frame/frame');
const { storeIn } = require('../frame/entries');

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
    // The reader's answer: one of our frames, a Stale holding one, or nothing.
    const value = read();
    if (value === undefined) return this.#defaultValue;
    const entries = value[kEntries];
    return storeIn(entries === undefined ? value.frame[kEntries] : entries, this.#key, this.#defaultValue);
  }

  enterWith(store) {
    enterFrame(frameWith(current(), this.#key, store));
  }

  // `arguments` instead of a rest parameter: a run(store, fn) allocates no array for fn's.
  run(store, fn) {
    const args = arguments.length > 2 ? ReflectApply(ArrayPrototypeSlice, arguments, [2]) : kNoArgs;
    if (overridesRun(this, getStore, enterWith)) return runThroughOverrides(this, store, fn, args);
    if (typeof fn !== 'function') return applyNotCallable(fn, args);
    const holder = this.#holderFor(store, fn, args);
    if (holder === null) return ReflectApply(fn, null, args);
    // fn runs in the holder's frame; the holder puts the caller's back (js-continuation.js).
    try {
      return holder.enter(body, holder);
    } finally {
      if (holder.next !== undefined) persist(holder.next);
    }
  }

  // The holder of run()'s new frame, or null when the store is already this one. Apart from
  // run(): the frames a deep recursion of run()s keeps on the stack stay small.
  #holderFor(store, fn, args) {
    const outer = outerFrame();
    const key = this.#key;
    const prior = storeInFrame(outer, key, this.#defaultValue);
    if (ObjectIs(prior, store)) return null;
    return new Holder(frameWith(outer, key, store), key, prior, fn, args);
  }

  exit(fn, ...args) {
    return this.run(undefined, fn, ...args);
  }

  // As the built-in: delete from the current frame, in place.
  disable() {
    disableIn(this.#key);
  }

  withScope(store) {
    return new RunScope(this, store);
  }
}

// run() goes through overridden getStore/enterWith as the built-in's does (storage-api.js).
const { getStore, enterWith } = AsyncLocalStorage.prototype;

module.exports = AsyncLocalStorage;
