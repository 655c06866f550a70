'use strict';
// Tests for ctxframe/gate retry(): attempts and final error, backoff (number and
// function), shouldRetry/onRetry, abort before/while waiting/while running, every
// attempt in the context of the retry() call even when failures are delivered from
// other contexts (ctxframe and built-in storages), listener hygiene, validation.

const assert = require('node:assert/strict');
const { EventEmitter, getEventListeners } = require('node:events');
const { setImmediate: immediate, setTimeout: sleep } = require('node:timers/promises');
const async_hooks = require('node:async_hooks');
const { backend } = require('ctxframe');
const { retry, exponentialBackoff, codes } = require('ctxframe/gate');

const { inContext, seen, assertGateHygiene, newController, abortedSignal } = require('../support/gate-context.js');

describe(`kit/gate retry (backend: ${backend})`, () => {
  assertGateHygiene();

  it('returns the first success; fn gets { attempt, signal }', async () => {
    const calls = [];
    const controller = newController();
    const value = await retry(({ attempt, signal }) => {
      calls.push(attempt);
      assert.equal(signal, controller.signal);
      if (attempt < 3) throw new Error(`fail ${attempt}`);
      return 'ok';
    }, { retries: 5, signal: controller.signal });
    assert.equal(value, 'ok');
    assert.deepEqual(calls, [1, 2, 3]);
    assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
  });

  it('rejects with the last error itself (unwrapped) after retries + 1 attempts', async () => {
    const errors = [];
    const error = await retry(async ({ attempt }) => {
      const e = new Error(`attempt ${attempt}`);
      errors.push(e);
      throw e;
    }, { retries: 2 }).catch((e) => e);
    assert.equal(errors.length, 3);
    assert.equal(error, errors[2]);
    assert.equal(await retry(() => { throw errors[0]; }, { retries: 0 }).catch((e) => e), errors[0]);
  });

  it('defaults to 3 retries without delay', async () => {
    let attempts = 0;
    await assert.rejects(retry(() => { attempts++; throw new Error('x'); }), /x/);
    assert.equal(attempts, 4);
  });

  it('backoff: a number, or a function(attempt, error) called in the original context; onRetry reports each retry', async () => {
    const delays = [];
    const reports = [];
    const value = await inContext('caller', () => retry(({ attempt }) => {
      if (attempt < 4) throw new Error(`e${attempt}`);
      return attempt;
    }, {
      retries: 5,
      backoff: (attempt, error) => { delays.push([attempt, error.message, ...seen()]); return attempt; },
      onRetry: (error, info) => reports.push([error.message, info.attempt, info.delay, ...seen()]),
    }));
    assert.equal(value, 4);
    assert.deepEqual(delays, [[1, 'e1', 'caller', 'caller'], [2, 'e2', 'caller', 'caller'], [3, 'e3', 'caller', 'caller']]);
    assert.deepEqual(reports, [['e1', 1, 1, 'caller', 'caller'], ['e2', 2, 2, 'caller', 'caller'], ['e3', 3, 3, 'caller', 'caller']]);
    let attempts = 0;
    await assert.rejects(retry(() => { attempts++; throw new Error('y'); }, { retries: 2, backoff: 1 }), /y/);
    assert.equal(attempts, 3);
  });

  it('a backoff function returning an invalid delay rejects with ERR_OUT_OF_RANGE / ERR_INVALID_ARG_TYPE', async () => {
    await assert.rejects(retry(() => { throw new Error('x'); }, { backoff: () => -5 }), { code: 'ERR_OUT_OF_RANGE' });
    await assert.rejects(retry(() => { throw new Error('x'); }, { backoff: () => 'soon' }), { code: 'ERR_INVALID_ARG_TYPE' });
  });

  it('shouldRetry (sync or async) decides; a throwing predicate rejects with its error', async () => {
    let attempts = 0;
    const fatal = Object.assign(new Error('fatal'), { fatal: true });
    const error = await retry(({ attempt }) => {
      attempts++;
      throw attempt === 2 ? fatal : new Error('transient');
    }, { retries: 10, shouldRetry: async (e, attempt) => { assert.equal(typeof attempt, 'number'); return !e.fatal; } })
      .catch((e) => e);
    assert.equal(error, fatal);
    assert.equal(attempts, 2);
    const predicateError = new Error('bad predicate');
    assert.equal(await retry(() => { throw new Error('x'); }, { shouldRetry: () => { throw predicateError; } })
      .catch((e) => e), predicateError);
  });

  it('every attempt runs in the retry() caller\'s context although failures arrive from another context', async () => {
    // A "remote service" whose replies are delivered by an emitter driven from a
    // timer created in an unrelated context.
    const service = new EventEmitter();
    service.setMaxListeners(0);
    const driver = inContext('driver', () => setInterval(() => service.emit('tick'), 1));
    try {
      const call = () => new Promise((resolve, reject) => service.once('tick', () => reject(new Error('busy'))));
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => inContext(`req${i}`,
        () => retry(async ({ attempt }) => {
          const before = seen();
          if (attempt < 3) await call();
          return [attempt, before, seen()];
        }, { retries: 3, backoff: () => Math.floor(Math.random() * 4) }))));
      for (const [i, [attempt, before, after]] of results.entries()) {
        assert.equal(attempt, 3);
        assert.deepEqual(before, [`req${i}`, `req${i}`]);
        assert.deepEqual(after, [`req${i}`, `req${i}`]);
      }
    } finally {
      clearInterval(driver);
    }
  });

  it('an abort while waiting for the backoff stops at once: CTXFRAME_GATE_ABORTED with cause, no more attempts', async () => {
    const controller = newController();
    let attempts = 0;
    const pending = retry(() => { attempts++; throw new Error('x'); }, { retries: 5, backoff: 60000, signal: controller.signal });
    await immediate();
    assert.equal(attempts, 1);
    controller.abort('user left');
    const error = await pending.catch((e) => e);
    assert.equal(error.code, codes.ABORTED);
    assert.equal(error.cause, 'user left');
    await sleep(5);
    assert.equal(attempts, 1);
    assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
  });

  it('an abort while an attempt runs rejects at once; the attempt\'s late result is dropped', async () => {
    const controller = newController();
    let finish;
    const pending = retry(() => new Promise((_, reject) => { finish = reject; }), { signal: controller.signal });
    controller.abort();
    assert.equal((await pending.catch((e) => e)).code, codes.ABORTED);
    finish(new Error('late'));
  });

  it('an already-aborted signal rejects without calling fn', async () => {
    let called = false;
    await assert.rejects(retry(() => { called = true; }, { signal: abortedSignal() }), { code: codes.ABORTED });
    assert.equal(called, false);
  });

  it('a shared signal over many concurrent retries holds one listener, then none', async () => {
    const controller = newController();
    const runs = Array.from({ length: 500 }, (_, i) => retry(({ attempt }) => {
      if (attempt === 1 && i % 2) throw new Error('again');
      return i;
    }, { signal: controller.signal, backoff: 1 }));
    assert.equal(getEventListeners(controller.signal, 'abort').length, 1);
    await Promise.all(runs);
    assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
  });

  it('exponentialBackoff grows, caps, and jitters within [base/2, base)', () => {
    const plain = exponentialBackoff({ initial: 10, factor: 2, max: 50, jitter: false });
    assert.deepEqual([1, 2, 3, 4, 5].map(plain), [10, 20, 40, 50, 50]);
    const jittered = exponentialBackoff({ initial: 100 });
    for (let i = 0; i < 50; i++) {
      const d = jittered(2);
      assert.ok(d >= 100 && d < 200, String(d));
    }
    assert.throws(() => exponentialBackoff({ factor: 0.5 }), { code: 'ERR_OUT_OF_RANGE' });
  });

  it('validates its arguments synchronously', () => {
    assert.throws(() => retry('x'), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => retry(() => {}, { retries: -1 }), { code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => retry(() => {}, { retries: 1.5 }), { code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => retry(() => {}, { backoff: -1 }), { code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => retry(() => {}, { backoff: '1' }), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => retry(() => {}, { signal: true }), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => retry(() => {}, { shouldRetry: 1 }), { code: 'ERR_INVALID_ARG_TYPE' });
  });
});
