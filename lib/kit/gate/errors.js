'use strict';
// Owns: the error classes of ctxframe/gate: one class per way a gated operation can fail to
// produce its own result, each with a stable `code`. Shared by AsyncGate, map,
// retry and ResourcePool.

const { stampCode } = require('../../errors.js');

const CODES = Object.freeze({
  QUEUE_FULL: 'CTXFRAME_GATE_QUEUE_FULL',
  ABORTED: 'CTXFRAME_GATE_ABORTED',
  TIMEOUT: 'CTXFRAME_GATE_TIMEOUT',
  CLOSED: 'CTXFRAME_GATE_CLOSED',
});

// Every gate error is a GateError with its code stamped the one way coded errors get it
// (lib/errors.js): `err.code`, and `GateTimeoutError [CTXFRAME_GATE_TIMEOUT]: …` in the stack.
class GateError extends Error {
  constructor(code, message, options) {
    super(message, options);
    stampCode(this, code);
  }
}

function nameClass(Class) {
  Object.defineProperty(Class.prototype, 'name', {
    value: Class.name, enumerable: false, writable: true, configurable: true,
  });
  return Class;
}

// The queue already holds `maxQueue` waiting tasks.
class GateQueueFullError extends GateError {
  constructor(maxQueue) {
    super(CODES.QUEUE_FULL, `The queue is full (maxQueue: ${maxQueue})`);
    this.maxQueue = maxQueue;
  }
}

// The caller's AbortSignal fired; `cause` is `signal.reason`.
class GateAbortedError extends GateError {
  constructor(reason) {
    super(CODES.ABORTED, 'The operation was aborted', { cause: reason });
  }
}

// The operation's `timeout` (milliseconds, counted from the call) elapsed.
class GateTimeoutError extends GateError {
  constructor(timeout) {
    super(CODES.TIMEOUT, `The operation timed out after ${timeout} ms`);
    this.timeout = timeout;
  }
}

// The gate or pool was closed before the operation could start.
class GateClosedError extends GateError {
  constructor(what = 'gate') {
    super(CODES.CLOSED, `The ${what} is closed`);
  }
}

for (const Class of [GateError, GateQueueFullError, GateAbortedError,
  GateTimeoutError, GateClosedError]) nameClass(Class);

module.exports = {
  CODES,
  GateError,
  GateQueueFullError,
  GateAbortedError,
  GateTimeoutError,
  GateClosedError,
};
