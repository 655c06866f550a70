'use strict';
// ctxframe/gate (entry point). Owns: the public surface of context-safe concurrency. AsyncGate (concurrency limit + queue),
// map (bounded read-ahead over an iterable), retry, ResourcePool, and their errors.
// Every piece captures the async context when work is scheduled and restores it
// when the work runs; see docs/concurrency.md for the guarantees.

const { AsyncGate } = require('./gate.js');
const { retry, exponentialBackoff } = require('./retry.js');
const { ResourcePool } = require('./pool.js');
const {
  CODES, GateError, GateQueueFullError, GateAbortedError, GateTimeoutError, GateClosedError,
} = require('./errors.js');
const { validateOptions, validateFiniteCount } = require('../../validators.js');

// map(iterable, fn, { concurrency = 1, ordered, signal, timeout }): gate.map over a
// private gate whose concurrency is the map's.
function map(iterable, fn, options) {
  const concurrency = validateFiniteCount('options.concurrency',
    validateOptions('options', options, ['concurrency', 'ordered', 'signal', 'timeout']).concurrency, 1, 1);
  return new AsyncGate({ concurrency }).map(iterable, fn, { ...options, concurrency });
}

function createPool(options) { return new ResourcePool(options); }

module.exports = {
  AsyncGate,
  map,
  retry,
  exponentialBackoff,
  ResourcePool,
  createPool,
  codes: CODES,
  // Named one by one so Node's ESM named-export detection (cjs-module-lexer) sees each:
  // import { GateTimeoutError } from 'ctxframe/gate'.
  GateError,
  GateQueueFullError,
  GateAbortedError,
  GateTimeoutError,
  GateClosedError,
};
