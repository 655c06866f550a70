'use strict';
// Owns: "once per process, not once per thread". A flag per key lives in a SharedArrayBuffer that
// worker_threads hands to every worker created afterwards (environment data is structured-cloned
// into each new worker, and a cloned SharedArrayBuffer is the same memory), so main + N workers
// agree on who went first. Threads without a common ancestor that asked first each have their own.

//
// node:worker_threads is loaded on the first question, not with ctxframe: it brings some thirty of
// Node's internal modules (streams, the worker machinery), a quarter of a megabyte of old
// generation that every process importing ctxframe would carry for a warning it may never emit.
// In a small service that is enough to cross V8's 8 MB threshold for its first full collection.

let workerThreads = null;

function flag(key) {
  if (workerThreads === null) workerThreads = require('node:worker_threads');
  const { getEnvironmentData, setEnvironmentData } = workerThreads;
  const name = `ctxframe.once.${key}`;
  let buffer = getEnvironmentData(name);
  if (!(buffer instanceof SharedArrayBuffer)) {
    buffer = new SharedArrayBuffer(4);
    setEnvironmentData(name, buffer);
  }
  return new Int32Array(buffer);
}

// True for the first caller with this key in this thread and every thread it creates afterwards.
function firstInProcess(key) {
  return Atomics.compareExchange(flag(key), 0, 0, 1) === 0;
}

module.exports = { firstInProcess };
