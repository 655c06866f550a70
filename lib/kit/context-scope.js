'use strict';
// Owns: what a context type's storage holds — one scope per run() (and per ingress request),
// through which enrich() adds fields after the run started. A scope points at its current
// snapshot: a frozen, checked context (context-values.js). enrich() never writes a snapshot; it
// makes a new one from the current one and the added fields and makes that current, so code that
// read the context earlier keeps what it read, a job or worker message carries the snapshot it
// was given, and everything that reads the context afterwards in the same run() — any async
// continuation of it, the request's and response's event listeners, with() callbacks — sees the
// newest one. A scope is made by one run() and reachable only from that run's async tree: no
// other request can see it.
//
// with(partial, fn) makes a child scope: its snapshot is the parent's current one plus the
// partial's fields (they win inside fn). enrich() inside fn adds to the nearest run()'s scope
// (the request), so the whole request sees the fields; the child makes its snapshot again the
// next time it is read after the parent's changed.
//
// enrich() is lazy: it checks the fields it is given (size included: it throws at once when they
// would pass maxBytes) and keeps them in the run()'s scope; the next read of the whole context
// (current(), a log line, a job) makes the new frozen snapshot once. get(field) reads a kept field
// without making one. A snapshot, once made, never changes.
//
// A store someone put into the storage directly (not a scope) is read as the context itself,
// as before scopes existed; it cannot be enriched.

const { keys: objectKeys, hasOwn, freeze, create } = Object;
const { isFinite: NumberIsFinite } = Number;

// enrich()'s pending fields: own properties only, on an object whose prototype chain holds
// nothing (a frozen empty object with no prototype), so `pending[key] !== undefined` means "a
// pending field" without a hasOwn call, and Object.prototype's names are ordinary fields. Made
// by a constructor rather than Object.create(null), which would start in dictionary mode.
function Pending() {}
Pending.prototype = freeze(create(null));

// The size bound of field `key` (a string) holding `value` when that is a string, a finite number,
// a boolean or null — "key": plus the value plus a comma, the sums context-values.js makes
// (stringBound(key) + 2 + the value's) — or -1 for any other value.
function fieldBound(key, value) {
  if (typeof value === 'string') return 6 * (key.length + value.length) + 6;
  if (typeof value === 'number') return NumberIsFinite(value) ? 6 * key.length + 28 : -1;
  if (typeof value === 'boolean') return 6 * key.length + 9;
  return value === null ? 6 * key.length + 8 : -1;
}

class ContextScope {
  #ctx; // the current snapshot (frozen, produced by the context type)
  #parent; // null for a run()'s scope; the outer scope for a with() scope
  #parentCtx; // the parent's snapshot this scope's #ctx was made from
  #keys; // the with() partial's keys (re-applied from #ctx when the parent changes)
  #owned; // null, or a frozen object whose fields enrich() may not change (ingress's ids)
  #values; // the context type's values (context-values.js): extend() makes new snapshots
  #pending = null; // a run()'s scope: null, or enrich()'s checked fields not yet in #ctx
  #bound = 0; // with #pending: an upper bound of the JSON size of #ctx with #pending applied

  constructor(ctx, values, parent, parentCtx, keys, owned) {
    this.#ctx = ctx;
    this.#values = values;
    this.#parent = parent;
    this.#parentCtx = parentCtx;
    this.#keys = keys;
    this.#owned = owned;
  }

  // A store of the storage -> the context it stands for (a store that is not a scope is the
  // context itself). `store` is not undefined.
  static read(store) {
    if (typeof store !== 'object' || store === null || !(#ctx in store)) return store;
    if (store.#parent !== null) return store.#refresh();
    return store.#pending === null ? store.#ctx : store.#materialize();
  }

  // get(field): one field of the context `store` stands for, without making a snapshot.
  static field(store, field) {
    if (typeof store !== 'object' || store === null || !(#ctx in store)) return store[field];
    if (store.#parent === null) {
      const pending = store.#pending;
      if (pending !== null) {
        const value = pending[field]; // own fields only (Pending); undefined: absent, or a removal
        if (value !== undefined || field in pending) return value;
      }
      return store.#ctx[field];
    }
    return store.#refresh()[field];
  }

  static isScope(store) {
    return typeof store === 'object' && store !== null && #ctx in store;
  }

  // A run()'s scope: `ctx` produced by the context type whose values these are.
  static root(ctx, values, owned = null) {
    return new ContextScope(ctx, values, null, undefined, undefined, owned);
  }

  // with(): a child of `store` (a scope, or a raw store read as a context) with `partial`'s fields.
  static child(store, partial, values) {
    if (!ContextScope.isScope(store)) return ContextScope.root(values.extend(store, partial, false), values);
    const outer = ContextScope.read(store);
    const ctx = values.extend(outer, partial, false);
    return new ContextScope(ctx, values, store, outer, objectKeys(partial), null);
  }

  // enrich(): the fields of `partial` added to the scope of the nearest run() (the request's,
  // under ingress). Checked like a with() partial; fields the scope owns (ingress's request id and
  // trace fields) are refused, as is a partial of another kind. A refused enrich() changes nothing.
  // enrich(key, value) (`partial` is then the key): the one field `value` under that name.
  static enrich(store, partial, value, oneField) {
    let scope = store;
    while (scope.#parent !== null) scope = scope.#parent;
    const values = scope.#values;
    let pending = scope.#pending;
    const added = oneField ? values.stageField(partial, value, scope.#owned, pending)
      : values.stage(partial, scope.#owned, pending);
    if (pending === null) {
      pending = new Pending();
      scope.#bound = values.boundOf(scope.#ctx);
    }
    const bound = scope.#bound + added;
    if (bound <= values.maxBytes) {
      scope.#pending = oneField ? values.commitField(pending, partial) : values.commit(pending);
      scope.#bound = bound;
      return;
    }
    // Maybe too large: measured exactly now, on a copy, so that a refusal changes nothing.
    const copy = { ...pending };
    const next = values.apply(scope.#ctx, oneField ? values.commitField(copy, partial) : values.commit(copy), bound);
    scope.#ctx = next;
    scope.#pending = null;
  }

  // enrich(key, value) (`key` a string): a string, boolean, finite number or null value is checked
  // by its type and adds a bound known from its length alone (context-values.js), so it is written
  // straight into the pending fields when the whole bound stays within maxBytes. Anything else — a
  // removal (undefined), an object or array (the JSON-safety walker), a value that cannot be a
  // field, "__proto__", an ingress-owned field given another value, a bound past maxBytes (measured
  // exactly, or refused) — takes enrich()'s general path, which makes the same checks in full.
  static enrichField(store, key, value) {
    let scope = store;
    while (scope.#parent !== null) scope = scope.#parent;
    const owned = scope.#owned;
    if (owned !== null) {
      const own = owned[key]; // an owned field is a string: undefined means not owned
      if (own !== undefined && own !== value) return ContextScope.enrich(store, key, value, true);
    }
    const added = fieldBound(key, value);
    if (added < 0 || key === '__proto__') return ContextScope.enrich(store, key, value, true);
    const values = scope.#values;
    let pending = scope.#pending;
    let bound;
    if (pending === null) {
      bound = values.boundOf(scope.#ctx) + added;
    } else {
      bound = scope.#bound + added;
      const prev = pending[key]; // the pending field it replaces, if any
      if (prev !== undefined) {
        const was = fieldBound(key, prev); // what it added, when a scalar (stagedBound's sums)
        bound -= was >= 0 ? was : values.stagedBound(key, prev);
      }
    }
    if (bound > values.maxBytes) return ContextScope.enrich(store, key, value, true);
    if (pending === null) {
      pending = new Pending();
      scope.#pending = pending;
    }
    pending[key] = value;
    scope.#bound = bound;
  }

  // Ingress: the request's snapshot once resolve() ran (made from the one the scope started with).
  // Returns the scope (what the storage keeps holding).
  static replace(scope, ctx) {
    scope.#ctx = ctx;
    scope.#pending = null;
    return scope;
  }

  // A run()'s scope with enrich()'s fields pending: its new snapshot (within maxBytes: enrich()
  // made sure), made once.
  #materialize() {
    const ctx = this.#values.apply(this.#ctx, this.#pending, this.#bound);
    this.#ctx = ctx;
    this.#pending = null;
    return ctx;
  }

  // A with() scope whose parent changed since its snapshot was made: the parent's newest snapshot
  // plus this scope's own fields (values already checked and frozen; an absent key is a removal).
  #refresh() {
    const parentCtx = ContextScope.read(this.#parent);
    if (parentCtx === this.#parentCtx) return this.#ctx;
    const overlay = {};
    const keys = this.#keys;
    const ctx = this.#ctx;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      Object.defineProperty(overlay, key, {
        value: hasOwn(ctx, key) ? ctx[key] : undefined, enumerable: true, writable: true, configurable: true,
      });
    }
    this.#ctx = this.#values.extend(parentCtx, overlay, false);
    this.#parentCtx = parentCtx;
    return this.#ctx;
  }
}

module.exports = { ContextScope };
