'use strict';
// Owns: retry(fn, { retries, backoff, signal, shouldRetry, onRetry }): calls fn until it
// succeeds or the retries are used up. Every attempt (and every shouldRetry,
// backoff and onRetry call) runs in the context that was current when retry() was
// called, whatever context the backoff timer fires in. The final rejection is the
// last attempt's error itself, unwrapped; abort rejects with CTXFRAME_GATE_ABORTED.

const { AsyncLocalStorage } = require('../../index.js');
const { GateAbortedError } = require('./errors.js');
const { watchAbort, unwatchAbort } = require('./queue.js');
const { invalidArgType, outOfRange } = require('../../errors.js');
const {
  validateFunction, validateOptionalFunction, validateOptions, validateCount,
  validateDelay, validateSignal, validateBoolean, MAX_TIMER_MS,
} = require('../../validators.js');

function invoke(fn, arg1, arg2, arg3) { return fn(arg1, arg2, arg3); }

class RetryRun {
  constructor(fn, retries, backoff, signal, shouldRetry, onRetry, snapshot, resolve, reject) {
    this.fn = fn;
    this.retries = retries;
    this.backoff = backoff;
    this.signal = signal;
    this.shouldRetry = shouldRetry;
    this.onRetry = onRetry;
    this.snapshot = snapshot;
    this.resolve = resolve;
    this.reject = reject;
    this.attempt = 0;
    this.done = false;
    this.timer = null;
  }

  // Runs attempt number this.attempt + 1 in the original context.
  start() {
    this.timer = null;
    if (this.done) return;
    const attempt = ++this.attempt;
    let result;
    try {
      result = this.snapshot(invoke, this.fn, { attempt, signal: this.signal });
    } catch (error) {
      result = Promise.reject(error);
    }
    Promise.resolve(result).then((value) => this.finish(true, value),
      (error) => this.failed(error, attempt));
  }

  failed(error, attempt) {
    if (this.done) return;
    if (attempt > this.retries) { this.finish(false, error); return; }
    if (this.shouldRetry === undefined) { this.schedule(error, attempt); return; }
    let verdict;
    try {
      verdict = this.snapshot(invoke, this.shouldRetry, error, attempt);
    } catch (predicateError) {
      this.finish(false, predicateError);
      return;
    }
    Promise.resolve(verdict).then((again) => {
      if (this.done) return;
      if (again) this.schedule(error, attempt); else this.finish(false, error);
    }, (predicateError) => this.finish(false, predicateError));
  }

  schedule(error, attempt) {
    let delay;
    try {
      delay = typeof this.backoff === 'function'
        ? this.snapshot(invoke, this.backoff, attempt, error) : this.backoff;
      validateDelay('backoff(attempt)', delay);
      if (this.onRetry !== undefined) {
        this.snapshot(invoke, this.onRetry, error, { attempt, delay });
      }
    } catch (hookError) {
      this.finish(false, hookError);
      return;
    }
    if (this.done) return; // onRetry may have aborted the signal
    this.timer = setTimeout(startAttempt, delay, this);
  }

  onAbort(reason) { this.finish(false, new GateAbortedError(reason)); }

  finish(ok, value) {
    if (this.done) return;
    this.done = true;
    if (this.timer !== null) { clearTimeout(this.timer); this.timer = null; }
    if (this.signal !== undefined) unwatchAbort(this.signal, this);
    const { resolve, reject } = this;
    this.fn = this.shouldRetry = this.onRetry = this.backoff = this.snapshot = null;
    this.resolve = this.reject = null;
    if (ok) resolve(value); else reject(value);
  }
}

// Timer callback. Whatever context the timer fires in, start() calls every user
// function through the snapshot taken at retry().
function startAttempt(run) { run.start(); }

function validateBackoff(value) {
  if (value === undefined) return 0;
  if (typeof value === 'function') return value;
  if (typeof value !== 'number') {
    throw invalidArgType('options.backoff', 'of type number or function', value);
  }
  return validateDelay('options.backoff', value);
}

// retry(fn, options) -> Promise of fn's first successful result.
// fn is called as fn({ attempt, signal }), attempt counting from 1.
function retry(fn, options) {
  validateFunction('fn', fn);
  options = validateOptions('options', options, ['retries', 'backoff', 'signal', 'shouldRetry', 'onRetry']);
  const retries = validateCount('options.retries', options.retries, 0, 3);
  const backoff = validateBackoff(options.backoff);
  const signal = validateSignal('options.signal', options.signal);
  const shouldRetry = validateOptionalFunction('options.shouldRetry', options.shouldRetry);
  const onRetry = validateOptionalFunction('options.onRetry', options.onRetry);
  if (signal !== undefined && signal.aborted) {
    return Promise.reject(new GateAbortedError(signal.reason));
  }
  const snapshot = AsyncLocalStorage.snapshot();
  return new Promise((resolve, reject) => {
    const run = new RetryRun(fn, retries, backoff, signal, shouldRetry, onRetry,
      snapshot, resolve, reject);
    if (signal !== undefined) watchAbort(signal, run);
    run.start();
  });
}

// exponentialBackoff({ initial, factor, max, jitter }) -> backoff function:
// attempt n waits min(max, initial * factor^(n-1)) ms, times a random factor in
// [0.5, 1) when jitter is true (the default).
function exponentialBackoff(options) {
  options = validateOptions('options', options, ['initial', 'factor', 'max', 'jitter']);
  const initial = options.initial === undefined ? 100 : validateDelay('options.initial', options.initial);
  const max = options.max === undefined ? 30000 : validateDelay('options.max', options.max);
  const factor = options.factor === undefined ? 2 : options.factor;
  if (typeof factor !== 'number') throw invalidArgType('options.factor', 'of type number', factor);
  if (!(factor >= 1) || !Number.isFinite(factor)) {
    throw outOfRange('options.factor', 'a finite number >= 1', factor);
  }
  const jitter = validateBoolean('options.jitter', options.jitter, true);
  return function backoff(attempt) {
    const base = Math.min(max, initial * factor ** (attempt - 1), MAX_TIMER_MS);
    return jitter ? Math.floor(base * (0.5 + Math.random() / 2)) : base;
  };
}

module.exports = { retry, exponentialBackoff };
