'use strict';
// ctxframe/context. Owns: the typed request context: createContext() and the default
// `requestContext` instance every kit integration uses. A context is a small,
// JSON-safe, deep-frozen plain object carried by a ctxframe AsyncLocalStorage.

const { randomUUID } = require('node:crypto');
const { AsyncLocalStorage } = require('../index.js');
const { stampCode } = require('../errors.js');
const { validateOptions, validateNonEmptyString, validateInteger, validateFunction,
  isPlainObject } = require('../validators.js');
const { copyJsonSafe, invalidContext, tooLarge, describe, fieldPath } = require('../json-safe.js');
const { contextMissing } = require('../channels.js');
const { createContextValues, byType } = require('./context-values.js');
const { ContextScope } = require('./context-scope.js');

const { read: readStore, field: readField, root: rootScope, child: childScope, enrich: enrichScope, enrichField, isScope } = ContextScope;

const DEFAULT_MAX_BYTES = 8192;

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

function createContext(options) {
  options = validateOptions('options', options, ['name', 'maxBytes']);
  const name = validateNonEmptyString('options.name', options.name, 'RequestContext');
  const maxBytes = validateInteger('options.maxBytes', options.maxBytes, 2, DEFAULT_MAX_BYTES);
  const storage = new AsyncLocalStorage({ name });
  // What checking a context costs, and where it happens: see context-values.js.
  const values = createContextValues({
    name,
    maxBytes,
    // The one JSON-safety walker (json-safe.js), stopping as soon as maxBytes is passed; the
    // exact size is measured by context-values.js.
    copyDeep: (value, path) => copyJsonSafe(value, { name, path, maxBytes, freeze: true, exact: false }),
    invalid: (path, reason, cause) => invalidContext(name, path, reason, cause),
    tooLarge: (bytes) => tooLarge(name, bytes, maxBytes),
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
    const err = new Error(`No ${name} is active${where ? ` in ${where}` : ''} (called at ${site}). ` +
      `Run this code inside ${name}.run(), an ingress middleware or a job wrapper.`);
    Error.captureStackTrace(err, skip); // the stack starts at the caller, not in ctxframe
    return stampCode(err, 'CTXFRAME_NO_CONTEXT');
  }

  const contextType = {
    name,
    maxBytes,
    storage,
    run(ctx, fn, ...args) {
      validateFunction('fn', fn);
      return storage.run(rootScope(freezeContext(ctx), values), fn, ...args);
    },
    current() {
      const store = storage.getStore();
      if (store === undefined) throw noContext(`${name}.current()`, contextType.current, 'current()');
      return readStore(store);
    },
    currentOrNull() {
      const store = storage.getStore();
      return store === undefined ? null : readStore(store);
    },
    get(field) {
      const store = storage.getStore();
      return store === undefined ? undefined : readField(store, field);
    },
    // Adds fields to the context of the nearest run() (the request, under ingress) from here on:
    // everything that reads the context afterwards in that run() sees the new fields; what was
    // read before, and what a job or message carried, keeps its own snapshot. Returns undefined
    // (the new snapshot is made when the context is next read as a whole: context-scope.js).
    // enrich(field, value) adds one field by name (the cheapest form: nothing to inspect but the value).
    enrich(partial, value) {
      const store = storage.getStore();
      if (typeof partial === 'string' && arguments.length > 1) {
        if (!isScope(store)) throw noContext(`${name}.enrich()`, contextType.enrich, 'enrich()');
        enrichField(store, partial, value);
        return undefined;
      }
      if (!isScope(store)) {
        checkPartial(partial, name);
        throw noContext(`${name}.enrich()`, contextType.enrich, 'enrich()');
      }
      enrichScope(store, partial, value, false);
      return undefined;
    },
    // One run() of a shallow copy: the outer context's fields are shared (already checked and
    // frozen); only the fields of `partial` are validated.
    with(partial, fn, ...args) {
      validateFunction('fn', fn);
      const outer = storage.getStore();
      if (outer === undefined) {
        checkPartial(partial, name);
        throw noContext(`${name}.with()`, contextType.with, 'with()');
      }
      return storage.run(childScope(outer, partial, values), fn, ...args);
    },
    withContext(partial, fn, ...args) {
      if (typeof partial === 'function') return contextType.withContext({}, partial, fn, ...args);
      if (partial === undefined || partial === null) partial = {};
      checkPartial(partial, name);
      validateFunction('fn', fn);
      const ctx = mergeFields({ requestId: randomUUID() }, partial);
      return storage.run(rootScope(freezeContext(ctx), values), fn, ...args);
    },
    assertContext(where) {
      const store = storage.getStore();
      if (store === undefined) {
        throw noContext(where === undefined ? 'assertContext()' : String(where), contextType.assertContext, 'assertContext()');
      }
      return readStore(store);
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
