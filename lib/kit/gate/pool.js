'use strict';
// Owns: ResourcePool, which lends a bounded set of resources (created on demand by `create`, or
// a fixed array) to borrowers in FIFO order. A borrower woken by another request's
// release() continues in its OWN context: acquire() only ever hands a resource over
// by resolving the borrower's promise, and a promise continuation runs in the
// context of whoever awaits it, never in the releaser's. `create` and `destroy` run
// in the context the pool was constructed in, so a long-lived resource (a socket,
// its event handlers) never captures the request that happened to trigger it.

const { AsyncLocalStorage } = require('../../index.js');
const {
  GateQueueFullError, GateAbortedError, GateTimeoutError, GateClosedError,
} = require('./errors.js');
const { LinkedQueue, watchAbort, unwatchAbort } = require('./queue.js');
const { invalidArgType, invalidArgValue, outOfRange, emitWarning } = require('../../errors.js');
const {
  validateFunction, validateOptionalFunction, validateOptions, validateObject, checkKnownKeys, validateCount,
  validateFiniteCount, validateTimeout, validateSignal,
} = require('../../validators.js');

function invoke(fn, arg) { return fn(arg); }

class PoolWaiter {
  constructor(pool, signal, timeout, resolve, reject) {
    this.pool = pool;
    this.signal = signal;
    this.timeout = timeout;
    this.resolve = resolve;
    this.reject = reject;
    this.timer = null;
    this.queuePrev = null;
    this.queueNext = null;
    this.inQueue = false;
  }

  onAbort(reason) { this.pool[kCancel](this, new GateAbortedError(reason)); }
}

const kCancel = Symbol('cancel');

function onWaiterTimeout(waiter) {
  waiter.timer = null;
  waiter.pool[kCancel](waiter, new GateTimeoutError(waiter.timeout));
}

class ResourcePool {
  #create;
  #destroy;
  #onError;
  #fixed;
  #max;
  #maxQueue;
  #snapshot; // construction context: create, destroy and onError run in it
  #idle = [];
  #borrowed = new Set();
  #creating = 0;
  #destroying = 0;
  #waiters = new LinkedQueue();
  #closed = false;
  #drainWaiters = [];

  constructor(options) {
    validateObject('options', options);
    checkKnownKeys('options', options, ['create', 'destroy', 'max', 'resources', 'maxQueue', 'onError']);
    this.#destroy = validateOptionalFunction('options.destroy', options.destroy);
    this.#onError = validateOptionalFunction('options.onError', options.onError);
    this.#maxQueue = validateCount('options.maxQueue', options.maxQueue, 0, Infinity);
    if (options.resources !== undefined) {
      if (!Array.isArray(options.resources)) {
        throw invalidArgType('options.resources', 'an instance of Array', options.resources);
      }
      if (options.create !== undefined) {
        throw invalidArgValue('options.create', options.create,
          'must not be given together with options.resources');
      }
      const unique = new Set(options.resources);
      if (unique.size !== options.resources.length || unique.size === 0) {
        throw invalidArgValue('options.resources', options.resources,
          'must be a non-empty array of distinct resources');
      }
      if (options.max !== undefined && options.max !== unique.size) {
        throw outOfRange('options.max', `${unique.size} (options.resources.length)`, options.max);
      }
      this.#fixed = true;
      this.#max = unique.size;
      this.#idle = [...unique];
    } else {
      this.#create = validateFunction('options.create', options.create);
      this.#fixed = false;
      this.#max = validateFiniteCount('options.max', options.max, 1, undefined);
      if (this.#max === undefined) throw invalidArgType('options.max', 'of type number', undefined);
    }
    this.#snapshot = AsyncLocalStorage.snapshot();
  }

  get max() { return this.#max; }
  /** Resources in existence or being created. */
  get size() { return this.#idle.length + this.#borrowed.size + this.#creating; }
  /** Idle resources ready to lend. */
  get available() { return this.#idle.length; }
  /** Resources currently lent out. */
  get borrowed() { return this.#borrowed.size; }
  /** acquire() calls waiting for a resource. */
  get pending() { return this.#waiters.length; }
  get closed() { return this.#closed; }

  // acquire({ signal, timeout }) -> Promise of a resource. `timeout` bounds the wait only.
  acquire(options) {
    options = validateOptions('options', options, ['signal', 'timeout']);
    const signal = validateSignal('options.signal', options.signal);
    const timeout = validateTimeout('options.timeout', options.timeout);
    if (this.#closed) return Promise.reject(new GateClosedError('pool'));
    if (signal !== undefined && signal.aborted) {
      return Promise.reject(new GateAbortedError(signal.reason));
    }
    if (this.#idle.length > 0 && this.#waiters.length === 0) {
      const resource = this.#idle.shift();
      this.#borrowed.add(resource);
      return Promise.resolve(resource);
    }
    if (this.#waiters.length >= this.#maxQueue) {
      return Promise.reject(new GateQueueFullError(this.#maxQueue));
    }
    let resolve, reject;
    const promise = new Promise((res, rej) => { resolve = res; reject = rej; });
    const waiter = new PoolWaiter(this, signal, timeout, resolve, reject);
    if (signal !== undefined) watchAbort(signal, waiter);
    if (timeout !== undefined) waiter.timer = setTimeout(onWaiterTimeout, timeout, waiter);
    this.#waiters.push(waiter);
    this.#dispatch();
    return promise;
  }

  // Gives a borrowed resource back; the longest waiter (if any) gets it.
  release(resource) {
    if (!this.#borrowed.delete(resource)) {
      throw invalidArgValue('resource', resource, 'is not currently borrowed from this pool');
    }
    if (this.#closed) this.#destroyResource(resource);
    else this.#idle.push(resource);
    this.#dispatch();
    this.#checkDrained();
  }

  // Takes a borrowed resource out of the pool for good (it is broken); a pool with
  // `create` makes a replacement when someone waits, a fixed pool shrinks.
  destroy(resource) {
    if (!this.#borrowed.delete(resource)) {
      throw invalidArgValue('resource', resource, 'is not currently borrowed from this pool');
    }
    this.#destroyResource(resource);
    this.#dispatch();
    this.#checkDrained();
  }

  // use(fn, { signal, timeout }) -> Promise of fn(resource)'s result; the resource is
  // released when fn settles (fulfilled or rejected). fn runs in the caller's context.
  use(fn, options) {
    validateFunction('fn', fn);
    return this.acquire(options).then((resource) => {
      let result;
      try {
        result = fn(resource);
      } catch (error) {
        this.#giveBack(resource);
        throw error;
      }
      return Promise.resolve(result).finally(() => this.#giveBack(resource));
    });
  }

  // Rejects waiters with CTXFRAME_GATE_CLOSED, destroys idle resources now and
  // borrowed ones when released. Resolves when none is left (or being destroyed).
  close() {
    if (!this.#closed) {
      this.#closed = true;
      let waiter;
      while ((waiter = this.#waiters.shift()) !== null) {
        this.#settle(waiter, false, new GateClosedError('pool'));
      }
      const idle = this.#idle;
      this.#idle = [];
      for (const resource of idle) this.#destroyResource(resource);
    }
    if (this.#isDrained()) return Promise.resolve();
    return new Promise((resolve) => { this.#drainWaiters.push(resolve); });
  }

  #giveBack(resource) {
    if (this.#borrowed.has(resource)) this.release(resource);
  }

  #dispatch() {
    while (this.#waiters.length > 0 && this.#idle.length > 0) {
      const waiter = this.#waiters.shift();
      const resource = this.#idle.shift();
      this.#borrowed.add(resource);
      this.#settle(waiter, true, resource);
    }
    while (!this.#closed && !this.#fixed && this.#waiters.length > this.#creating &&
           this.size < this.#max) {
      this.#startCreate();
    }
  }

  #startCreate() {
    this.#creating++;
    let result;
    try {
      result = this.#snapshot(invoke, this.#create);
    } catch (error) {
      result = Promise.reject(error);
    }
    Promise.resolve(result).then((resource) => this.#onCreated(resource),
      (error) => this.#onCreateFailed(error));
  }

  #onCreated(resource) {
    this.#creating--;
    if (this.#closed) this.#destroyResource(resource);
    else if (this.#borrowed.has(resource) || this.#idle.includes(resource)) {
      this.#report(invalidArgValue('create()', resource, 'returned a resource already in the pool'));
    } else this.#idle.push(resource);
    this.#dispatch();
    this.#checkDrained();
  }

  // The waiter at the head gets the error (unwrapped); with nobody waiting it is reported.
  #onCreateFailed(error) {
    this.#creating--;
    const waiter = this.#waiters.shift();
    if (waiter !== null) this.#settle(waiter, false, error);
    else this.#report(error);
    this.#dispatch();
    this.#checkDrained();
  }

  #destroyResource(resource) {
    if (this.#destroy === undefined) return;
    this.#destroying++;
    let result;
    try {
      result = this.#snapshot(invoke, this.#destroy, resource);
    } catch (error) {
      result = Promise.reject(error);
    }
    Promise.resolve(result).then(() => {}, (error) => this.#report(error)).then(() => {
      this.#destroying--;
      this.#checkDrained();
    });
  }

  #report(error) {
    if (this.#onError !== undefined) {
      try {
        this.#snapshot(invoke, this.#onError, error);
        return;
      } catch {
        // fall through to the warning: nothing is lost
      }
    }
    emitWarning('CTXFRAME_POOL_ERROR', `ResourcePool: ${error && error.message}`, String(error && error.stack));
  }

  [kCancel](waiter, error) {
    if (!this.#waiters.remove(waiter)) return;
    this.#settle(waiter, false, error);
  }

  #settle(waiter, ok, value) {
    if (waiter.timer !== null) { clearTimeout(waiter.timer); waiter.timer = null; }
    if (waiter.signal !== undefined) unwatchAbort(waiter.signal, waiter);
    const { resolve, reject } = waiter;
    waiter.resolve = waiter.reject = null;
    if (ok) resolve(value); else reject(value);
  }

  #isDrained() {
    return this.#closed && this.#borrowed.size === 0 && this.#creating === 0 &&
      this.#destroying === 0;
  }

  #checkDrained() {
    if (!this.#isDrained() || this.#drainWaiters.length === 0) return;
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

module.exports = { ResourcePool };
