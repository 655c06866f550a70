'use strict';
// Owns: the argument rules every kit module shares, each written once — the options object,
// functions, booleans, strings, counts, timeouts, AbortSignals, plain objects, thenables, the
// `context` option (contextOption) and the request-id and header-name rules that ingress and
// outbound both apply. Each check throws Node-shaped errors (ERR_INVALID_ARG_TYPE,
// ERR_INVALID_ARG_VALUE, ERR_OUT_OF_RANGE) and returns the value to use.
//
// Argument order is (name, value, ...): the name is what the error message shows.

const { isProxy } = require('node:util').types;
const { invalidArgType, invalidArgValue, outOfRange, withCode } = require('./errors.js');

// Largest delay setTimeout honours; anything above fires after 1 ms with a warning.
const MAX_TIMER_MS = 2147483647;

const EMPTY = Object.freeze({ __proto__: null });

// A request id ctxframe accepts from a client and forwards to another service: 1-128
// characters from a safe set (no spaces, no CR/LF, no quotes, nothing beyond ASCII), so it can
// neither split a header nor be misread in a log line. One rule for ingress and outbound.
const REQUEST_ID_RE = /^[A-Za-z0-9\-_.:/+=@]{1,128}$/;
// An HTTP header name (RFC 9110 token).
const HEADER_NAME_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function isValidRequestId(value) {
  return typeof value === 'string' && REQUEST_ID_RE.test(value);
}

function isValidHeaderName(value) {
  return typeof value === 'string' && HEADER_NAME_RE.test(value);
}

// A plain (or null-prototype) object: not an array, not a class instance, not a Proxy (a Proxy
// is refused before any of its traps can run).
function isPlainObject(value) {
  if (value === null || typeof value !== 'object' || isProxy(value) || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

// An object or function with a callable `then` (what `await` and Promise.resolve adopt).
function isThenable(value) {
  return value !== null && (typeof value === 'object' || typeof value === 'function') &&
    typeof value.then === 'function';
}

// The options argument: undefined means "no options" (an empty object is returned); anything
// else must be an object (null, arrays and functions are refused), as Node's validateObject does.
// `known` (an array of option names): any other own enumerable key is refused with
// CTXFRAME_UNKNOWN_OPTION, naming the key and the closest known name, so a typo
// (`requireTennant`) cannot silently turn a check off.
function validateOptions(name, value, known) {
  if (value === undefined) return EMPTY;
  validateObject(name, value);
  if (known !== undefined) checkKnownKeys(name, value, known);
  return value;
}

function checkKnownKeys(name, value, known) {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) throw unknownOption(name, key, known);
  }
}

function unknownOption(name, key, known) {
  const suggestion = closestName(key, known);
  const err = withCode(TypeError, 'CTXFRAME_UNKNOWN_OPTION',
    `The "${name}" argument has an unknown property ${JSON.stringify(key)}.` +
    (suggestion === undefined ? '' : ` Did you mean ${JSON.stringify(suggestion)}?`) +
    ` Known: ${known.join(', ')}.`, undefined, unknownOption);
  Object.defineProperty(err, 'option', { value: key, enumerable: true, writable: true, configurable: true });
  Object.defineProperty(err, 'suggestion', { value: suggestion, enumerable: true, writable: true, configurable: true });
  return err;
}

// The known name nearest to `key` (case-insensitive edit distance), when it is near enough to be
// a typo: at most a third of the longer name's length, and at least 1 edit allowed.
function closestName(key, known) {
  const a = key.toLowerCase();
  let best;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = editDistance(a, candidate.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = candidate;
    }
  }
  if (best === undefined) return undefined;
  const allowed = Math.max(1, Math.floor(Math.max(a.length, best.length) / 3));
  return bestDistance <= allowed ? best : undefined;
}

// Edits (insert, delete, replace, swap of two neighbours) from a to b.
function editDistance(a, b) {
  if (a.length > 64 || b.length > 64) return Infinity; // no near match for a long key
  const rows = [Array.from({ length: b.length + 1 }, (_, j) => j)];
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(rows[i - 1][j] + 1, row[j - 1] + 1, rows[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j], rows[i - 2][j - 2] + 1);
    }
    rows.push(row);
  }
  return rows[a.length][b.length];
}

// A required object argument (null, arrays and functions are refused).
function validateObject(name, value) {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalidArgType(name, 'of type object', value);
  }
  return value;
}

function validateFunction(name, value) {
  if (typeof value !== 'function') throw invalidArgType(name, 'of type function', value);
  return value;
}

function validateOptionalFunction(name, value) {
  if (value === undefined) return undefined;
  return validateFunction(name, value);
}

function validateBoolean(name, value, fallback) {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw invalidArgType(name, 'of type boolean', value);
  return value;
}

function validateNonEmptyString(name, value, fallback) {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== 'string' || value.length === 0) throw invalidArgType(name, 'a non-empty string', value);
  return value;
}

// A safe integer >= min.
function validateInteger(name, value, min, fallback) {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min) throw outOfRange(name, `an integer >= ${min}`, value);
  return value;
}

// An integer >= min, or Infinity.
function validateCount(name, value, min, fallback) {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (value === Infinity) return value;
  if (!Number.isInteger(value) || value < min) {
    throw outOfRange(name, `an integer >= ${min} or Infinity`, value);
  }
  return value;
}

// A finite integer >= min (no Infinity).
function validateFiniteCount(name, value, min, fallback) {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (!Number.isInteger(value) || value < min) {
    throw outOfRange(name, `an integer >= ${min}`, value);
  }
  return value;
}

// Milliseconds: undefined or Infinity mean "no timeout".
function validateTimeout(name, value) {
  if (value === undefined || value === Infinity) return undefined;
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (Number.isNaN(value) || value < 0 || value > MAX_TIMER_MS) {
    throw outOfRange(name, `>= 0 and <= ${MAX_TIMER_MS}, or Infinity`, value);
  }
  return value;
}

function validateDelay(name, value) {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (Number.isNaN(value) || value < 0 || value > MAX_TIMER_MS) {
    throw outOfRange(name, `>= 0 and <= ${MAX_TIMER_MS}`, value);
  }
  return value;
}

function validateSignal(name, value) {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object' || typeof value.aborted !== 'boolean' ||
      typeof value.addEventListener !== 'function') {
    throw invalidArgType(name, 'an instance of AbortSignal', value);
  }
  return value;
}

function validateHeaderName(name, value) {
  if (!isValidHeaderName(value)) throw invalidArgValue(name, value, 'must be a valid HTTP header name');
  return value;
}

let defaultContext = null;

function hasMethod(value, method) {
  const dot = method.indexOf('.');
  if (dot === -1) return typeof value[method] === 'function';
  const owner = value[method.slice(0, dot)];
  return owner !== null && typeof owner === 'object' && hasMethod(owner, method.slice(dot + 1));
}

// The `context` option every kit module takes: undefined means ctxframe/context's
// requestContext (loaded on first use); anything else must be a context type with the methods
// the module calls (a dotted name such as 'storage.run' reaches into a property).
function contextOption(options, methods) {
  const given = options === undefined ? undefined : options.context;
  if (given === undefined) {
    if (defaultContext === null) defaultContext = require('./kit/context.js').requestContext;
    return defaultContext;
  }
  if (given === null || typeof given !== 'object' || !methods.every((m) => hasMethod(given, m))) {
    throw invalidArgType('options.context', 'a context created by createContext()', given);
  }
  return given;
}

module.exports = {
  MAX_TIMER_MS,
  REQUEST_ID_RE,
  HEADER_NAME_RE,
  isValidRequestId,
  isValidHeaderName,
  isPlainObject,
  isThenable,
  validateOptions,
  checkKnownKeys,
  validateObject,
  validateFunction,
  validateOptionalFunction,
  validateBoolean,
  validateNonEmptyString,
  validateInteger,
  validateCount,
  validateFiniteCount,
  validateTimeout,
  validateDelay,
  validateSignal,
  validateHeaderName,
  contextOption,
};
