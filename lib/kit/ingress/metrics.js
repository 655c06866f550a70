'use strict';
// Owns: per-request metrics of the ingress modules — the storage that carries a request's
// record ({ startTime, start, counters }), count(name, n) and requestMetrics(). A record lives
// in its own storage, never inside the frozen context, so every with() copy of the context
// shares it.

const { performance } = require('node:perf_hooks');
const { AsyncLocalStorage } = require('../../index.js');
const { invalidArgType } = require('../../errors.js');
const { validateNonEmptyString } = require('../../validators.js');

const metricsStorage = new AsyncLocalStorage({ name: 'ctxframe.requestMetrics' });

function newRecord() {
  return { start: performance.now(), startTime: Date.now(), counters: Object.create(null) };
}

function count(name, n = 1) {
  validateNonEmptyString('name', name);
  if (typeof n !== 'number' || !Number.isFinite(n)) throw invalidArgType('n', 'a finite number', n);
  const record = metricsStorage.getStore();
  if (record === undefined) return undefined; // outside a request: nothing to count into
  const counters = record.counters;
  counters[name] = (counters[name] || 0) + n;
  return counters[name];
}

function snapshotCounters(record) {
  return Object.assign({}, record.counters);
}

function requestMetrics() {
  const record = metricsStorage.getStore();
  if (record === undefined) return null;
  return {
    startTime: record.startTime,
    durationMs: performance.now() - record.start,
    counters: snapshotCounters(record),
  };
}

module.exports = { metricsStorage, newRecord, count, requestMetrics, snapshotCounters };
