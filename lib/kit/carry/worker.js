'use strict';
// ctxframe/worker. Owns: handing the current request context to a worker_threads Worker (or any
// MessagePort) with a message or with workerData, and runs the receiving handler inside it.
// Only a JSON-safe copy of the context crosses; a receiver validates what arrives.

const { randomUUID } = require('node:crypto');
const { captureContext } = require('./jobs.js');
const { invalidArgType, warnOnce } = require('../../errors.js');
const { validateOptions, validateFunction, contextOption, isPlainObject } = require('../../validators.js');
const { copyJsonSafe } = require('../../json-safe.js');

const MARK = '@@ctxframe/worker';
const VERSION = 1;

function contextOf(options, known = ['context']) {
  return contextOption(validateOptions('options', options, known), ['run', 'currentOrNull']);
}

// { [MARK]: 1, ctx, data } carrying the current context; `data` itself outside a context.
function envelope(data, context) {
  const ctx = captureContext({ context });
  if (ctx === null) return data;
  return { [MARK]: VERSION, ctx, data };
}

// worker.postMessage(message + current context, transferList). Works with a Worker, a
// MessagePort or parentPort (for replies).
function postWithContext(target, message, transferList, options) {
  if (target === null || typeof target !== 'object' || typeof target.postMessage !== 'function') {
    throw invalidArgType('worker', 'a Worker or MessagePort', target);
  }
  const context = contextOf(options);
  if (transferList === undefined) return target.postMessage(envelope(message, context));
  return target.postMessage(envelope(message, context), transferList);
}

// For new Worker(file, { workerData: workerDataWithContext(data) }).
function workerDataWithContext(data, options) {
  return envelope(data, contextOf(options));
}

function warnMalformedOnce() {
  warnOnce('CTXFRAME_WORKER_CONTEXT_MALFORMED', 'A worker message or workerData carried a ' +
    'malformed context; it runs in a fresh context with a new requestId. (ctxframe warns once ' +
    'per process.)');
}

// value -> { ctx, data }: ctx is the carried context or null (plain value or malformed envelope).
function open(value) {
  if (!isPlainObject(value) || !Object.prototype.hasOwnProperty.call(value, MARK)) {
    return { ctx: null, data: value };
  }
  let ctx = null;
  try {
    if (value[MARK] === VERSION && isPlainObject(value.ctx) &&
        Object.keys(value).every((key) => key === MARK || key === 'ctx' || key === 'data')) {
      ctx = copyJsonSafe(value.ctx, { name: 'The worker context' });
    }
  } catch {
    ctx = null; // not JSON-safe (or unreadable): malformed
  }
  if (ctx === null) warnMalformedOnce();
  return { ctx, data: value.data };
}

// Runs fn(data) in the carried context, or in a fresh one (new requestId) when none arrived or
// the context refuses what arrived. fn's own result or exception passes through untouched.
function runIn(context, ctx, fn, data) {
  if (ctx !== null) {
    let entered = false;
    try {
      return context.run(ctx, () => {
        entered = true;
        return fn(data);
      });
    } catch (err) {
      if (entered) throw err;
      warnMalformedOnce();
    }
  }
  return context.run({ requestId: randomUUID() }, fn, data);
}

function defaultPort() {
  return require('node:worker_threads').parentPort;
}

// Worker side: handler(message) for every message on options.port (default parentPort), run
// inside the context it carries; plain messages reach it too, in a fresh context. Returns a
// function that removes the listener.
function onContextMessage(handler, options) {
  validateFunction('handler', handler);
  const context = contextOf(options, ['context', 'port']);
  const port = options !== undefined && options.port !== undefined ? options.port : defaultPort();
  if (port === null || typeof port !== 'object' || typeof port.on !== 'function') {
    throw invalidArgType('options.port',
      'a MessagePort or Worker (outside a worker thread there is no parentPort)', port);
  }
  const listener = (value) => {
    const { ctx, data } = open(value);
    runIn(context, ctx, handler, data);
  };
  port.on('message', listener);
  return () => port.off('message', listener);
}

// Worker side: fn(data) inside the context carried by workerData (options.workerData to
// override), or in a fresh context when workerData carries none.
function runWithWorkerDataContext(fn, options) {
  validateFunction('fn', fn);
  const context = contextOf(options, ['context', 'workerData']);
  const workerData = options !== undefined && Object.prototype.hasOwnProperty.call(options, 'workerData')
    ? options.workerData : require('node:worker_threads').workerData;
  const { ctx, data } = open(workerData);
  return runIn(context, ctx, fn, data);
}

module.exports = {
  postWithContext,
  workerDataWithContext,
  onContextMessage,
  runWithWorkerDataContext,
  ENVELOPE_MARK: MARK,
};
