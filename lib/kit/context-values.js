'use strict';
// Owns: what making a context value costs on the request path. A context type remembers, for
// every context it produced (validated, frozen, within its size limit), an upper bound of that
// context's size as UTF-8 JSON. A context made from one of them — with(), ingress merging
// resolve()'s fields into the fields it owns — is a shallow copy of it (its values are already
// validated and frozen, so they are shared, not copied again) plus the fields being added, and
// only those are validated; the new bound is the old one plus theirs. The exact size
// (JSON.stringify) is measured only when the bound passes the limit. A context given from
// outside (run(), freeze()) is walked and copied in full, once.
//
// Bounds: JSON.stringify writes at most 6 bytes per UTF-16 code unit of a string (`\u001f`;
// non-ASCII is at most 3 bytes per unit, a surrogate pair 4 per 2), plus its quotes; a finite
// number at most 24 characters; `false` 5; `null` 4; each field adds a colon and a comma.
//
// The mark "produced by this type, bound N" is a private field stamped on the context before it
// is frozen (a class whose base constructor returns the object it is given): invisible to
// Object.keys, JSON, symbols and structuredClone, and a property store rather than a WeakMap
// entry per request.

const { isProxy } = require('node:util').types;
const { describe, fieldPath } = require('../json-safe.js');

const { getOwnPropertyDescriptor, getOwnPropertySymbols, getPrototypeOf, keys: objectKeys,
  defineProperty, freeze, hasOwn } = Object;
const ObjectPrototype = Object.prototype;
const { isArray: ArrayIsArray } = Array;
const { isFinite: NumberIsFinite } = Number;

const stringBound = (s) => 6 * s.length + 2;
const NUMBER_BOUND = 24;

// createContextValues({ name, maxBytes, copyDeep, invalid, tooLarge })
//   copyDeep(value, path): the JSON-safety walker — a deep-frozen, validated copy of an object
//     or array, or a CTXFRAME_INVALID_CONTEXT error naming the path
//   invalid(path, reason[, cause]) / tooLarge(bytes): the errors to throw
// -> { produce(ctx), extend(outer, partial, outerWins), merge(own, ownBound, partial),
//      adopt(fields[, bound]), isProduced(ctx) }
function createContextValues({ name, maxBytes, copyDeep, invalid, tooLarge }) {
  // Contexts this type produced carry #bound: an upper bound of their JSON size (<= maxBytes).
  class Produced extends ReturnsItsArgument {
    #bound;
    constructor(ctx, bound) {
      super(ctx);
      this.#bound = bound;
    }

    static boundOf(ctx) {
      return ctx !== null && typeof ctx === 'object' && #bound in ctx ? ctx.#bound : undefined;
    }
  }
  const boundOf = Produced.boundOf;

  function exactBytes(value) {
    return Buffer.byteLength(JSON.stringify(value));
  }

  function register(ctx, bound) {
    if (bound > maxBytes) {
      const bytes = exactBytes(ctx);
      if (bytes > maxBytes) throw tooLarge(bytes);
      bound = bytes;
    }
    new Produced(ctx, bound); // eslint-disable-line no-new
    return freeze(ctx);
  }

  // A context from outside: validated, deep-copied, deep-frozen, measured exactly.
  function produce(ctx) {
    if (boundOf(ctx) !== undefined) return ctx;
    const copy = { ...copyDeep(ctx, 'ctx') }; // deep-frozen below; the top level is stamped first
    const bytes = exactBytes(copy);
    if (bytes > maxBytes) throw tooLarge(bytes);
    new Produced(copy, bytes); // eslint-disable-line no-new
    return freeze(copy);
  }

  // The fields of `partial` (a plain object of own data properties) on a shallow copy of
  // `outer`, frozen. An undefined field removes it. outerWins: fields `outer` has are kept.
  function extend(outer, partial, outerWins) {
    const outerBound = boundOf(outer);
    if (outerBound === undefined) {
      // Not one of ours (a store someone put in the storage directly): nothing is known about it.
      const next = {};
      for (const key of objectKeys(outer)) setField(next, key, outer[key]);
      addFields(next, 0, partial, outerWins ? outer : null);
      return produce(next);
    }
    const next = { ...outer };
    return register(next, addFields(next, outerBound, partial, outerWins ? outer : null));
  }

  // Ingress: `own` is a new plain object of fields the caller built from values it validated
  // itself (strings), `ownBound` an upper bound of their JSON size; `partial`'s fields are added
  // where `own` has none, then the result is frozen. No copy of `own` is made.
  function merge(own, ownBound, partial) {
    return register(own, addFields(own, ownBound, partial, own));
  }

  // The own keys of `partial`, a plain object without symbol keys; anything else is refused. A
  // Proxy is refused before any of its traps runs, as the walker does.
  function plainKeys(partial) {
    const proto = partial === null || typeof partial !== 'object' || isProxy(partial) ? undefined
      : getPrototypeOf(partial);
    if ((proto !== ObjectPrototype && proto !== null) || ArrayIsArray(partial)) {
      throw invalid('partial', `${describe(partial)} (expected a plain object)`);
    }
    if (getOwnPropertySymbols(partial).length > 0) throw invalid('partial', 'symbol-keyed property');
    return objectKeys(partial);
  }

  // Adds the fields of `partial` (validated here) onto `next`, a new unfrozen object; `keep`
  // (or null): an object whose own fields are not replaced. Returns next's new size bound.
  function addFields(next, bound, partial, keep) {
    let at; // the key being read, for the error a Proxy trap turns into
    try {
      const names = plainKeys(partial);
      for (let i = 0; i < names.length; i++) {
        const key = names[i];
        at = key;
        const desc = getOwnPropertyDescriptor(partial, key);
        if (desc === undefined) continue; // a Proxy listed a key it does not have
        if (!('value' in desc)) throw invalid(fieldPath('partial', key), 'accessor property (getter/setter)');
        if (keep !== null && hasOwn(keep, key)) continue;
        const value = desc.value;
        let checked = value;
        let valueBound;
        switch (typeof value) {
          case 'string':
            valueBound = stringBound(value);
            break;
          case 'boolean':
            valueBound = 5;
            break;
          case 'number':
            if (!NumberIsFinite(value)) throw invalid(fieldPath('ctx', key), `non-finite number ${value}`);
            valueBound = NUMBER_BOUND;
            break;
          case 'undefined':
            if (hasOwn(next, key)) delete next[key];
            continue;
          default:
            if (value === null) {
              valueBound = 4;
            } else {
              checked = copyDeep(value, fieldPath('ctx', key)); // objects, arrays; refuses the rest
              valueBound = exactBytes(checked);
            }
        }
        setField(next, key, checked);
        bound += stringBound(key) + 2 + valueBound;
      }
    } catch (err) {
      if (err !== null && typeof err === 'object' && typeof err.code === 'string' && err.code.startsWith('CTXFRAME_')) throw err;
      throw invalid(at === undefined ? 'partial' : fieldPath('partial', at), 'reading it threw', err); // a Proxy trap
    }
    return bound + 2;
  }

  // Fields ingress built from values it validated itself (ids, trace fields, all strings):
  // frozen as they are, measured by `bound` (an upper bound the caller computed) or by their
  // keys and values.
  function adopt(fields, bound) {
    if (bound === undefined) {
      bound = 2;
      for (const key of objectKeys(fields)) bound += stringBound(key) + 2 + stringBound(fields[key]);
    }
    return register(fields, bound);
  }

  // enrich(): checks `partial` (as addFields does; `owned`, or null: fields that may not change)
  // and holds its checked fields until commit(pending) writes them (all of them, or none when one
  // is refused) into `pending`: a plain object of checked own fields not yet in a snapshot,
  // an undefined value a removal. Returns the size bound the fields add (an upper bound: a key
  // already in `pending` is counted once, one already in the snapshot again).
  function stage(partial, owned, pending) {
    const out = scratch;
    let n = 0;
    scratchLength = 0;
    let at;
    let bound = 0;
    try {
      const names = plainKeys(partial);
      for (let i = 0; i < names.length; i++) {
        const key = names[i];
        at = key;
        const desc = getOwnPropertyDescriptor(partial, key);
        if (desc === undefined) continue;
        if (!('value' in desc)) throw invalid(fieldPath('partial', key), 'accessor property (getter/setter)');
        let value = desc.value;
        // An owned field is never undefined; hasOwn only for a name Object.prototype also has.
        const own = owned === null ? undefined : owned[key];
        if (own !== undefined && own !== value && hasOwn(owned, key)) {
          throw invalid(`ctx.${key}`, 'set by the ingress for this request; enrich() cannot change it');
        }
        switch (typeof value) {
          case 'string':
            bound += stringBound(key) + 2 + stringBound(value);
            break;
          case 'boolean':
            bound += stringBound(key) + 7;
            break;
          case 'number':
            if (!NumberIsFinite(value)) throw invalid(fieldPath('ctx', key), `non-finite number ${value}`);
            bound += stringBound(key) + 2 + NUMBER_BOUND;
            break;
          case 'undefined':
            break;
          default:
            if (value === null) {
              bound += stringBound(key) + 6;
            } else {
              value = copyDeep(value, fieldPath('ctx', key));
              bound += stringBound(key) + 2 + exactBytes(value);
            }
        }
        // `pending` has an empty prototype chain (context-scope.js): a value there is its own.
        if (pending !== null && pending[key] !== undefined) bound -= stagedBound(key, pending[key]);
        out[n++] = key;
        out[n++] = value;
      }
    } catch (err) {
      for (let i = 0; i < n; i++) out[i] = undefined;
      if (err !== null && typeof err === 'object' && typeof err.code === 'string' && err.code.startsWith('CTXFRAME_')) throw err;
      throw invalid(at === undefined ? 'partial' : fieldPath('partial', at), 'reading it threw', err);
    }
    scratchLength = n;
    return bound;
  }
  // enrich(key, value): stage() for one field given by name — no object to inspect, so no Proxy,
  // symbol or accessor can be in it. The same checks of the value and the same bound.
  function stageField(key, value, owned, pending) {
    staged = undefined;
    if (typeof key !== 'string') throw invalid('key', `${describe(key)} (expected a string)`);
    if (owned !== null && hasOwn(owned, key) && owned[key] !== value) {
      throw invalid(`ctx.${key}`, 'set by the ingress for this request; enrich() cannot change it');
    }
    let bound;
    switch (typeof value) {
      case 'string':
        bound = stringBound(key) + 2 + stringBound(value);
        break;
      case 'boolean':
        bound = stringBound(key) + 7;
        break;
      case 'number':
        if (!NumberIsFinite(value)) throw invalid(fieldPath('ctx', key), `non-finite number ${value}`);
        bound = stringBound(key) + 2 + NUMBER_BOUND;
        break;
      case 'undefined':
        bound = 0;
        break;
      default:
        if (value === null) {
          bound = stringBound(key) + 6;
        } else {
          value = copyDeep(value, fieldPath('ctx', key));
          bound = stringBound(key) + 2 + exactBytes(value);
        }
    }
    if (pending !== null && hasOwn(pending, key)) bound -= stagedBound(key, pending[key]);
    staged = value;
    return bound;
  }
  let staged; // stageField()'s checked value until commitField()

  function commitField(pending, key) {
    setField(pending, key, staged);
    staged = undefined;
    return pending;
  }

  // What a field stage() checked added to the bound (the same sums as above).
  function stagedBound(key, value) {
    switch (typeof value) {
      case 'string': return stringBound(key) + 2 + stringBound(value);
      case 'boolean': return stringBound(key) + 7;
      case 'number': return stringBound(key) + 2 + NUMBER_BOUND;
      case 'undefined': return 0;
      default: return value === null ? stringBound(key) + 6 : stringBound(key) + 2 + exactBytes(value);
    }
  }
  // stage()'s checked key, value, key, value, … (scratchLength of them) until commit(); kept
  // allocated (emptying an array by its length frees its store, and each stage() would make one).
  const scratch = [];
  let scratchLength = 0;

  function commit(pending) {
    const out = scratch;
    const n = scratchLength;
    for (let i = 0; i < n; i += 2) {
      setField(pending, out[i], out[i + 1]);
      out[i] = undefined;
      out[i + 1] = undefined;
    }
    scratchLength = 0;
    return pending;
  }

  // A snapshot: `ctx` (produced here) with the staged fields of `pending` applied, frozen.
  // `bound` is an upper bound of the result's size; measured exactly when it passes maxBytes.
  function apply(ctx, pending, bound) {
    const next = { ...ctx };
    const names = objectKeys(pending);
    for (let i = 0; i < names.length; i++) {
      const key = names[i];
      const value = pending[key];
      if (value === undefined) {
        if (hasOwn(next, key)) delete next[key];
      } else {
        setField(next, key, value);
      }
    }
    return register(next, bound);
  }

  return { maxBytes, produce, extend, merge, adopt, stage, stageField, stagedBound, commit, commitField, apply, boundOf, isProduced: (ctx) => boundOf(ctx) !== undefined };
}

// `new (class extends ReturnsItsArgument { #field })(obj)` installs #field on obj itself.
class ReturnsItsArgument {
  constructor(target) {
    return target;
  }
}

// defineProperty for "__proto__" (an own field, never a prototype change), assignment otherwise.
function setField(target, key, value) {
  if (key === '__proto__') {
    defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

// Context types -> their values (for ingress, which may be handed any context type).
const byType = new WeakMap();

module.exports = { createContextValues, byType, stringBound };
