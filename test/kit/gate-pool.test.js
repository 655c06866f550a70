'use strict';
// Tests for ctxframe/gate ResourcePool: 200 borrowers from distinct contexts over 4
// resources each continuing in their own context (never the releaser's), exclusive
// lending, FIFO waiters, create/destroy in the pool's construction context, acquire
// timeouts/aborts, destroy and replacement, create failures, close, use(), validation.

const assert = require('node:assert/strict');
const { getEventListeners } = require('node:events');
const { setImmediate: immediate, setTimeout: sleep } = require('node:timers/promises');
const async_hooks = require('node:async_hooks');
const { backend } = require('ctxframe');
const { ResourcePool, createPool, codes } = require('ctxframe/gate');

const { inContext, seen, randomDelay, assertGateHygiene, newController, abortedSignal } = require('../support/gate-context.js');

describe(`kit/gate ResourcePool (backend: ${backend})`, () => {
  assertGateHygiene();

  for (const kind of ['create', 'fixed']) {
    it(`200 borrowers from distinct contexts over 4 resources (${kind}): own context after acquire, exclusive use`, async () => {
      const createdIn = [];
      let made = 0;
      const pool = inContext('startup', () => (kind === 'create'
        ? new ResourcePool({ max: 4, create: async () => { createdIn.push(seen()); await randomDelay(); return { id: made++ }; } })
        : new ResourcePool({ resources: [{ id: 0 }, { id: 1 }, { id: 2 }, { id: 3 }] })));
      const inUse = new Set();
      const wrong = [];
      let peak = 0;
      const borrowers = Array.from({ length: 200 }, (_, i) => inContext(`b${i}`, async () => {
        await randomDelay();
        const resource = await pool.acquire();
        const after = seen();
        if (after[0] !== `b${i}` || after[1] !== `b${i}`) wrong.push([i, after]);
        assert.ok(!inUse.has(resource), 'a resource is lent to one borrower at a time');
        inUse.add(resource);
        peak = Math.max(peak, inUse.size);
        await randomDelay();
        const later = seen();
        if (later[0] !== `b${i}` || later[1] !== `b${i}`) wrong.push([i, later]);
        inUse.delete(resource);
        pool.release(resource); // wakes another borrower from inside this context
        return seen();
      }));
      const finals = await Promise.all(borrowers);
      assert.deepEqual(wrong, []);
      finals.forEach((f, i) => assert.deepEqual(f, [`b${i}`, `b${i}`]));
      assert.equal(peak, 4);
      assert.equal(pool.size, 4);
      assert.equal(pool.borrowed, 0);
      assert.equal(pool.pending, 0);
      assert.equal(pool.available, 4);
      if (kind === 'create') {
        assert.equal(made, 4);
        for (const c of createdIn) assert.deepEqual(c, ['startup', 'startup']);
      }
      await pool.close();
    });
  }

  it('a waiter resumed by another request\'s release continues in its own context (await and .then)', async () => {
    const pool = new ResourcePool({ resources: ['only'] });
    const held = await inContext('holder', () => pool.acquire());
    const viaAwait = inContext('waiter-await', async () => {
      const r = await pool.acquire();
      const ctx = seen();
      pool.release(r);
      return ctx;
    });
    const viaThen = inContext('waiter-then', () => pool.acquire().then((r) => {
      const ctx = seen();
      pool.release(r);
      return ctx;
    }));
    assert.equal(pool.pending, 2);
    inContext('releaser', () => pool.release(held));
    assert.deepEqual(await viaAwait, ['waiter-await', 'waiter-await']);
    assert.deepEqual(await viaThen, ['waiter-then', 'waiter-then']);
  });

  it('waiters are served FIFO; use() releases on success, rejection and sync throw', async () => {
    const pool = createPool({ resources: ['r'] });
    const order = [];
    const held = await pool.acquire();
    const uses = [1, 2, 3].map((i) => pool.use(async (r) => { order.push(i); assert.equal(r, 'r'); return i; }));
    const failing = pool.use(() => { throw new Error('sync'); });
    const rejecting = pool.use(async () => { throw new Error('async'); });
    pool.release(held);
    assert.deepEqual(await Promise.all(uses), [1, 2, 3]);
    await assert.rejects(failing, /sync/);
    await assert.rejects(rejecting, /async/);
    assert.deepEqual(order, [1, 2, 3]);
    assert.equal(pool.borrowed, 0);
    assert.equal(pool.available, 1);
  });

  it('acquire timeout bounds the wait only; abort rejects with cause; listeners removed', async () => {
    const pool = new ResourcePool({ resources: ['r'] });
    const held = await pool.acquire({ timeout: 1 }); // immediate: no wait, no timer
    const timedOut = await pool.acquire({ timeout: 5 }).catch((e) => e);
    assert.equal(timedOut.code, codes.TIMEOUT);
    const controller = newController();
    const aborted = pool.acquire({ signal: controller.signal });
    const next = pool.acquire();
    controller.abort('gone');
    const error = await aborted.catch((e) => e);
    assert.equal(error.code, codes.ABORTED);
    assert.equal(error.cause, 'gone');
    assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
    pool.release(held);
    assert.equal(await next, 'r', 'the resource went to the next live waiter');
    pool.release('r');
    await assert.rejects(pool.acquire({ signal: abortedSignal() }), { code: codes.ABORTED });
    assert.equal(pool.pending, 0);
  });

  it('maxQueue bounds waiters with CTXFRAME_GATE_QUEUE_FULL', async () => {
    const pool = new ResourcePool({ resources: ['r'], maxQueue: 1 });
    const held = await pool.acquire();
    const waiting = pool.acquire();
    await assert.rejects(pool.acquire(), { code: codes.QUEUE_FULL });
    pool.release(held);
    pool.release(await waiting);
  });

  it('release/destroy of a resource not borrowed throws ERR_INVALID_ARG_VALUE', async () => {
    const pool = new ResourcePool({ resources: ['r'] });
    assert.throws(() => pool.release('r'), { code: 'ERR_INVALID_ARG_VALUE' });
    const r = await pool.acquire();
    pool.release(r);
    assert.throws(() => pool.release(r), { code: 'ERR_INVALID_ARG_VALUE' });
    assert.throws(() => pool.destroy({}), { code: 'ERR_INVALID_ARG_VALUE' });
  });

  it('destroy() removes a broken resource; a replacement is created for waiters, in the pool\'s context', async () => {
    const destroyed = [];
    let made = 0;
    const pool = inContext('startup', () => new ResourcePool({
      max: 1,
      create: () => ({ id: made++, ctx: seen() }),
      destroy: (r) => { destroyed.push([r.id, ...seen()]); },
    }));
    const first = await inContext('req1', () => pool.acquire());
    const waiter = inContext('req2', () => pool.acquire());
    inContext('req1', () => pool.destroy(first));
    const second = await waiter;
    assert.equal(second.id, 1);
    assert.deepEqual(second.ctx, ['startup', 'startup']);
    assert.deepEqual(destroyed, [[0, 'startup', 'startup']]);
    pool.release(second);
    await pool.close();
    assert.deepEqual(destroyed, [[0, 'startup', 'startup'], [1, 'startup', 'startup']]);
  });

  it('a failing create rejects the waiting borrower with that error; the pool recovers', async () => {
    let fail = true;
    const pool = new ResourcePool({ max: 2, create: async () => { if (fail) throw new Error('connect refused'); return {}; } });
    await assert.rejects(pool.acquire(), /connect refused/);
    assert.equal(pool.size, 0);
    fail = false;
    const r = await pool.acquire();
    pool.release(r);
    assert.equal(pool.size, 1);
  });

  it('close(): waiters rejected with CLOSED, idle destroyed now, borrowed on release; resolves after', async () => {
    const destroyed = [];
    const pool = new ResourcePool({ resources: ['a', 'b'], destroy: async (r) => { await immediate(); destroyed.push(r); } });
    const a = await pool.acquire();
    const b = await pool.acquire();
    pool.release(b);
    const c = await pool.acquire();
    const waiter = pool.acquire({ timeout: 60000 });
    let closed = false;
    const closing = pool.close().then(() => { closed = true; });
    await assert.rejects(waiter, { code: codes.CLOSED });
    await assert.rejects(pool.acquire(), { code: 'CTXFRAME_GATE_CLOSED' });
    pool.release(c);
    await sleep(2);
    assert.equal(closed, false);
    pool.release(a);
    await closing;
    assert.deepEqual(destroyed.sort(), ['a', 'b']);
    assert.equal(pool.size, 0);
  });

  it('a failing destroy is reported through onError (or a warning), never lost or thrown', async () => {
    const reported = [];
    const pool = new ResourcePool({ resources: ['a'], destroy: () => { throw new Error('close failed'); }, onError: (e) => reported.push(e.message) });
    await pool.close();
    assert.deepEqual(reported, ['close failed']);
  });

  it('validates its options', () => {
    assert.throws(() => new ResourcePool(), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => new ResourcePool({ max: 2 }), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => new ResourcePool({ create: () => ({}) }), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => new ResourcePool({ create: () => ({}), max: 0 }), { code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => new ResourcePool({ create: () => ({}), max: Infinity }), { code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => new ResourcePool({ resources: [] }), { code: 'ERR_INVALID_ARG_VALUE' });
    assert.throws(() => new ResourcePool({ resources: ['a', 'a'] }), { code: 'ERR_INVALID_ARG_VALUE' });
    assert.throws(() => new ResourcePool({ resources: ['a'], create: () => 1 }), { code: 'ERR_INVALID_ARG_VALUE' });
    assert.throws(() => new ResourcePool({ resources: ['a'], max: 3 }), { code: 'ERR_OUT_OF_RANGE' });
    const pool = new ResourcePool({ resources: ['a'] });
    assert.throws(() => pool.acquire({ timeout: -1 }), { code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => pool.use('x'), { code: 'ERR_INVALID_ARG_TYPE' });
  });
});
