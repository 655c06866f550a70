'use strict';
// Tests for ctxframe/gate map() and gate.map(): ordered/unordered results, bounded
// read-ahead (the producer is never pulled more than `concurrency` ahead of the
// consumer), closing the source on break, on errors and on abort, the map-call
// context for the source and every item (ctxframe and built-in storages), sync
// iterables, gate limits, and validation.

const assert = require('node:assert/strict');
const { getEventListeners } = require('node:events');
const { setImmediate: immediate, setTimeout: sleep } = require('node:timers/promises');
const async_hooks = require('node:async_hooks');
const { backend } = require('ctxframe');
const { AsyncGate, map, codes } = require('ctxframe/gate');

const { inContext, seen, randomDelay, assertGateHygiene, newController, abortedSignal } = require('../support/gate-context.js');

// An async generator producer that records how far ahead of the consumer it is pulled.
function trackedSource(count, state) {
  return (async function* produce() {
    try {
      for (let i = 0; i < count; i++) {
        state.pulled++;
        state.maxAhead = Math.max(state.maxAhead, state.pulled - state.consumed);
        state.contexts.push(seen());
        await randomDelay();
        yield i;
      }
    } finally {
      state.closed = true;
    }
  })();
}
function newState() { return { pulled: 0, consumed: 0, maxAhead: 0, closed: false, contexts: [] }; }

// A stalled consumer lets the read-ahead fill: wait (by turns, not by time) until the source
// has been pulled `ahead` items past the consumer, or `total` items in all; a map that does
// not read ahead leaves state.maxAhead short of `ahead`.
async function stallUntilAhead(state, ahead, total) {
  for (let turn = 0; turn < 10000 && state.pulled < total && state.pulled - state.consumed < ahead; turn++) {
    await immediate();
  }
}

async function collect(iterable) {
  const out = [];
  for await (const value of iterable) out.push(value);
  return out;
}

describe(`kit/gate map (backend: ${backend})`, () => {
  assertGateHygiene();

  it('ordered: results in source order despite random completion order', async () => {
    const out = await collect(map(Array.from({ length: 200 }, (_, i) => i), async (v) => {
      await randomDelay();
      return v * 2;
    }, { concurrency: 8 }));
    assert.deepEqual(out, Array.from({ length: 200 }, (_, i) => i * 2));
  });

  it('unordered: yields as completed', async () => {
    const releases = [];
    const iterator = map([0, 1, 2], (v) => new Promise((resolve) => { releases[v] = () => resolve(v); }),
      { concurrency: 3, ordered: false });
    const first = iterator.next();
    await immediate();
    releases[2]();
    assert.deepEqual(await first, { value: 2, done: false });
    releases[0]();
    releases[1]();
    assert.deepEqual(await collect(iterator), [0, 1]);
  });

  it('unordered over many items yields every result exactly once', async () => {
    const out = await collect(map(new Set(Array.from({ length: 300 }, (_, i) => i)), async (v) => {
      await randomDelay();
      return v;
    }, { concurrency: 5, ordered: false }));
    assert.deepEqual(out.sort((a, b) => a - b), Array.from({ length: 300 }, (_, i) => i));
  });

  for (const ordered of [true, false]) {
    it(`never pulls the producer more than concurrency ahead of the consumer (ordered: ${ordered})`, async () => {
      const state = newState();
      const concurrency = 4;
      let running = 0;
      let maxRunning = 0;
      const iterable = map(trackedSource(60, state), async (v) => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await randomDelay();
        running--;
        return v;
      }, { concurrency, ordered });
      let count = 0;
      for await (const value of iterable) {
        assert.equal(typeof value, 'number');
        state.consumed++;
        count++;
        if (count % 7 === 0) await stallUntilAhead(state, concurrency, 60);
      }
      assert.equal(count, 60);
      assert.ok(state.maxAhead <= concurrency, `pulled ${state.maxAhead} ahead`);
      assert.equal(state.maxAhead, concurrency, 'read-ahead is used');
      assert.ok(maxRunning <= concurrency);
      assert.equal(state.closed, true);
    });
  }

  it('does not pull at all before the first next(), and a consumer that stops pulling stops the producer', async () => {
    const state = newState();
    const iterator = map(trackedSource(100, state), (v) => v, { concurrency: 3 });
    await sleep(5);
    assert.equal(state.pulled, 0);
    assert.deepEqual(await iterator.next(), { value: 0, done: false });
    state.consumed++;
    await sleep(20);
    assert.ok(state.pulled <= 4, `pulled ${state.pulled}`);
    await iterator.return();
    assert.equal(state.closed, true);
  });

  it('breaking out of for await closes the source and aborts running items', async () => {
    const state = newState();
    const itemSignals = [];
    let pulledAfterBreak;
    for await (const value of map(trackedSource(1000, state), async (v, { signal }) => {
      itemSignals.push(signal);
      if (v > 10) await new Promise((resolve) => signal.addEventListener('abort', resolve));
      else await randomDelay();
      return v;
    }, { concurrency: 4 })) {
      state.consumed++;
      if (value === 10) {
        while (itemSignals.length < 14) await immediate(); // items 11-13 are running
        break;
      }
    }
    assert.equal(state.closed, true);
    pulledAfterBreak = state.pulled;
    await sleep(10);
    assert.equal(state.pulled, pulledAfterBreak, 'no pull after the break');
    assert.ok(state.pulled <= 15);
    assert.ok(itemSignals.some((s) => s.aborted), 'in-flight items saw their signal aborted');
  });

  it('an error from fn rejects the consumer with that error and closes the source', async () => {
    const state = newState();
    const boom = new Error('boom');
    const iterable = map(trackedSource(1000, state), async (v) => {
      await randomDelay();
      if (v === 7) throw boom;
      return v;
    }, { concurrency: 3 });
    const seenValues = [];
    const error = await (async () => {
      for await (const value of iterable) { seenValues.push(value); state.consumed++; }
    })().catch((e) => e);
    assert.equal(error, boom);
    assert.equal(state.closed, true);
    assert.ok(seenValues.length <= 7);
    assert.deepEqual(await iterable.next(), { value: undefined, done: true });
  });

  it('an error thrown by the source reaches the consumer; return() is not called on a throwing source', async () => {
    let returned = false;
    const source = {
      i: 0,
      [Symbol.asyncIterator]() { return this; },
      async next() {
        if (this.i === 3) throw new Error('source broke');
        return { value: this.i++, done: false };
      },
      async return() { returned = true; return { done: true }; },
    };
    await assert.rejects(collect(map(source, (v) => v, { concurrency: 2 })), /source broke/);
    assert.equal(returned, false);
  });

  it('a synchronous iterable (generator) works and is closed on break', async () => {
    let closed = false;
    function* numbers() {
      try { for (let i = 0; ; i++) yield i; } finally { closed = true; }
    }
    const out = [];
    for await (const v of map(numbers(), (v) => v * v, { concurrency: 2 })) {
      out.push(v);
      if (out.length === 5) break;
    }
    assert.deepEqual(out, [0, 1, 4, 9, 16]);
    assert.equal(closed, true);
  });

  it('the source and every item run in the context of the map() call, not the consumer\'s', async () => {
    const state = newState();
    const itemContexts = [];
    const iterable = inContext('mapper', () => map(trackedSource(40, state), async (v) => {
      itemContexts.push(seen());
      await randomDelay();
      itemContexts.push(seen());
      return v;
    }, { concurrency: 4, ordered: false }));
    const out = await inContext('consumer', async () => {
      const values = [];
      for await (const v of iterable) {
        assert.deepEqual(seen(), ['consumer', 'consumer']);
        values.push(v);
      }
      return values;
    });
    assert.equal(out.length, 40);
    assert.equal(itemContexts.length, 80);
    for (const c of itemContexts) assert.deepEqual(c, ['mapper', 'mapper']);
    for (const c of state.contexts) assert.deepEqual(c, ['mapper', 'mapper']);
  });

  it('many concurrent maps from distinct contexts never see each other\'s context', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, (_, c) => inContext(`m${c}`,
      () => collect(gateFor20.map(Array.from({ length: 30 }, (_, i) => i), async (i) => {
        await randomDelay();
        const [a, b] = seen();
        return a === `m${c}` && b === `m${c}` ? i : `wrong ${a}/${b}`;
      }, { concurrency: 3 })))));
    for (const out of results) assert.deepEqual(out, Array.from({ length: 30 }, (_, i) => i));
    assert.equal(gateFor20.active + gateFor20.pending, 0);
  });
  const gateFor20 = new AsyncGate({ concurrency: 6 });

  it('gate.map shares the gate\'s limit with other work and defaults concurrency to it', async () => {
    const gate = new AsyncGate({ concurrency: 2 });
    let maxActive = 0;
    const other = gate.run(() => sleep(5));
    const out = await collect(gate.map([1, 2, 3, 4, 5, 6], async (v) => {
      maxActive = Math.max(maxActive, gate.active);
      await randomDelay();
      return v;
    }, { concurrency: 5 }));
    await other;
    assert.deepEqual(out, [1, 2, 3, 4, 5, 6]);
    assert.ok(maxActive <= 2);

    const state = newState();
    const it3 = new AsyncGate({ concurrency: 3 }).map(trackedSource(20, state), (v) => v);
    for await (const v of it3) {
      state.consumed++;
      assert.equal(typeof v, 'number');
      await stallUntilAhead(state, 3, 20);
    }
    assert.equal(state.maxAhead, 3);
  });

  it('options.signal aborts the iteration: CTXFRAME_GATE_ABORTED with cause, source closed, items aborted', async () => {
    const state = newState();
    const controller = newController();
    const itemSignals = [];
    const iterable = map(trackedSource(1000, state), async (v, { signal }) => {
      itemSignals.push(signal);
      if (v > 4) await new Promise((resolve) => signal.addEventListener('abort', resolve));
      return v;
    }, { concurrency: 3, signal: controller.signal });
    const values = [];
    const error = await (async () => {
      for await (const v of iterable) {
        values.push(v);
        state.consumed++;
        if (v === 4) {
          while (itemSignals.length < 7) await immediate(); // items 5 and 6 are running
          controller.abort('enough');
        }
      }
    })().catch((e) => e);
    assert.equal(error.code, codes.ABORTED);
    assert.equal(error.cause, 'enough');
    await immediate(); // an abort is delivered at once; the source closes right after
    assert.equal(state.closed, true);
    assert.ok(itemSignals.some((s) => s.aborted));
    assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
  });

  it('a signal aborted before the first next() rejects without opening the source', async () => {
    let opened = false;
    const source = { [Symbol.asyncIterator]() { opened = true; return [][Symbol.iterator](); } };
    const iterable = map(source, (v) => v, { signal: abortedSignal('early') });
    await assert.rejects(iterable.next(), { code: codes.ABORTED });
    assert.equal(opened, false);
  });

  it('per-item timeout rejects the iteration with CTXFRAME_GATE_TIMEOUT', async () => {
    const gate = new AsyncGate({ concurrency: 2 });
    await assert.rejects(collect(gate.map([1, 2, 3], (v) => (v === 2 ? new Promise(() => {}) : v),
      { timeout: 10 })), { code: codes.TIMEOUT });
  });

  it('concurrent next() calls are served in order', async () => {
    const iterator = map([1, 2, 3, 4], async (v) => { await randomDelay(); return v; }, { concurrency: 2 });
    const all = await Promise.all([iterator.next(), iterator.next(), iterator.next(), iterator.next(), iterator.next()]);
    assert.deepEqual(all.map((r) => r.value), [1, 2, 3, 4, undefined]);
    assert.equal(all[4].done, true);
  });

  it('return() propagates an error thrown by the source\'s return()', async () => {
    const source = {
      [Symbol.asyncIterator]() { return this; },
      async next() { return { value: 1, done: false }; },
      async return() { throw new Error('cleanup failed'); },
    };
    const iterator = map(source, (v) => v);
    await iterator.next();
    await assert.rejects(iterator.return(), /cleanup failed/);
  });

  it('works under yield* delegation: throw() closes the source and rethrows', async () => {
    const state = newState();
    async function* outer() { yield* map(trackedSource(100, state), (v) => v, { concurrency: 2 }); }
    const it = outer();
    assert.deepEqual(await it.next(), { value: 0, done: false });
    await assert.rejects(it.throw(new Error('stop')), /stop/);
    assert.equal(state.closed, true);
  });

  it('validates its arguments synchronously', () => {
    assert.throws(() => map(42, (v) => v), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => map([], 'x'), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => map([], (v) => v, { concurrency: 0 }), { code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => map([], (v) => v, { concurrency: Infinity }), { code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => map([], (v) => v, { ordered: 'yes' }), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => map([], (v) => v, { signal: 'x' }), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => new AsyncGate({ concurrency: Infinity }).map([], (v) => v), { code: 'ERR_INVALID_ARG_TYPE' });
  });
});
