'use strict';
// ctxframe/worker. Owns: handing the current request context to a worker_threads Worker (or any
// MessagePort) with a message or with workerData, and runs the receiving handler inside it.
// Only a JSON-safe copy of the context crosses; a receiver validates what arrives.

const { randomUUID } = require('node:crypto');
const { captureContext, isJsonSafe } = require('./jobs.js');
const { invalidArgType } = require('../../errors.js');

const MARK = '@@ctxframe/worker';
const VERSION = 1;

let defaultContext = null;
function contextOf(options) {
  if (options !== undefined && (options === null || typeof options !== 'object')) {
    throw invalidArgType('options', 'of type object', options);
  }
  const context = options && options.context !== undefined ? options.context : null;
  if (context === null) {
    if (defaultContext === null) defaultContext = require('../context.js').requestContext;
    return defaultContext;
  }
  if (typeof context.run !== 'function' || typeof context.currentOrNull !== 'function') {
    throw invalidArgType('options.context', 'a context created by createContext()', context);
  }
  return context;
}

function isPlainObject(value) {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
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

const warned = new Set();
function warnMalformedOnce() {
  const code = 'CTXFRAME_WORKER_CONTEXT_MALFORMED';
  if (warned.has(code)) return;
  warned.add(code);
  process.emitWarning('A worker message or workerData carried a malformed context; it runs in a ' +
    'fresh context with a new requestId. (ctxframe warns once per process.)',
  { type: 'CtxframeWarning', code });
}

// value -> { ctx, data }: ctx is the carried context or null (plain value or malformed envelope).
function open(value) {
  if (!isPlainObject(value) || !Object.prototype.hasOwnProperty.call(value, MARK)) {
    return { ctx: null, data: value };
  }
  const keys = Object.keys(value);
  const valid = value[MARK] === VERSION && isPlainObject(value.ctx) && isJsonSafe(value.ctx) &&
    keys.every((key) => key === MARK || key === 'ctx' || key === 'data');
  if (!valid) {
    warnMalformedOnce();
    return { ctx: null, data: value.data };
  }
  return { ctx: value.ctx, data: value.data };
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
  if (typeof handler !== 'function') throw invalidArgType('handler', 'of type function', handler);
  const context = contextOf(options);
  const port = options && options.port !== undefined ? options.port : defaultPort();
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
  if (typeof fn !== 'function') throw invalidArgType('fn', 'of type function', fn);
  const context = contextOf(options);
  const workerData = options && Object.prototype.hasOwnProperty.call(options, 'workerData')
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
