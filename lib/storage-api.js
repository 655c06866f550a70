'use strict';
// The parts of the AsyncLocalStorage API that do not depend on the backend:
// the constructor's options, withScope's RunScope, and the static
// bind/snapshot, all shaped exactly like Node 24's
// (lib/internal/async_local_storage/*.js).

const { AsyncResource } = require('node:async_hooks');
const { SymbolDispose } = require('./primordials');

// new AsyncLocalStorage(options) -> { defaultValue, name }. Node's
// validateObject(options, 'options'): no null, no arrays, no functions; a
// name is made a string (a Symbol throws, as in Node).
function parseOptions(options = {}) {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw require('./errors').invalidArgType('options', 'of type object', options); // loaded when needed
  }
  return {
    defaultValue: options.defaultValue,
    name: options.name === undefined ? undefined : `${options.name}`,
  };
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

// The built-in returns AsyncResource.bind((cb, ...args) => cb(...args)); the
// same resource and the same call, without bind()'s per-call property
// definitions, which cost tens of microseconds (measured on Node 20-24).
function snapshot() {
  const resource = new AsyncResource('bound-anonymous-fn');
  return (cb, ...args) => resource.runInAsyncScope(callInScope, undefined, cb, args);
}

function callInScope(cb, args) {
  return cb(...args); // as the built-in: a non-function is "cb is not a function"
}

// Marks a getStore wrapper that only observes (ctxframe/doctor's): it returns exactly what the
// storage's own getStore returns, so run() treats it as not overriding getStore and does not
// read through it (a read the doctor would report as the application's).
const kObservingGetStore = Symbol('ctxframe.observingGetStore');

module.exports = { parseOptions, RunScope, bind, snapshot, kObservingGetStore };
