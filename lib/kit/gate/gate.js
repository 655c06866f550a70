'use strict';
// Owns: AsyncGate, a concurrency limit with a bounded FIFO queue, per-task AbortSignal and
// timeout, whose tasks always run in the async context that was current when
// run() was called — captured with AsyncLocalStorage.snapshot(), restored when the
// task starts, whichever task's completion freed the slot.

const { AsyncLocalStorage } = require('../../index.js');
const {
  GateQueueFullError, GateAbortedError, GateTimeoutError, GateClosedError,
} = require('./errors.js');
const { LinkedQueue, watchAbort, unwatchAbort } = require('./queue.js');
const {
  validateFunction, validateOptions, validateCount, validateTimeout, validateSignal,
} = require('../../validators.js');

const kInterrupt = Symbol('interrupt');
const QUEUED = 0;
const RUNNING = 1;
const DONE = 2;

// One run() call. Lives in the gate's queue while waiting.
class GateTask {
  constructor(gate, fn, signal, timeout, snapshot, resolve, reject) {
    this.gate = gate;
    this.fn = fn;
    this.signal = signal;
    this.timeout = timeout;
    this.snapshot = snapshot;
    this.resolve = resolve;
    this.reject = reject;
    this.state = QUEUED;
    this.settled = false; // the promise returned by run() is settled
    this.timer = null;
    this.controller = null; // created when the task starts
    this.queuePrev = null;
    this.queueNext = null;
    this.inQueue = false;
  }

  // Called by the shared abort watcher when the caller's signal fires.
  onAbort(reason) { this.gate[kInterrupt](this, new GateAbortedError(reason), reason); }
}

function abortController(controller, reason) { controller.abort(reason); }

function onTaskTimeout(task) {
  task.timer = null;
  const error = new GateTimeoutError(task.timeout);
  task.gate[kInterrupt](task, error, error);
}

class AsyncGate {
  #concurrency;
  #maxQueue;
  #active = 0;
  #queue = new LinkedQueue();
  #closed = false;
  #idleWaiters = [];
  #startInContext;

  constructor(options) {
    options = validateOptions('options', options, ['concurrency', 'maxQueue']);
    this.#concurrency = validateCount('options.concurrency', options.concurrency, 1, 1);
    this.#maxQueue = validateCount('options.maxQueue', options.maxQueue, 0, Infinity);
    this.#startInContext = (task) => this.#start(task);
  }

  get concurrency() { return this.#concurrency; }
  get maxQueue() { return this.#maxQueue; }
  /** Tasks whose fn has been called and has not settled yet (timed-out ones included). */
  get active() { return this.#active; }
  /** Tasks waiting for a slot. */
  get pending() { return this.#queue.length; }
  get closed() { return this.#closed; }

  // run(fn, { signal, timeout }) -> Promise of fn's result. fn is called as
  // fn({ signal }) in the context current at this call.
  run(fn, options) {
    validateFunction('fn', fn);
    options = validateOptions('options', options, ['signal', 'timeout']);
    const signal = validateSignal('options.signal', options.signal);
    const timeout = validateTimeout('options.timeout', options.timeout);

    if (this.#closed) return Promise.reject(new GateClosedError('gate'));
    if (signal !== undefined && signal.aborted) {
      return Promise.reject(new GateAbortedError(signal.reason));
    }
    const startNow = this.#active < this.#concurrency && this.#queue.length === 0;
    if (!startNow && this.#queue.length >= this.#maxQueue) {
      return Promise.reject(new GateQueueFullError(this.#maxQueue));
    }

    let resolve, reject;
    const promise = new Promise((res, rej) => { resolve = res; reject = rej; });
    // A task that starts now runs in the current context already; the snapshot is
    // needed to start a queued task, and to deliver an abort or timeout to a running
    // task's own signal in its own context (listeners inside fn see their context).
    const snapshot = startNow && signal === undefined && timeout === undefined
      ? null : AsyncLocalStorage.snapshot();
    const task = new GateTask(this, fn, signal, timeout, snapshot, resolve, reject);
    if (signal !== undefined) watchAbort(signal, task);
    if (timeout !== undefined) task.timer = setTimeout(onTaskTimeout, timeout, task);

    if (startNow) this.#start(task);
    else this.#queue.push(task);
    return promise;
  }

  // gate.map(iterable, fn, options): see gate-map.js.
  map(iterable, fn, options) {
    return require('./map.js').mapThroughGate(this, iterable, fn, options);
  }

  /** Resolves once no task is running or waiting (immediately if so now). Never rejects. */
  onIdle() {
    if (this.#active === 0 && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => { this.#idleWaiters.push(resolve); });
  }

  /**
   * Rejects every waiting task with CTXFRAME_GATE_CLOSED, makes further run() calls
   * reject the same way, lets running tasks finish. Resolves when they have.
   */
  close() {
    if (!this.#closed) {
      this.#closed = true;
      let task;
      while ((task = this.#queue.shift()) !== null) {
        this.#settle(task, false, new GateClosedError('gate'));
      }
      this.#checkIdle();
    }
    return this.onIdle();
  }

  // Runs in the task's own context (directly from run(), or through its snapshot).
  #start(task) {
    task.state = RUNNING;
    this.#active++;
    const controller = new AbortController();
    task.controller = controller;
    const fn = task.fn;
    task.fn = null;
    let result;
    try {
      result = fn({ signal: controller.signal });
    } catch (error) {
      result = Promise.reject(error);
    }
    // Always settle asynchronously: a synchronous failure must not start the next
    // task from inside this call (unbounded recursion over a long queue).
    Promise.resolve(result).then(
      (value) => this.#finish(task, true, value),
      (error) => this.#finish(task, false, error));
  }

  #finish(task, ok, value) {
    task.state = DONE;
    this.#active--;
    // When run()'s promise was already settled by a timeout or abort, the late
    // result is dropped here (and a late rejection is thereby handled).
    this.#settle(task, ok, value);
    task.controller = null;
    task.snapshot = null;
    this.#drain();
    this.#checkIdle();
  }

  // Settles run()'s promise once and drops the task's timer and abort watch.
  #settle(task, ok, value) {
    if (task.settled) return;
    task.settled = true;
    if (task.timer !== null) { clearTimeout(task.timer); task.timer = null; }
    if (task.signal !== undefined) unwatchAbort(task.signal, task);
    const { resolve, reject } = task;
    task.resolve = task.reject = null;
    if (task.state !== RUNNING) task.snapshot = task.fn = null;
    if (ok) resolve(value); else reject(value);
  }

  // Abort or timeout. A waiting task leaves the queue and never runs; a running one
  // has its own signal aborted with `reason` and keeps its slot until fn settles.
  [kInterrupt](task, error, reason) {
    if (task.settled) return;
    if (task.state === QUEUED) {
      this.#queue.remove(task);
      this.#settle(task, false, error);
      this.#checkIdle();
      return;
    }
    const { controller, snapshot } = task;
    this.#settle(task, false, error);
    if (controller !== null && !controller.signal.aborted) {
      snapshot(abortController, controller, reason);
    }
  }

  #drain() {
    while (this.#active < this.#concurrency && this.#queue.length > 0) {
      const task = this.#queue.shift();
      task.snapshot(this.#startInContext, task);
    }
  }

  #checkIdle() {
    if (this.#active !== 0 || this.#queue.length !== 0 || this.#idleWaiters.length === 0) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

module.exports = { AsyncGate };
