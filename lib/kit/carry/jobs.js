'use strict';
// ctxframe/jobs. Owns: carrying the request context inside a job payload (`_ctx` envelope:
// versioned, JSON-safe, size-limited, optionally HMAC-signed) and runs job processors inside
// the context their job carries. Queue-library neutral; ctxframe/bullmq builds on it.

const { createHmac, randomUUID, timingSafeEqual } = require('node:crypto');
const { invalidArgType, outOfRange, withCode } = require('../../errors.js');
const { contextOption } = require('../context-option.js');

const ENVELOPE_KEY = '_ctx';
const ENVELOPE_VERSION = 1;
const DEFAULT_MAX_BYTES = 4096;
const MAX_DEPTH = 32;
const ENVELOPE_FIELDS = new Set(['v', 'ctx', 'ts', 'sig']);

// problem -> stable warning / error code
const PROBLEM_CODES = Object.freeze({
  missing: 'CTXFRAME_JOB_CONTEXT_MISSING',
  malformed: 'CTXFRAME_JOB_CONTEXT_MALFORMED',
  too_large: 'CTXFRAME_JOB_CONTEXT_TOO_LARGE',
  unknown_version: 'CTXFRAME_JOB_CONTEXT_UNKNOWN_VERSION',
  tampered: 'CTXFRAME_JOB_CONTEXT_TAMPERED',
});

const PROBLEM_TEXT = Object.freeze({
  missing: 'carries no context (no _ctx field)',
  malformed: 'carries a malformed context (_ctx is not a valid envelope of JSON-safe data)',
  too_large: 'carries a context larger than the limit',
  unknown_version: 'carries a context envelope of an unknown version',
  tampered: 'carries a context that failed its integrity check (unknown fields or bad signature)',
});


function isPlainObject(value) {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

// True when `value` is JSON-safe data: string, finite number, boolean, null, plain arrays and
// plain objects of those (no cycles, bounded depth).
function isJsonSafe(value, depth = 0, seen = new Set()) {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object':
      break;
    default:
      return false;
  }
  if (value === null) return true;
  if (depth > MAX_DEPTH || seen.has(value)) return false;
  seen.add(value);
  let ok = true;
  if (Array.isArray(value)) {
    if (Object.getPrototypeOf(value) !== Array.prototype) ok = false;
    for (let i = 0; ok && i < value.length; i++) {
      ok = Object.prototype.hasOwnProperty.call(value, i) && isJsonSafe(value[i], depth + 1, seen);
    }
  } else if (!isPlainObject(value) || Object.getOwnPropertySymbols(value).length > 0) {
    ok = false;
  } else {
    for (const key of Object.keys(value)) {
      const desc = Object.getOwnPropertyDescriptor(value, key);
      if (!('value' in desc) || !isJsonSafe(desc.value, depth + 1, seen)) { ok = false; break; }
    }
  }
  seen.delete(value);
  return ok;
}

function checkOptions(options) {
  if (options === undefined) options = {};
  if (options === null || typeof options !== 'object') {
    throw invalidArgType('options', 'of type object', options);
  }
  const context = contextOption(options, ['run', 'currentOrNull']);
  const maxBytes = options.maxBytes === undefined ? DEFAULT_MAX_BYTES : options.maxBytes;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 2) {
    throw outOfRange('options.maxBytes', 'an integer >= 2', maxBytes);
  }
  const secret = options.secret;
  if (secret !== undefined &&
      !((typeof secret === 'string' || Buffer.isBuffer(secret)) && secret.length > 0)) {
    throw invalidArgType('options.secret', 'a non-empty string or Buffer', secret);
  }
  if (options.strict !== undefined && typeof options.strict !== 'boolean') {
    throw invalidArgType('options.strict', 'of type boolean', options.strict);
  }
  return { context, maxBytes, secret, strict: options.strict === true };
}

function sign(secret, v, ts, ctxJson) {
  return createHmac('sha256', secret).update(`${v}.${ts}.${ctxJson}`).digest('base64url');
}

// JSON-safe copy of the current context, or null outside one.
function captureContext(options) {
  const { context } = checkOptions(options);
  const ctx = context.currentOrNull();
  if (ctx === null) return null;
  if (!isJsonSafe(ctx)) {
    throw withCode(TypeError, 'CTXFRAME_INVALID_CONTEXT',
      'The current context is not JSON-safe and cannot cross a process boundary.');
  }
  return JSON.parse(JSON.stringify(ctx));
}

// A shallow copy of `payload` with `_ctx` holding the current context; outside a context the
// copy carries no `_ctx` (a stale one from an earlier job is dropped).
function injectContext(payload, options) {
  const opts = checkOptions(options);
  if (payload === undefined || payload === null) payload = {};
  if (!isPlainObject(payload)) throw invalidArgType('payload', 'a plain object', payload);
  const copy = { ...payload };
  delete copy[ENVELOPE_KEY];
  const ctx = captureContext({ context: opts.context });
  if (ctx === null) return copy;
  const ctxJson = JSON.stringify(ctx);
  const bytes = Buffer.byteLength(ctxJson);
  if (bytes > opts.maxBytes) {
    throw withCode(RangeError, PROBLEM_CODES.too_large,
      `The current context is ${bytes} bytes as JSON; a job may carry at most ${opts.maxBytes} ` +
      'bytes (options.maxBytes).');
  }
  const envelope = { v: ENVELOPE_VERSION, ctx, ts: Date.now() };
  if (opts.secret !== undefined) {
    envelope.sig = sign(opts.secret, envelope.v, envelope.ts, ctxJson);
  }
  copy[ENVELOPE_KEY] = envelope;
  return copy;
}

function check(payload, opts) {
  if (payload === null || typeof payload !== 'object' ||
      !Object.prototype.hasOwnProperty.call(payload, ENVELOPE_KEY)) {
    return 'missing';
  }
  const env = payload[ENVELOPE_KEY];
  if (!isPlainObject(env)) return 'malformed';
  if (!Number.isSafeInteger(env.v) || env.v < 1) return 'malformed';
  if (env.v !== ENVELOPE_VERSION) return 'unknown_version';
  for (const key of Object.keys(env)) {
    if (!ENVELOPE_FIELDS.has(key)) return 'tampered';
  }
  if (!isPlainObject(env.ctx) || !Number.isFinite(env.ts)) return 'malformed';
  if (env.sig !== undefined && typeof env.sig !== 'string') return 'malformed';
  if (!isJsonSafe(env.ctx)) return 'malformed';
  const ctxJson = JSON.stringify(env.ctx);
  if (Buffer.byteLength(ctxJson) > opts.maxBytes) return 'too_large';
  if (opts.secret !== undefined) {
    if (typeof env.sig !== 'string') return 'tampered';
    const expected = Buffer.from(sign(opts.secret, env.v, env.ts, ctxJson));
    const actual = Buffer.from(env.sig);
    if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) return 'tampered';
  }
  return null;
}

// { context, problem }: the context carried by `payload` (a JSON-safe plain object) and
// null, or null and one of 'missing' | 'malformed' | 'too_large' | 'unknown_version' | 'tampered'.
function extractContext(payload, options) {
  const opts = checkOptions(options);
  const problem = check(payload, opts);
  if (problem !== null) return { context: null, problem };
  return { context: JSON.parse(JSON.stringify(payload[ENVELOPE_KEY].ctx)), problem: null };
}

const warned = new Set();
function warnOnce(problem) {
  const code = PROBLEM_CODES[problem];
  if (warned.has(code)) return;
  warned.add(code);
  process.emitWarning(`A job ${PROBLEM_TEXT[problem]}; it runs in a fresh context with a new ` +
    'requestId. (ctxframe warns once per kind of problem per process; pass strict: true to ' +
    'fail such jobs instead.)', { type: 'CtxframeWarning', code });
}

function problemError(problem) {
  return withCode(Error, PROBLEM_CODES[problem],
    `Job refused (strict): it ${PROBLEM_TEXT[problem]}.`);
}

// A BullMQ-style job object carries its payload in `.data`; anything else is the payload.
function defaultGetPayload(jobOrPayload) {
  if (jobOrPayload !== null && typeof jobOrPayload === 'object' &&
      !Object.prototype.hasOwnProperty.call(jobOrPayload, ENVELOPE_KEY) &&
      jobOrPayload.data !== null && typeof jobOrPayload.data === 'object') {
    return jobOrPayload.data;
  }
  return jobOrPayload;
}

// fn(jobOrPayload, ...rest) runs inside the context carried by the job. Problems: fresh
// context + one warning per kind (or, strict, an error with the problem's code). fn's own
// result, exception or rejection passes through untouched.
function wrapProcessor(fn, options) {
  if (typeof fn !== 'function') throw invalidArgType('fn', 'of type function', fn);
  const opts = checkOptions(options);
  const getPayload = options && options.getPayload !== undefined
    ? options.getPayload : defaultGetPayload;
  if (typeof getPayload !== 'function') {
    throw invalidArgType('options.getPayload', 'of type function', getPayload);
  }
  const { context } = opts;

  function runFresh(problem, self, args) {
    if (opts.strict) throw problemError(problem);
    warnOnce(problem);
    return context.run({ requestId: randomUUID() }, () => Reflect.apply(fn, self, args));
  }

  return function contextJobProcessor(jobOrPayload, ...rest) {
    const args = [jobOrPayload, ...rest];
    const { context: carried, problem } = extractContext(getPayload(jobOrPayload), opts);
    if (problem !== null) return runFresh(problem, this, args);
    let entered = false;
    try {
      return context.run(carried, () => {
        entered = true;
        return Reflect.apply(fn, this, args);
      });
    } catch (err) {
      if (entered) throw err; // the processor's own error, untouched
      // The context refused the carried value (its own size limit or validation).
      return runFresh(err && err.code === 'CTXFRAME_CONTEXT_TOO_LARGE' ? 'too_large' : 'malformed',
        this, args);
    }
  };
}

// For tests: forget which warnings were already emitted in this process.
function resetWarningsForTesting() {
  warned.clear();
}

module.exports = {
  injectContext,
  extractContext,
  wrapProcessor,
  captureContext,
  isJsonSafe,
  resetWarningsForTesting,
  ENVELOPE_KEY,
  ENVELOPE_VERSION,
  DEFAULT_MAX_BYTES,
  PROBLEM_CODES,
};
