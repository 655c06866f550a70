'use strict';
// Owns: turning a variant name into the context a workload process runs in.
//
//   none              no context at all (the floor): run(store, fn) is fn(), getStore() reads a variable
//   builtin-N         N built-in async_hooks.AsyncLocalStorage instances, nested
//   ctxframe-N        N ctxframe AsyncLocalStorage instances, nested
//   ctxframe-builtin  ctxframe with CTXFRAME_BACKEND=builtin (the runner sets the env), 1 storage
//
// A workload asks for `enter(fn)`: fn runs inside all N storages (storage 0 outermost), and
// `read()` returns storage 0's store (the "request" store a logger would read).

const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');

function parseVariant(name) {
  if (name === 'none') return { kind: 'none', count: 0 };
  if (name === 'ctxframe-builtin') return { kind: 'ctxframe', count: 1, forcedBuiltin: true };
  const m = /^(builtin|ctxframe)-(\d+)$/.exec(name);
  if (!m) throw new Error(`unknown variant "${name}"`);
  return { kind: m[1], count: Number(m[2]) };
}

// The AsyncLocalStorage class of a variant, and the backend that serves it.
function loadImplementation(kind) {
  if (kind === 'builtin') {
    return { AsyncLocalStorage: require('node:async_hooks').AsyncLocalStorage, backend: 'node' };
  }
  const ctxframe = require(path.join(ROOT, 'lib', 'index.js'));
  // 'frame-js': the frame backend without its native part (continuation 'js').
  const backend = ctxframe.continuation === 'js' ? 'frame-js' : ctxframe.backend;
  return { AsyncLocalStorage: ctxframe.AsyncLocalStorage, backend };
}

// The "no context" stand-in: same call shape, no async tracking.
class NoContext {
  constructor() { this.store = undefined; }
  run(store, fn) {
    const prior = this.store;
    this.store = store;
    try { return fn(); } finally { this.store = prior; }
  }
  getStore() { return this.store; }
  enterWith(store) { this.store = store; }
}

function createVariant(name) {
  const spec = parseVariant(name);
  if (spec.forcedBuiltin && process.env.CTXFRAME_BACKEND !== 'builtin') {
    throw new Error('variant ctxframe-builtin needs CTXFRAME_BACKEND=builtin in the environment');
  }
  const impl = spec.kind === 'none' ? { AsyncLocalStorage: NoContext, backend: 'none' } : loadImplementation(spec.kind);
  const storages = [];
  for (let i = 0; i < Math.max(spec.count, 1); i++) storages.push(new impl.AsyncLocalStorage());
  const stores = storages.map((_, i) => ({ storage: i, requestId: `req-${i}` }));
  const first = storages[0];

  // fn runs inside every storage: storage 0 outermost. Returns what fn returns.
  function enter(fn, storeFor = (i) => stores[i]) {
    if (spec.kind === 'none') return fn();
    let wrapped = fn;
    for (let i = storages.length - 1; i >= 1; i--) {
      const inner = wrapped;
      const storage = storages[i];
      const store = storeFor(i);
      wrapped = () => storage.run(store, inner);
    }
    return first.run(storeFor(0), wrapped);
  }

  function read() {
    return spec.kind === 'none' ? stores[0] : first.getStore();
  }

  return {
    name,
    kind: spec.kind,
    count: spec.count,
    backend: impl.backend,
    AsyncLocalStorage: impl.AsyncLocalStorage,
    storages,
    stores,
    enter,
    read,
  };
}

// The header every workload result carries.
function describe(variant) {
  return {
    variant: variant.name,
    kind: variant.kind,
    storages: variant.count,
    backend: variant.backend,
    node: process.version,
    execArgv: process.execArgv,
  };
}

module.exports = { createVariant, parseVariant, describe, NoContext };
