'use strict';
// Owns: gate.map(), which maps an async (or sync) iterable through an AsyncGate with bounded
// read-ahead. The source is pulled only while fewer than `concurrency` items are
// pulled-but-not-yet-consumed; every pull, every fn call and the source's return()
// run in the context that was current when map() was called; the source is closed
// (return()) when the consumer stops early, on the first error, or on abort.

const { AsyncLocalStorage } = require('../../index.js');
const { GateAbortedError } = require('./errors.js');
const { watchAbort, unwatchAbort } = require('./queue.js');
const { invalidArgType } = require('../../errors.js');
const {
  validateFunction, validateOptions, validateFiniteCount, validateTimeout,
  validateSignal, validateBoolean,
} = require('../../validators.js');

function openSource(iterable) {
  if (iterable != null) {
    const asyncOpen = iterable[Symbol.asyncIterator];
    if (typeof asyncOpen === 'function') return asyncOpen.call(iterable);
    const syncOpen = iterable[Symbol.iterator];
    if (typeof syncOpen === 'function') return syncOpen.call(iterable);
  }
  throw invalidArgType('iterable', 'an async iterable or an iterable', iterable);
}

function isIterable(value) {
  return value != null && (typeof value[Symbol.asyncIterator] === 'function' ||
    typeof value[Symbol.iterator] === 'function');
}

function callNext(iterator) { return iterator.next(); }
function callReturn(iterator) {
  return typeof iterator.return === 'function' ? iterator.return() : undefined;
}

class GateMapIterator {
  #gate;
  #iterable;
  #fn;
  #concurrency;
  #ordered;
  #signal;
  #timeout;
  #snapshot;
  #controller = new AbortController();
  #iterator = null;
  #started = false;
  #finished = false; // nothing more will be delivered
  #failure = null; // { error } waiting to be delivered
  #sourceDone = false; // no more pulls (exhausted, threw, or closed)
  #sourceClosed = false; // we called (or decided against calling) return()
  #pulling = false;
  #outstanding = 0; // pulled (or being pulled) and not yet released by the consumer
  #held = 0; // 1 while the consumer holds the last delivered value (until its next next())
  #nextIndex = 0;
  #deliverIndex = 0; // ordered mode: next index to hand out
  #results = new Map(); // ordered: index -> value
  #completed = []; // unordered: values in completion order
  #completedHead = 0;
  #consumers = []; // pending next() calls: { resolve, reject }
  #startItemInContext;

  constructor(gate, iterable, fn, concurrency, ordered, signal, timeout) {
    this.#gate = gate;
    this.#iterable = iterable;
    this.#fn = fn;
    this.#concurrency = concurrency;
    this.#ordered = ordered;
    this.#signal = signal;
    this.#timeout = timeout;
    this.#snapshot = AsyncLocalStorage.snapshot();
    this.#startItemInContext = (value, index) => this.#startItem(value, index);
    if (signal !== undefined) watchAbort(signal, this);
  }

  [Symbol.asyncIterator]() { return this; }

  next() {
    return new Promise((resolve, reject) => {
      // Asking for the next value releases the one delivered before: read-ahead is
      // counted against what the consumer has finished with, not what it was handed.
      this.#outstanding -= this.#held;
      this.#held = 0;
      this.#consumers.push({ resolve, reject });
      if (!this.#started) this.#begin();
      this.#pump();
    });
  }

  // The consumer stops early (break/return/throw in for await): abort running
  // items, close the source, resolve pending next() calls with done.
  return(value) {
    const closing = this.#finish();
    const consumers = this.#consumers;
    this.#consumers = [];
    for (const consumer of consumers) consumer.resolve({ value: undefined, done: true });
    return closing.then(() => ({ value, done: true }));
  }

  // throw(error) (used by yield* delegation): stops like return(), then rejects with error.
  throw(error) {
    return this.return().then(() => { throw error; });
  }

  // Called by the abort watcher when options.signal fires.
  onAbort(reason) { this.#fail(new GateAbortedError(reason), false); }

  #begin() {
    this.#started = true;
    if (this.#finished || this.#failure !== null) return; // stopped before the first pull
    if (this.#signal !== undefined && this.#signal.aborted) {
      this.#fail(new GateAbortedError(this.#signal.reason), false);
      return;
    }
    try {
      this.#iterator = this.#snapshot(openSource, this.#iterable);
    } catch (error) {
      this.#sourceDone = this.#sourceClosed = true;
      this.#fail(error, true);
    }
    this.#iterable = null;
  }

  #pump() {
    while (this.#consumers.length > 0) {
      if (this.#failure !== null) {
        if (!this.#failure.ready) break; // waiting for the source's return() to settle
        const { error } = this.#failure;
        this.#failure = null;
        this.#finished = true;
        this.#consumers.shift().reject(error);
        continue;
      }
      if (this.#finished) {
        this.#consumers.shift().resolve({ value: undefined, done: true });
        continue;
      }
      if (this.#hasResult()) {
        const value = this.#takeResult();
        // Only the last delivered value is held: a value delivered while another
        // next() is pending was already asked past.
        this.#outstanding -= this.#held;
        this.#held = 1;
        this.#consumers.shift().resolve({ value, done: false });
        continue;
      }
      if (this.#sourceDone && this.#outstanding - this.#held === 0) {
        this.#finish();
        continue;
      }
      break;
    }
    if (!this.#finished && this.#failure === null && !this.#sourceDone && !this.#pulling &&
        this.#outstanding < this.#concurrency && this.#started) {
      this.#pull();
    }
  }

  #hasResult() {
    return this.#ordered ? this.#results.has(this.#deliverIndex)
      : this.#completedHead < this.#completed.length;
  }

  #takeResult() {
    if (this.#ordered) {
      const value = this.#results.get(this.#deliverIndex);
      this.#results.delete(this.#deliverIndex++);
      return value;
    }
    const value = this.#completed[this.#completedHead];
    this.#completed[this.#completedHead++] = undefined;
    if (this.#completedHead === this.#completed.length) {
      this.#completed = [];
      this.#completedHead = 0;
    }
    return value;
  }

  #pull() {
    this.#pulling = true;
    this.#outstanding++;
    let step;
    try {
      step = this.#snapshot(callNext, this.#iterator);
    } catch (error) {
      step = Promise.reject(error);
    }
    Promise.resolve(step).then((result) => this.#onPulled(result),
      (error) => this.#onPullFailed(error));
  }

  #onPulled(result) {
    this.#pulling = false;
    if (this.#finished || this.#failure !== null) { this.#outstanding--; return; }
    if (result === null || typeof result !== 'object') {
      this.#outstanding--;
      this.#fail(invalidArgType('iterator result', 'an object', result), true);
      return;
    }
    if (result.done) {
      this.#outstanding--;
      this.#sourceDone = this.#sourceClosed = true; // exhausted: nothing to close
    } else {
      this.#snapshot(this.#startItemInContext, result.value, this.#nextIndex++);
    }
    this.#pump();
  }

  #onPullFailed(error) {
    this.#pulling = false;
    this.#outstanding--;
    // A source whose next() threw is finished; for await does not call return() then.
    this.#sourceDone = this.#sourceClosed = true;
    this.#fail(error, true);
  }

  // Runs in the map's context.
  #startItem(value, index) {
    const fn = this.#fn;
    this.#gate.run(({ signal }) => fn(value, { signal, index }),
      { signal: this.#controller.signal, timeout: this.#timeout })
      .then((result) => this.#onItem(index, result),
        (error) => this.#onItemFailed(error));
  }

  #onItem(index, result) {
    if (this.#finished || this.#failure !== null) return;
    if (this.#ordered) this.#results.set(index, result);
    else this.#completed.push(result);
    this.#pump();
  }

  #onItemFailed(error) {
    if (this.#finished || this.#failure !== null) return;
    this.#fail(error, true);
  }

  // First error wins: abort running items, close the source, hand the error to
  // the next next() call; everything after it reports done. An error (from fn, a
  // timeout, the source) is delivered once the source's return() has settled, so a
  // consumer that sees it knows the source is closed; an abort is delivered at once
  // (abort means stop waiting) while the source closes in the background.
  #fail(error, afterClose) {
    if (this.#finished || this.#failure !== null) return;
    const failure = { error, ready: !afterClose };
    this.#failure = failure;
    this.#dropBuffered();
    this.#stop();
    this.#closeSource().catch(() => {}).then(() => { // the first error is the one reported
      if (failure.ready) return;
      failure.ready = true;
      this.#pump();
    });
    this.#pump();
  }

  // Ends iteration; resolves when the source's return() has settled.
  #finish() {
    if (this.#finished) return Promise.resolve();
    this.#finished = true;
    this.#failure = null;
    this.#dropBuffered();
    this.#stop();
    return this.#closeSource();
  }

  #stop() {
    if (this.#signal !== undefined) unwatchAbort(this.#signal, this);
    if (!this.#controller.signal.aborted) {
      this.#controller.abort(new GateAbortedError('map iteration stopped'));
    }
  }

  #dropBuffered() {
    this.#results.clear();
    this.#completed = [];
    this.#completedHead = 0;
  }

  #closeSource() {
    if (this.#sourceClosed || this.#iterator === null) {
      this.#sourceDone = this.#sourceClosed = true;
      return Promise.resolve();
    }
    this.#sourceDone = this.#sourceClosed = true;
    try {
      return Promise.resolve(this.#snapshot(callReturn, this.#iterator)).then(() => {});
    } catch (error) {
      return Promise.reject(error);
    }
  }
}

// gate.map(iterable, fn, { concurrency, ordered, signal, timeout })
function mapThroughGate(gate, iterable, fn, options) {
  if (!isIterable(iterable)) {
    throw invalidArgType('iterable', 'an async iterable or an iterable', iterable);
  }
  validateFunction('fn', fn);
  options = validateOptions('options', options, ['concurrency', 'ordered', 'signal', 'timeout']);
  const fallback = Number.isFinite(gate.concurrency) ? gate.concurrency : undefined;
  if (options.concurrency === undefined && fallback === undefined) {
    throw invalidArgType('options.concurrency',
      'of type number when the gate\'s concurrency is Infinity', undefined);
  }
  const concurrency = validateFiniteCount('options.concurrency', options.concurrency, 1, fallback);
  const ordered = validateBoolean('options.ordered', options.ordered, true);
  const signal = validateSignal('options.signal', options.signal);
  const timeout = validateTimeout('options.timeout', options.timeout);
  return new GateMapIterator(gate, iterable, fn, concurrency, ordered, signal, timeout);
}

module.exports = { mapThroughGate };
