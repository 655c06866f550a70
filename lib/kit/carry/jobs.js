'use strict';
// ctxframe/jobs. Owns: carrying the request context inside a job payload (`_ctx` envelope:
// versioned, JSON-safe, size-limited, optionally HMAC-signed) and runs job processors inside
// the context their job carries. Queue-library neutral; ctxframe/bullmq builds on it.

const { createHmac, randomUUID, timingSafeEqual } = require('node:crypto');
const { invalidArgType, withCode, warnOnce } = require('../../errors.js');
const { validateOptions, validateBoolean, validateInteger, validateFunction, contextOption,
  isPlainObject } = require('../../validators.js');
const { copyJsonSafe, isJsonSafeError } = require('../../json-safe.js');

const ENVELOPE_KEY = '_ctx';
const ENVELOPE_VERSION = 1;
const DEFAULT_MAX_BYTES = 4096;
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


// True when `value` is JSON-safe data: string, finite number, boolean, null, plain arrays and
// plain objects of those (no cycles, bounded depth; undefined object fields are left out, as
// JSON.stringify does). The same rule as ctxframe/context.
function isJsonSafe(value) {
  try {
    copyJsonSafe(value, {});
    return true;
  } catch (err) {
    if (isJsonSafeError(err)) return false;
    throw err;
  }
}

const JOB_OPTIONS = ['context', 'maxBytes', 'secret', 'strict'];
const PROCESSOR_OPTIONS = [...JOB_OPTIONS, 'getPayload'];

function checkOptions(options, known = JOB_OPTIONS) {
  options = validateOptions('options', options, known);
  return {
    context: contextOption(options, ['run', 'currentOrNull']),
    maxBytes: validateInteger('options.maxBytes', options.maxBytes, 2, DEFAULT_MAX_BYTES),
    secret: validateSecret(options.secret),
    strict: validateBoolean('options.strict', options.strict, false),
  };
}

function validateSecret(secret) {
  if (secret !== undefined &&
      !((typeof secret === 'string' || Buffer.isBuffer(secret)) && secret.length > 0)) {
    throw invalidArgType('options.secret', 'a non-empty string or Buffer', secret);
  }
  return secret;
}

function sign(secret, v, ts, ctxJson) {
  return createHmac('sha256', secret).update(`${v}.${ts}.${ctxJson}`).digest('base64url');
}

// The current context as a JSON-safe copy (limited to maxBytes), or null outside one.
// Throws CTXFRAME_INVALID_CONTEXT or CTXFRAME_CONTEXT_TOO_LARGE.
function copyCurrent(context, maxBytes) {
  const ctx = context.currentOrNull();
  if (ctx === null || ctx === undefined) return null;
  return copyJsonSafe(ctx, { name: 'The current context', path: 'ctx', maxBytes });
}

// JSON-safe copy of the current context, or null outside one.
function captureContext(options) {
  const { context } = checkOptions(options);
  return copyCurrent(context, undefined);
}

// A shallow copy of `payload` with `_ctx` holding the current context; outside a context the
// copy carries no `_ctx` (a stale one from an earlier job is dropped).
function injectContext(payload, options) {
  const opts = checkOptions(options);
  if (payload === undefined || payload === null) payload = {};
  if (!isPlainObject(payload)) throw invalidArgType('payload', 'a plain object', payload);
  const copy = { ...payload };
  delete copy[ENVELOPE_KEY];
  let ctx;
  try {
    ctx = copyCurrent(opts.context, opts.maxBytes);
  } catch (err) {
    if (err === null || typeof err !== 'object' || err.code !== 'CTXFRAME_CONTEXT_TOO_LARGE') throw err;
    throw withCode(RangeError, PROBLEM_CODES.too_large, err.message, { cause: err });
  }
  if (ctx === null) return copy;
  const ctxJson = JSON.stringify(ctx);
  const envelope = { v: ENVELOPE_VERSION, ctx, ts: Date.now() };
  if (opts.secret !== undefined) {
    envelope.sig = sign(opts.secret, envelope.v, envelope.ts, ctxJson);
  }
  copy[ENVELOPE_KEY] = envelope;
  return copy;
}

// -> { context, problem }: reads the envelope as untrusted data. Every read that could run a
// Proxy trap or an accessor is guarded: whatever throws makes the envelope 'malformed'.
function open(payload, opts) {
  try {
    return openEnvelope(payload, opts);
  } catch (err) {
    if (err !== null && typeof err === 'object' && err.code === 'CTXFRAME_CONTEXT_TOO_LARGE' &&
        isJsonSafeError(err)) {
      return { context: null, problem: 'too_large' };
    }
    return { context: null, problem: 'malformed' };
  }
}

function openEnvelope(payload, opts) {
  const problem = (name) => ({ context: null, problem: name });
  if (payload === null || typeof payload !== 'object') return problem('missing');
  const slot = Object.getOwnPropertyDescriptor(payload, ENVELOPE_KEY);
  if (slot === undefined) return problem('missing');
  if (!('value' in slot)) return problem('malformed');
  const env = slot.value;
  if (!isPlainObject(env)) return problem('malformed');
  const field = (name) => {
    const desc = Object.getOwnPropertyDescriptor(env, name);
    if (desc !== undefined && !('value' in desc)) throw new TypeError('accessor in envelope');
    return desc === undefined ? undefined : desc.value;
  };
  const v = field('v');
  if (!Number.isSafeInteger(v) || v < 1) return problem('malformed');
  if (v !== ENVELOPE_VERSION) return problem('unknown_version');
  for (const key of Object.keys(env)) {
    if (!ENVELOPE_FIELDS.has(key)) return problem('tampered');
  }
  const ts = field('ts');
  const sig = field('sig');
  const carried = field('ctx');
  if (!isPlainObject(carried) || !Number.isFinite(ts)) return problem('malformed');
  if (sig !== undefined && typeof sig !== 'string') return problem('malformed');
  // Throws CTXFRAME_INVALID_CONTEXT (malformed) or CTXFRAME_CONTEXT_TOO_LARGE, caught by open().
  const ctx = copyJsonSafe(carried, { name: 'The job context', path: '_ctx.ctx', maxBytes: opts.maxBytes });
  if (opts.secret !== undefined) {
    if (typeof sig !== 'string') return problem('tampered');
    const expected = Buffer.from(sign(opts.secret, v, ts, JSON.stringify(ctx)));
    const actual = Buffer.from(sig);
    if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) return problem('tampered');
  }
  return { context: ctx, problem: null };
}

// { context, problem }: the context carried by `payload` (a JSON-safe plain object) and
// null, or null and one of 'missing' | 'malformed' | 'too_large' | 'unknown_version' | 'tampered'.
function extractContext(payload, options) {
  return open(payload, checkOptions(options));
}

function warnProblemOnce(problem) {
  warnOnce(PROBLEM_CODES[problem], `A job ${PROBLEM_TEXT[problem]}; it runs in a fresh context ` +
    'with a new requestId. (ctxframe warns once per kind of problem per process; pass ' +
    'strict: true to fail such jobs instead.)');
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
  validateFunction('fn', fn);
  const opts = checkOptions(options, PROCESSOR_OPTIONS);
  const getPayload = options === undefined || options.getPayload === undefined
    ? defaultGetPayload : validateFunction('options.getPayload', options.getPayload);
  const { context } = opts;

  function runFresh(problem, self, args) {
    if (opts.strict) throw problemError(problem);
    warnProblemOnce(problem);
    return context.run({ requestId: randomUUID() }, () => Reflect.apply(fn, self, args));
  }

  return function contextJobProcessor(jobOrPayload, ...rest) {
    const args = [jobOrPayload, ...rest];
    let payload;
    try {
      payload = getPayload(jobOrPayload);
    } catch {
      payload = { [ENVELOPE_KEY]: null }; // a job whose payload cannot be read: malformed
    }
    const { context: carried, problem } = open(payload, opts);
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

module.exports = {
  injectContext,
  extractContext,
  wrapProcessor,
  captureContext,
  isJsonSafe,
  ENVELOPE_KEY,
  ENVELOPE_VERSION,
  DEFAULT_MAX_BYTES,
  PROBLEM_CODES,
};
