'use strict';
// What every ctxframe AsyncLocalStorage shares whatever its backend: option
// validation, withScope's RunScope, and the static bind/snapshot, all shaped
// exactly like Node 24's (lib/internal/async_local_storage/*.js).

const { AsyncResource } = require('node:async_hooks');
const { invalidArgType } = require('./errors');
const { SymbolDispose } = require('./primordials');

// Node's validateObject(options, 'options'): no null, no arrays, no functions.
function validateOptions(options) {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw invalidArgType('options', 'of type object', options);
  }
}

// asyncLocalStorage.withScope(store): enterWith now, the previous store back
// on dispose(), once.
class RunScope {
  #storage;
  #previousStore;
  #disposed = false;

  constructor(storage, store) {
    this.#storage = storage;
    this.#previousStore = storage.getStore();
    storage.enterWith(store);
  }

  dispose() {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#storage.enterWith(this.#previousStore);
  }

  [SymbolDispose]() {
    this.dispose();
  }
}

// Static AsyncLocalStorage.bind/snapshot: an AsyncResource captures the whole
// current context (every storage, ours and the built-in's) on every backend.
function bind(fn) {
  return AsyncResource.bind(fn);
}

function snapshot() {
  return AsyncResource.bind((cb, ...args) => cb(...args));
}

module.exports = { validateOptions, RunScope, bind, snapshot };
