'use strict';
// The parts of the AsyncLocalStorage API that do not depend on the backend:
// the constructor's options, withScope's RunScope, and the static
// bind/snapshot, all shaped exactly like Node 24's
// (lib/internal/async_local_storage/*.js).

const { AsyncResource } = require('node:async_hooks');
const { SymbolDispose, ObjectIs, ReflectApply } = require('./primordials');

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

// The frame backends' run() on AsyncContextFrame runtimes: the built-in run() reads and writes
// through this.getStore() and this.enterWith() (Node's async_context_frame.js), and code observes
// it: dd-trace decides whether Node runs on AsyncContextFrame by overriding enterWith on an
// instance and calling run(); profilers wrap enterWith alone on that promise. When a subclass, an
// instance or a patch of the prototype replaces either (`getStore`/`enterWith`: the class's own),
// run() makes the same calls the built-in makes (ctxframe/doctor's observing getStore excepted).
function overridesRun(storage, getStore, enterWith) {
  const own = storage.getStore;
  return (own !== getStore && own[kObservingGetStore] !== true) || storage.enterWith !== enterWith;
}

function runThroughOverrides(storage, store, fn, args) {
  const prior = storage.getStore();
  if (ObjectIs(prior, store)) return ReflectApply(fn, null, args);
  storage.enterWith(store);
  try {
    return ReflectApply(fn, null, args);
  } finally {
    storage.enterWith(prior);
  }
}

module.exports = { parseOptions, RunScope, bind, snapshot, kObservingGetStore, overridesRun, runThroughOverrides };
