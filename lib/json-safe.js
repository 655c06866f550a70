'use strict';
// Owns: the one JSON-safety walker. copyJsonSafe(value, options) copies a value into plain data
// (string, finite number, boolean, null, plain arrays and plain or null-prototype objects of
// those), refusing anything else with CTXFRAME_INVALID_CONTEXT naming the path, and anything
// larger than options.maxBytes as UTF-8 JSON with CTXFRAME_CONTEXT_TOO_LARGE.
//
// The walker runs no user code: it reads own data properties through their descriptors (a getter
// is refused, never called) and refuses a Proxy before touching it (a trap is user code, and
// listing a Proxy's keys alone can take seconds). Work is bounded by the limit: the walk keeps a
// lower bound of the JSON size (every key, string code unit, comma and bracket is at least one
// byte) and stops as soon as it passes maxBytes; the exact size is measured once, on the
// finished copy.

const { isProxy } = require('node:util').types;
const { withCode } = require('./errors.js');

const MAX_DEPTH = 32;
const IDENTIFIER_RE = /^[A-Za-z_$][\w$]*$/;

const ObjectPrototype = Object.prototype;
const ArrayPrototype = Array.prototype;
const { getPrototypeOf, getOwnPropertyDescriptor, getOwnPropertySymbols, keys: objectKeys,
  defineProperty, freeze: objectFreeze } = Object;
const { isArray } = Array;

// Errors this module made (isJsonSafeError tells them from anything else).
const ownErrors = new WeakSet();

function fail(Base, code, message, cause) {
  const err = withCode(Base, code, message, cause === undefined ? undefined : { cause });
  ownErrors.add(err);
  return err;
}

// The one CTXFRAME_INVALID_CONTEXT message: which context, where in it, and why.
function invalidContext(name, path, reason, cause) {
  return fail(TypeError, 'CTXFRAME_INVALID_CONTEXT',
    `Invalid ${name} value at ${path}: ${reason}. Context values must be JSON-safe ` +
    '(string, finite number, boolean, null, plain arrays and plain objects of those).', cause);
}

function invalid(state, path, reason, cause) {
  return invalidContext(state.name, path, reason, cause);
}

// The one CTXFRAME_CONTEXT_TOO_LARGE message; `bytes` is exact, or (exact false) the limit the
// walk stopped at.
function tooLarge(name, bytes, maxBytes, exact = true) {
  return fail(RangeError, 'CTXFRAME_CONTEXT_TOO_LARGE',
    `${name} is ${exact ? '' : 'more than '}${bytes} bytes serialized as JSON; ` +
    `the limit is ${maxBytes} bytes (options.maxBytes).`);
}

// What a refused value is, for the message. Never runs user code (a Proxy is named, not read).
function describe(value) {
  if (value === null) return 'null';
  if (isProxy(value)) return 'a Proxy';
  if (typeof value === 'function') return `function ${value.name || '<anonymous>'}`;
  if (typeof value === 'object') {
    const proto = getPrototypeOf(value);
    const ctor = proto && proto.constructor && proto.constructor.name;
    return ctor ? `an instance of ${ctor}` : 'an exotic object';
  }
  return `a ${typeof value}`;
}

function fieldPath(path, key) {
  return IDENTIFIER_RE.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

// Adds `n` bytes to the running lower bound of the JSON size; throws once it passes the limit.
function spend(state, n) {
  state.bytes += n;
  if (state.bytes > state.maxBytes) throw tooLarge(state.name, state.maxBytes, state.maxBytes, false);
}

function copyValue(state, value, path, depth) {
  switch (typeof value) {
    case 'string':
      spend(state, value.length + 2);
      return value;
    case 'boolean':
      spend(state, 4);
      return value;
    case 'number':
      if (!Number.isFinite(value)) throw invalid(state, path, `non-finite number ${value}`);
      spend(state, 1);
      return value;
    case 'object':
      break;
    default:
      throw invalid(state, path, describe(value));
  }
  if (value === null) {
    spend(state, 4);
    return null;
  }
  if (depth > MAX_DEPTH) throw invalid(state, path, `nested deeper than ${MAX_DEPTH} levels`);
  if (state.seen.has(value)) throw invalid(state, path, 'circular reference');
  if (isProxy(value)) throw invalid(state, path, 'a Proxy');
  state.seen.add(value);
  let copy;
  spend(state, 2);
  if (isArray(value)) {
    if (getPrototypeOf(value) !== ArrayPrototype) throw invalid(state, path, describe(value));
    const length = value.length;
    spend(state, length > 0 ? length - 1 : 0);
    copy = new Array(length);
    for (let i = 0; i < length; i++) {
      const where = `${path}[${i}]`;
      const desc = getOwnPropertyDescriptor(value, i);
      if (desc === undefined) throw invalid(state, where, 'sparse array hole');
      if (!('value' in desc)) throw invalid(state, where, 'accessor property (getter/setter)');
      if (desc.value === undefined) throw invalid(state, where, 'undefined');
      copy[i] = copyValue(state, desc.value, where, depth + 1);
    }
  } else {
    const proto = getPrototypeOf(value);
    if (proto !== ObjectPrototype && proto !== null) throw invalid(state, path, describe(value));
    if (getOwnPropertySymbols(value).length > 0) throw invalid(state, path, 'symbol-keyed property');
    copy = {};
    const names = objectKeys(value);
    let emitted = 0;
    for (let i = 0; i < names.length; i++) {
      const key = names[i];
      const where = fieldPath(path, key);
      const desc = getOwnPropertyDescriptor(value, key);
      if (!('value' in desc)) throw invalid(state, where, 'accessor property (getter/setter)');
      if (desc.value === undefined) continue; // omitted, as JSON.stringify does
      spend(state, key.length + (emitted++ === 0 ? 3 : 4)); // "key": and the comma before it
      // defineProperty: a "__proto__" key stays an own data property, never a prototype change.
      defineProperty(copy, key, {
        value: copyValue(state, desc.value, where, depth + 1),
        enumerable: true, writable: true, configurable: true,
      });
    }
  }
  state.seen.delete(value);
  return state.freeze ? objectFreeze(copy) : copy;
}

// copyJsonSafe(value, { name = 'context', path = 'ctx', maxBytes = Infinity, freeze = false,
//   exact = true }) -> the copy (deep-frozen when freeze is true). Throws CTXFRAME_INVALID_CONTEXT
// (TypeError) or CTXFRAME_CONTEXT_TOO_LARGE (RangeError). With exact false the caller measures
// the exact size itself; the walk still stops as soon as its bound passes maxBytes.
function copyJsonSafe(value, options) {
  const state = {
    name: options.name === undefined ? 'context' : options.name,
    maxBytes: options.maxBytes === undefined ? Infinity : options.maxBytes,
    freeze: options.freeze === true,
    bytes: 0,
    seen: new Set(),
  };
  const copy = copyValue(state, value, options.path === undefined ? 'ctx' : options.path, 0);
  if (state.maxBytes !== Infinity && options.exact !== false) {
    const bytes = Buffer.byteLength(JSON.stringify(copy));
    if (bytes > state.maxBytes) throw tooLarge(state.name, bytes, state.maxBytes);
  }
  return copy;
}

function isJsonSafeError(err) {
  return ownErrors.has(err);
}

module.exports = {
  copyJsonSafe, invalidContext, tooLarge, isJsonSafeError, fieldPath, describe, MAX_DEPTH,
};
