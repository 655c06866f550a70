'use strict';
// Owns: a deliberately wrong AsyncLocalStorage (synchronous only: nothing propagates into
// timers, promises or I/O) used by test/core/harness.test.js to prove the parity harness
// catches a broken implementation. Never used by ctxframe itself.

class NaiveAsyncLocalStorage {
  #store;
  #has = false;
  static bind(fn) { return fn; }
  static snapshot() { return (fn, ...args) => fn(...args); }
  get name() { return ''; }
  run(store, fn, ...args) {
    const prev = [this.#has, this.#store];
    this.#has = true;
    this.#store = store;
    try { return fn(...args); } finally { [this.#has, this.#store] = prev; }
  }
  exit(fn, ...args) { return this.run(undefined, fn, ...args); }
  enterWith(store) { this.#has = true; this.#store = store; }
  getStore() { return this.#has ? this.#store : undefined; }
  disable() { this.#has = false; this.#store = undefined; }
}

module.exports = { NaiveAsyncLocalStorage };
