'use strict';
// Owns: every error and warning code ctxframe emits (CODES; docs/errors.md explains each one and
// its fix), the one way to make a coded error (withCode; the gate's error classes call
// stampCode), the Node-style argument errors, and the one warning channel (emitWarning, warnOnce)
// with its one warning type. Shared by the core and every kit module.
//
// A coded error looks like Node's own: `err.code` is a non-enumerable own property, `err.name`
// stays the class's name, and the stack (what util.inspect and an uncaught error print) starts
// with `TypeError [CODE]: message`.

const { inspect } = require('node:util');
const { firstInProcess } = require('./process-once.js');

// code -> what it is. `kind` is 'error' (thrown or rejected) or 'warning' (process warning,
// type WARNING_TYPE); some job codes are both: a warning by default, an error with strict: true.
const CODES = Object.freeze({
  // Node's own argument codes, used the way Node uses them.
  ERR_INVALID_ARG_TYPE: { kind: 'error' },
  ERR_INVALID_ARG_VALUE: { kind: 'error' },
  ERR_OUT_OF_RANGE: { kind: 'error' },
  ERR_MISSING_ARGS: { kind: 'error' }, // thrown by the native bridge (src/slot_bridge.cc)
  // Options of every kit module: a key no option has (a typo), and a factory passed uncalled.
  CTXFRAME_UNKNOWN_OPTION: { kind: 'error' },
  CTXFRAME_FACTORY_NOT_CALLED: { kind: 'error' },
  // Loading and backend choice.
  CTXFRAME_NATIVE_INIT: { kind: 'error' }, // thrown by the addon itself (src/addon.c)
  CTXFRAME_NATIVE_UNAVAILABLE: { kind: 'warning' },
  CTXFRAME_FRAME_UNAVAILABLE: { kind: 'warning' },
  CTXFRAME_INVALID_BACKEND: { kind: 'warning' },
  CTXFRAME_DD_PROFILER_LABELS: { kind: 'warning' }, // ctxframe/register (frame-readers.js)
  // ctxframe/context.
  CTXFRAME_INVALID_CONTEXT: { kind: 'error' },
  CTXFRAME_CONTEXT_TOO_LARGE: { kind: 'error' },
  CTXFRAME_NO_CONTEXT: { kind: 'error' },
  // Ingress and outbound.
  CTXFRAME_INGRESS_ERROR: { kind: 'warning' },
  CTXFRAME_INGRESS_REFUSED: { kind: 'warning' },
  CTXFRAME_OUTBOUND_UNSUPPORTED: { kind: 'error' },
  CTXFRAME_OUTBOUND_MODE_CONFLICT: { kind: 'error' },
  CTXFRAME_OUTBOUND_CONTEXT_ERROR: { kind: 'warning' },
  // ctxframe/jobs, ctxframe/bullmq, ctxframe/worker.
  CTXFRAME_JOB_CONTEXT_MISSING: { kind: 'warning' },
  CTXFRAME_JOB_CONTEXT_MALFORMED: { kind: 'warning' },
  CTXFRAME_JOB_CONTEXT_TOO_LARGE: { kind: 'warning' },
  CTXFRAME_JOB_CONTEXT_UNKNOWN_VERSION: { kind: 'warning' },
  CTXFRAME_JOB_CONTEXT_TAMPERED: { kind: 'warning' },
  CTXFRAME_WORKER_CONTEXT_MALFORMED: { kind: 'warning' },
  // ctxframe/gate.
  CTXFRAME_GATE_QUEUE_FULL: { kind: 'error' },
  CTXFRAME_GATE_ABORTED: { kind: 'error' },
  CTXFRAME_GATE_TIMEOUT: { kind: 'error' },
  CTXFRAME_GATE_CLOSED: { kind: 'error' },
  CTXFRAME_POOL_ERROR: { kind: 'warning' },
});

// Every warning ctxframe emits has this type (process.on('warning', (w) => w.name)).
const WARNING_TYPE = 'CtxframeWarning';

function checkCode(code) {
  if (!Object.prototype.hasOwnProperty.call(CODES, code)) {
    throw new Error(`ctxframe internal error: unregistered error code ${code}`);
  }
}

// Gives `err` its code the way Node's own errors carry it. The name is set to "Name [CODE]"
// only while V8 renders the stack (rendered once, on first access), then the class's name shows
// through again. `skip`: the stack starts below this function (ctxframe's own helpers hidden).
function stampCode(err, code, skip) {
  checkCode(code);
  if (skip !== undefined) Error.captureStackTrace(err, skip);
  Object.defineProperty(err, 'code', {
    value: code, enumerable: false, writable: true, configurable: true,
  });
  const name = err.name;
  Object.defineProperty(err, 'name', {
    value: `${name} [${code}]`, enumerable: false, writable: true, configurable: true,
  });
  err.stack; // eslint-disable-line no-unused-expressions -- renders the stack with the code
  delete err.name;
  return err;
}

// The one way to make a coded error: withCode(TypeError, 'CTXFRAME_…', message, { cause }).
function withCode(Base, code, message, options, skip = withCode) {
  return stampCode(options === undefined ? new Base(message) : new Base(message, options), code, skip);
}

// Describe a received value the way Node's ERR_INVALID_ARG_TYPE does.
function describeReceived(value) {
  if (value == null) return ` Received ${value}`;
  if (typeof value === 'function') {
    return ` Received function ${value.name || '<anonymous>'}`;
  }
  if (typeof value === 'object') {
    let ctor;
    try {
      ctor = value.constructor;
    } catch {
      ctor = undefined; // a Proxy trap or a getter that throws: describe it without it
    }
    if (ctor && ctor.name) {
      return ` Received an instance of ${ctor.name}`;
    }
    return ` Received ${inspect(value, { depth: -1 })}`;
  }
  let shown = inspect(value, { colors: false });
  if (shown.length > 28) shown = `${shown.slice(0, 25)}...`;
  return ` Received type ${typeof value} (${shown})`;
}

// new TypeError('The "name" argument must be of type function. Received ...')
function invalidArgType(name, expected, value) {
  const kind = name.includes('.') ? 'property' : 'argument';
  return withCode(TypeError, 'ERR_INVALID_ARG_TYPE',
    `The "${name}" ${kind} must be ${expected}.${describeReceived(value)}`, undefined, invalidArgType);
}

function invalidArgValue(name, value, reason = 'is invalid') {
  const kind = name.includes('.') ? 'property' : 'argument';
  return withCode(TypeError, 'ERR_INVALID_ARG_VALUE',
    `The ${kind} '${name}' ${reason}. Received ${inspect(value)}`, undefined, invalidArgValue);
}

function outOfRange(name, range, value) {
  return withCode(RangeError, 'ERR_OUT_OF_RANGE',
    `The value of "${name}" is out of range. It must be ${range}. Received ${inspect(value)}`, undefined, outOfRange);
}

// A process warning with a registered code and ctxframe's warning type.
function emitWarning(code, message, detail) {
  checkCode(code);
  process.emitWarning(message, detail === undefined
    ? { type: WARNING_TYPE, code }
    : { type: WARNING_TYPE, code, detail });
}

// Once per code per process, not per thread (process-once.js: the main thread and the workers it
// creates share the flag). `message` may be a function, called only when the warning is emitted.
function warnOnce(code, message) {
  checkCode(code);
  if (!firstInProcess(`warned.${code}`)) return;
  emitWarning(code, typeof message === 'function' ? message() : message);
}

module.exports = {
  CODES,
  WARNING_TYPE,
  withCode,
  stampCode,
  invalidArgType,
  invalidArgValue,
  outOfRange,
  emitWarning,
  warnOnce,
};
