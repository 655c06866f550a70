'use strict';
// ctxframe/context. Owns: the typed request context: createContext() and the default
// `requestContext` instance every kit integration uses. A context is a small,
// JSON-safe, deep-frozen plain object carried by a ctxframe AsyncLocalStorage.

const { randomUUID } = require('node:crypto');
const { AsyncLocalStorage } = require('../index.js');
const { withCode, invalidArgType, outOfRange } = require('../errors.js');
const { contextMissing } = require('../channels.js');
const { createContextValues, byType } = require('./context-values.js');

const DEFAULT_MAX_BYTES = 8192;
const MAX_DEPTH = 32;

function invalidContext(contextName, path, reason) {
  return withCode(TypeError, 'CTXFRAME_INVALID_CONTEXT',
    `Invalid ${contextName} value at ${path}: ${reason}. Context values must be JSON-safe ` +
    '(string, finite number, boolean, null, plain arrays and plain objects of those).');
}

function describe(value) {
  if (value === null) return 'null';
  if (typeof value === 'function') return `function ${value.name || '<anonymous>'}`;
  if (typeof value === 'object') {
    const proto = Object.getPrototypeOf(value);
    const ctor = proto && proto.constructor && proto.constructor.name;
    return ctor ? `an instance of ${ctor}` : 'an exotic object';
  }
  return `a ${typeof value}`;
}

function isPlainObject(value) {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function fieldPath(path, key) {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

// Deep-copies `value` into frozen plain data, refusing anything that is not JSON-safe.
// `seen` holds the objects on the current path (cycle detection).
function copyValue(value, path, depth, seen, contextName) {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(value)) throw invalidContext(contextName, path, `non-finite number ${value}`);
      return value;
    case 'object':
      break;
    default:
      throw invalidContext(contextName, path, describe(value));
  }
  if (value === null) return null;
  if (depth > MAX_DEPTH) throw invalidContext(contextName, path, `nested deeper than ${MAX_DEPTH} levels`);
  if (seen.has(value)) throw invalidContext(contextName, path, 'circular reference');
  seen.add(value);
  let copy;
  if (Array.isArray(value)) {
    if (Object.getPrototypeOf(value) !== Array.prototype) {
      throw invalidContext(contextName, path, describe(value));
    }
    copy = new Array(value.length);
    for (let i = 0; i < value.length; i++) {
      if (!Object.prototype.hasOwnProperty.call(value, i)) {
        throw invalidContext(contextName, `${path}[${i}]`, 'sparse array hole');
      }
      const item = value[i];
      if (item === undefined) throw invalidContext(contextName, `${path}[${i}]`, 'undefined');
      copy[i] = copyValue(item, `${path}[${i}]`, depth + 1, seen, contextName);
    }
  } else {
    if (!isPlainObject(value)) throw invalidContext(contextName, path, describe(value));
    copy = copyObject(value, path, depth, seen, contextName);
  }
  seen.delete(value);
  return Object.freeze(copy);
}

function copyObject(value, path, depth, seen, contextName) {
  if (Object.getOwnPropertySymbols(value).length > 0) {
    throw invalidContext(contextName, path, 'symbol-keyed property');
  }
  const copy = {};
  for (const key of Object.keys(value)) {
    const desc = Object.getOwnPropertyDescriptor(value, key);
    const where = fieldPath(path, key);
    if (!('value' in desc)) throw invalidContext(contextName, where, 'accessor property (getter/setter)');
    if (desc.value === undefined) continue; // omitted, as JSON.stringify does
    // defineProperty: a "__proto__" key stays an own data property, never a prototype change.
    Object.defineProperty(copy, key, {
      value: copyValue(desc.value, where, depth + 1, seen, contextName),
      enumerable: true, writable: true, configurable: true,
    });
  }
  return copy;
}

// Copies own enumerable string-keyed fields of `source` onto `target` as data properties
// (a "__proto__" field stays a field). `source` was checked by checkPartial or produced here.
function mergeFields(target, source) {
  for (const key of Object.keys(source)) {
    Object.defineProperty(target, key, {
      value: source[key], enumerable: true, writable: true, configurable: true,
    });
  }
  return target;
}

function checkPartial(partial, contextName) {
  if (!isPlainObject(partial)) {
    throw invalidContext(contextName, 'partial', `${describe(partial)} (expected a plain object)`);
  }
  if (Object.getOwnPropertySymbols(partial).length > 0) {
    throw invalidContext(contextName, 'partial', 'symbol-keyed property');
  }
  for (const key of Object.keys(partial)) {
    if (!('value' in Object.getOwnPropertyDescriptor(partial, key))) {
      throw invalidContext(contextName, fieldPath('partial', key), 'accessor property (getter/setter)');
    }
  }
}

function callSite(skip) {
  const holder = {};
  const limit = Error.stackTraceLimit;
  try {
    Error.stackTraceLimit = 1;
    Error.captureStackTrace(holder, skip);
  } finally {
    Error.stackTraceLimit = limit;
  }
  const line = String(holder.stack || '').split('\n')[1];
  return line ? line.trim().replace(/^at /, '') : '<unknown call site>';
}

function createContext(options = {}) {
  if (options === null || typeof options !== 'object') {
    throw invalidArgType('options', 'of type object', options);
  }
  const name = options.name === undefined ? 'RequestContext' : options.name;
  if (typeof name !== 'string' || name.length === 0) {
    throw invalidArgType('options.name', 'a non-empty string', name);
  }
  const maxBytes = options.maxBytes === undefined ? DEFAULT_MAX_BYTES : options.maxBytes;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 2) {
    throw outOfRange('options.maxBytes', 'an integer >= 2', maxBytes);
  }
  const storage = new AsyncLocalStorage({ name });
  // What checking a context costs, and where it happens: see context-values.js.
  const values = createContextValues({
    name,
    maxBytes,
    copyDeep: (value, path) => copyValue(value, path, 0, new Set(), name),
    invalid: (path, reason) => invalidContext(name, path, reason),
    tooLarge: (bytes) => withCode(RangeError, 'CTXFRAME_CONTEXT_TOO_LARGE',
      `${name} is ${bytes} bytes serialized as JSON; the limit is ${maxBytes} bytes (options.maxBytes).`),
  });

  function freezeContext(ctx) {
    if (values.isProduced(ctx)) return ctx;
    if (!isPlainObject(ctx)) {
      throw invalidContext(name, 'ctx', `${describe(ctx)} (expected a plain object)`);
    }
    return values.produce(ctx);
  }

  function noContext(where, skip, api) {
    if (contextMissing.hasSubscribers) contextMissing.publish({ context: name, storage, api });
    const site = callSite(skip);
    const err = withCode(Error, 'CTXFRAME_NO_CONTEXT',
      `No ${name} is active${where ? ` in ${where}` : ''} (called at ${site}). ` +
      `Run this code inside ${name}.run(), an ingress middleware or a job wrapper.`);
    Error.captureStackTrace(err, skip);
    return err;
  }

  function checkFn(fn) {
    if (typeof fn !== 'function') throw invalidArgType('fn', 'of type function', fn);
  }

  const contextType = {
    name,
    maxBytes,
    storage,
    run(ctx, fn, ...args) {
      checkFn(fn);
      return storage.run(freezeContext(ctx), fn, ...args);
    },
    current() {
      const ctx = storage.getStore();
      if (ctx === undefined) throw noContext(`${name}.current()`, contextType.current, 'current()');
      return ctx;
    },
    currentOrNull() {
      const ctx = storage.getStore();
      return ctx === undefined ? null : ctx;
    },
    get(field) {
      const ctx = storage.getStore();
      return ctx === undefined ? undefined : ctx[field];
    },
    // One run() of a shallow copy: the outer context's fields are shared (already checked and
    // frozen); only the fields of `partial` are validated.
    with(partial, fn, ...args) {
      checkFn(fn);
      const outer = storage.getStore();
      if (outer === undefined) {
        checkPartial(partial, name);
        throw noContext(`${name}.with()`, contextType.with, 'with()');
      }
      return storage.run(values.extend(outer, partial, false), fn, ...args);
    },
    withContext(partial, fn, ...args) {
      if (typeof partial === 'function') return contextType.withContext({}, partial, fn, ...args);
      if (partial === undefined || partial === null) partial = {};
      checkPartial(partial, name);
      checkFn(fn);
      const ctx = mergeFields({ requestId: randomUUID() }, partial);
      return storage.run(freezeContext(ctx), fn, ...args);
    },
    assertContext(where) {
      const ctx = storage.getStore();
      if (ctx === undefined) {
        throw noContext(where === undefined ? 'assertContext()' : String(where), contextType.assertContext, 'assertContext()');
      }
      return ctx;
    },
    // Validates and returns the frozen copy run() would store, without running anything.
    freeze(ctx) {
      return freezeContext(ctx);
    },
  };
  Object.freeze(contextType);
  byType.set(contextType, values);
  return contextType;
}

const requestContext = createContext({ name: 'RequestContext', maxBytes: DEFAULT_MAX_BYTES });

const WELL_KNOWN_FIELDS = Object.freeze([
  'requestId', 'tenantId', 'organizationId', 'projectId', 'userId', 'apiKeyId',
  'traceId', 'spanId', 'parentSpanId', 'traceFlags', 'traceState',
]);

module.exports = {
  createContext,
  requestContext,
  WELL_KNOWN_FIELDS,
  DEFAULT_MAX_BYTES,
};
