'use strict';
// Tests for ctxframe/gate AsyncGate: validation, FIFO, limits, context captured at
// run() and restored at start (ctxframe and built-in storages), cancellation and
// timeouts (queued and running), listener/queue/memory hygiene, close/onIdle,
// re-entrancy and nested gates, and the 10,000-task / 100-context stress run.

const assert = require('node:assert/strict');
const { getEventListeners } = require('node:events');
const { setImmediate: immediate, setTimeout: sleep } = require('node:timers/promises');
const async_hooks = require('node:async_hooks');
const v8 = require('node:v8');
const vm = require('node:vm');
const { backend } = require('ctxframe');
const gateModule = require('ctxframe/gate');

const { AsyncGate, codes, GateTimeoutError, GateAbortedError } = gateModule;

const { inContext, seen, randomDelay, assertGateHygiene, frameStore, builtinStore, newController, abortedSignal } = require('../support/gate-context.js');

function deferred() {
  let resolve, reject;
  const promise = new Promise((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
}


// Outside the test's async frame so that no register of it keeps a closure alive.
function scheduleCollectable(gate, signal, count, counter) {
  const registry = new FinalizationRegistry(() => { counter.collected++; });
  const runs = [];
  for (let i = 0; i < count; i++) {
    const payload = new Array(1000).fill(i);
    const fn = () => payload.length;
    registry.register(fn, i);
    runs.push(gate.run(fn, { signal, timeout: 60000 }).catch((e) => e.code));
  }
  counter.registry = registry;
  return Promise.all(runs);
}

async function rejectsWithCode(promise, code) {
  const error = await promise.then(() => assert.fail('expected a rejection'), (e) => e);
  assert.equal(error.code, code, `expected ${code}, got ${error && error.stack}`);
  return error;
}

describe(`kit/gate AsyncGate (backend: ${backend})`, () => {
  assertGateHygiene();

  describe('validation', () => {
    it('rejects bad options with Node-shaped codes', () => {
      for (const concurrency of [0, -1, 1.5, NaN, -Infinity]) {
        assert.throws(() => new AsyncGate({ concurrency }), { code: 'ERR_OUT_OF_RANGE', name: 'RangeError' });
      }
      for (const concurrency of ['2', null, 2n, {}]) {
        assert.throws(() => new AsyncGate({ concurrency }), { code: 'ERR_INVALID_ARG_TYPE', name: 'TypeError' });
      }
      assert.throws(() => new AsyncGate({ maxQueue: -1 }), { code: 'ERR_OUT_OF_RANGE' });
      assert.throws(() => new AsyncGate({ maxQueue: 0.5 }), { code: 'ERR_OUT_OF_RANGE' });
      assert.throws(() => new AsyncGate({ maxQueue: '1' }), { code: 'ERR_INVALID_ARG_TYPE' });
      assert.throws(() => new AsyncGate('x'), { code: 'ERR_INVALID_ARG_TYPE' });
      const gate = new AsyncGate({ concurrency: Infinity, maxQueue: 0 });
      assert.equal(gate.concurrency, Infinity);
      assert.equal(gate.maxQueue, 0);
      const defaults = new AsyncGate();
      assert.equal(defaults.concurrency, 1);
      assert.equal(defaults.maxQueue, Infinity);
    });

    it('run() throws synchronously on bad arguments and leaves no trace', () => {
      const gate = new AsyncGate({ concurrency: 1 });
      assert.throws(() => gate.run('nope'), { code: 'ERR_INVALID_ARG_TYPE' });
      assert.throws(() => gate.run(() => {}, 5), { code: 'ERR_INVALID_ARG_TYPE' });
      assert.throws(() => gate.run(() => {}, { timeout: -1 }), { code: 'ERR_OUT_OF_RANGE' });
      assert.throws(() => gate.run(() => {}, { timeout: NaN }), { code: 'ERR_OUT_OF_RANGE' });
      assert.throws(() => gate.run(() => {}, { timeout: 2 ** 31 }), { code: 'ERR_OUT_OF_RANGE' });
      assert.throws(() => gate.run(() => {}, { timeout: '5' }), { code: 'ERR_INVALID_ARG_TYPE' });
      assert.throws(() => gate.run(() => {}, { signal: {} }), { code: 'ERR_INVALID_ARG_TYPE' });
      assert.equal(gate.active, 0);
      assert.equal(gate.pending, 0);
    });
  });

  describe('basics', () => {
    it('resolves with fn result, turns sync throws into rejections, passes a signal', async () => {
      const gate = new AsyncGate({ concurrency: 2 });
      assert.equal(await gate.run(() => 42), 42);
      assert.equal(await gate.run(async () => 'a'), 'a');
      const boom = new Error('boom');
      assert.equal(await gate.run(() => { throw boom; }).catch((e) => e), boom);
      assert.equal(await gate.run(() => Promise.reject(boom)).catch((e) => e), boom);
      let received;
      await gate.run((arg) => { received = arg; });
      assert.ok(received.signal instanceof AbortSignal);
      assert.equal(received.signal.aborted, false);
      assert.equal(gate.active, 0);
    });

    it('starts immediately when a slot is free, otherwise queues; counts active and pending', async () => {
      const gate = new AsyncGate({ concurrency: 2 });
      const holds = [deferred(), deferred(), deferred()];
      const started = [];
      const runs = holds.map((hold, i) => gate.run(() => { started.push(i); return hold.promise; }));
      assert.deepEqual(started, [0, 1]);
      assert.equal(gate.active, 2);
      assert.equal(gate.pending, 1);
      holds[0].resolve('x');
      assert.equal(await runs[0], 'x');
      assert.deepEqual(started, [0, 1, 2]);
      assert.equal(gate.pending, 0);
      holds[1].resolve();
      holds[2].resolve();
      await Promise.all(runs);
      assert.equal(gate.active, 0);
    });

    it('rejects with CTXFRAME_GATE_QUEUE_FULL beyond maxQueue, and never runs that task', async () => {
      const gate = new AsyncGate({ concurrency: 1, maxQueue: 2 });
      const hold = deferred();
      const first = gate.run(() => hold.promise);
      const queued = [gate.run(() => 1), gate.run(() => 2)];
      let ran = false;
      const error = await rejectsWithCode(gate.run(() => { ran = true; }), codes.QUEUE_FULL);
      assert.ok(error instanceof gateModule.GateQueueFullError);
      assert.equal(error.code, 'CTXFRAME_GATE_QUEUE_FULL');
      assert.equal(error.maxQueue, 2);
      assert.equal(gate.pending, 2);
      hold.resolve();
      await first;
      assert.deepEqual(await Promise.all(queued), [1, 2]);
      assert.equal(ran, false);

      const noQueue = new AsyncGate({ concurrency: 1, maxQueue: 0 });
      const h2 = deferred();
      const p = noQueue.run(() => h2.promise);
      await rejectsWithCode(noQueue.run(() => {}), 'CTXFRAME_GATE_QUEUE_FULL');
      h2.resolve();
      await p;
    });

    it('a synchronous failure releases the slot asynchronously: no recursion over a long queue', async () => {
      const gate = new AsyncGate({ concurrency: 1 });
      const hold = deferred();
      const first = gate.run(() => hold.promise);
      const depths = [];
      const failures = [];
      const limit = Error.stackTraceLimit;
      for (let i = 0; i < 1000; i++) {
        failures.push(gate.run(() => {
          Error.stackTraceLimit = Infinity;
          depths.push(new Error('depth').stack.split('\n').length);
          Error.stackTraceLimit = limit;
          throw new Error(String(i));
        }).catch((e) => e.message));
      }
      hold.resolve();
      await first;
      const messages = await Promise.all(failures);
      assert.equal(messages[999], '999');
      assert.equal(Math.max(...depths), Math.min(...depths), 'every task starts at the same stack depth');
      assert.equal(gate.active + gate.pending, 0);
    });
  });

  describe('context', () => {
    it('a queued task runs in the context of its run() call, not the releaser\'s', async () => {
      const gate = new AsyncGate({ concurrency: 1 });
      const hold = deferred();
      const first = inContext('releaser', () => gate.run(async () => { await hold.promise; return seen(); }));
      const second = inContext('waiter', () => gate.run(() => seen()));
      // Release from a third context.
      inContext('third', () => setTimeout(() => hold.resolve(), 1));
      assert.deepEqual(await first, ['releaser', 'releaser']);
      assert.deepEqual(await second, ['waiter', 'waiter']);
    });

    it('enterWith() inside a task started from the queue reaches neither the releaser nor the next task', async () => {
      const gate = new AsyncGate({ concurrency: 1 });
      const hold = deferred();
      const first = inContext('a', () => gate.run(async () => { await hold.promise; return seen(); }));
      const second = inContext('b', () => gate.run(() => {
        frameStore.enterWith('leak');
        builtinStore.enterWith('leak');
        return seen();
      }));
      const third = inContext('c', () => gate.run(() => seen()));
      inContext('a', () => hold.resolve());
      assert.deepEqual(await first, ['a', 'a']);
      assert.deepEqual(await second, ['leak', 'leak']);
      assert.deepEqual(await third, ['c', 'c']);
    });

    it('a task started at once runs in the caller\'s context and sees nested run() values', async () => {
      const gate = new AsyncGate({ concurrency: 4 });
      const result = await inContext('outer', () => frameStore.run('inner', () => gate.run(async () => {
        await immediate();
        return seen();
      })));
      assert.deepEqual(result, ['inner', 'outer']);
    });

    it('abort and timeout reach a running task\'s own signal in the task\'s context', async () => {
      const gate = new AsyncGate({ concurrency: 1 });
      const controller = newController();
      const observed = [];
      const aborted = inContext('task-a', () => gate.run(({ signal }) => new Promise((resolve) => {
        signal.addEventListener('abort', () => { observed.push(['a', ...seen(), signal.reason]); resolve(); });
      }), { signal: controller.signal }));
      inContext('aborter', () => controller.abort('why'));
      await rejectsWithCode(aborted, codes.ABORTED);
      const timedOut = inContext('task-b', () => gate.run(({ signal }) => new Promise((resolve) => {
        signal.addEventListener('abort', () => { observed.push(['b', ...seen(), signal.reason.code]); resolve(); });
      }), { timeout: 5 }));
      await rejectsWithCode(timedOut, codes.TIMEOUT);
      await gate.onIdle();
      assert.deepEqual(observed, [['a', 'task-a', 'task-a', 'why'], ['b', 'task-b', 'task-b', codes.TIMEOUT]]);
    });

    it('10,000 tasks from 100 contexts through concurrency 8: own context, FIFO, active <= 8, back to 0', async function () {
      this.timeout(60000);
      const gate = new AsyncGate({ concurrency: 8 });
      const TASKS = 10000;
      const CONTEXTS = 100;
      const scheduledOrder = [];
      const startOrder = [];
      const mismatches = [];
      let maxActive = 0;
      let callSeq = 0;
      const all = [];
      const contextOf = (i) => `ctx-${i % CONTEXTS}`;

      const task = (id, seq) => async () => {
        startOrder.push(seq);
        maxActive = Math.max(maxActive, gate.active);
        const before = seen();
        await randomDelay();
        const after = seen();
        if (before[0] !== id || before[1] !== id || after[0] !== id || after[1] !== id) {
          mismatches.push({ id, before, after });
        }
        return seq;
      };

      // Each context schedules its share from its own async flow, yielding now and
      // then, so run() calls of different contexts interleave with completions.
      const producers = [];
      for (let c = 0; c < CONTEXTS; c++) {
        const id = contextOf(c);
        producers.push(inContext(id, async () => {
          for (let k = 0; k < TASKS / CONTEXTS; k++) {
            if (Math.random() < 0.1) await immediate();
            assert.deepEqual(seen(), [id, id]);
            const seq = callSeq++;
            scheduledOrder.push(seq);
            all.push(gate.run(task(id, seq)));
          }
        }));
      }
      await Promise.all(producers);
      const results = await Promise.all(all);
      await gate.onIdle();

      assert.equal(results.length, TASKS);
      assert.deepEqual(mismatches, []);
      assert.deepEqual(startOrder, scheduledOrder, 'start order is FIFO');
      assert.equal(maxActive, 8, 'the limit was reached and never exceeded');
      assert.equal(gate.active, 0);
      assert.equal(gate.pending, 0);
    });
  });

  describe('cancellation and timeouts', () => {
    it('a task aborted while queued never runs and leaves accounting untouched', async () => {
      const gate = new AsyncGate({ concurrency: 1 });
      const hold = deferred();
      const first = gate.run(() => hold.promise);
      const controller = newController();
      let ran = false;
      const queued = gate.run(() => { ran = true; }, { signal: controller.signal });
      const after = gate.run(() => 'after');
      assert.equal(gate.pending, 2);
      const reason = new Error('stop');
      controller.abort(reason);
      const error = await rejectsWithCode(queued, 'CTXFRAME_GATE_ABORTED');
      assert.ok(error instanceof GateAbortedError);
      assert.equal(error.cause, reason);
      assert.equal(gate.pending, 1);
      assert.equal(gate.active, 1);
      assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
      hold.resolve();
      await first;
      assert.equal(await after, 'after');
      assert.equal(ran, false);
    });

    it('an already-aborted signal rejects at once without queueing', async () => {
      const gate = new AsyncGate({ concurrency: 1 });
      let ran = false;
      const error = await rejectsWithCode(gate.run(() => { ran = true; }, { signal: abortedSignal('r') }), codes.ABORTED);
      assert.equal(error.cause, 'r');
      assert.equal(ran, false);
      assert.equal(gate.active + gate.pending, 0);
    });

    it('a task timing out while queued never runs; the timeout counts from run()', async () => {
      const gate = new AsyncGate({ concurrency: 1 });
      const hold = deferred();
      const first = gate.run(() => hold.promise);
      let ran = false;
      const error = await rejectsWithCode(gate.run(() => { ran = true; }, { timeout: 5 }), codes.TIMEOUT);
      assert.ok(error instanceof GateTimeoutError);
      assert.equal(error.timeout, 5);
      assert.equal(gate.pending, 0);
      hold.resolve();
      await first;
      await gate.onIdle();
      assert.equal(ran, false);
    });

    it('a running task that times out: signal aborted, promise rejects, slot held until fn settles', async () => {
      const gate = new AsyncGate({ concurrency: 1 });
      const finish = deferred();
      let taskSignal;
      const slow = gate.run(({ signal }) => { taskSignal = signal; return finish.promise; }, { timeout: 5 });
      let nextStarted = false;
      const next = gate.run(() => { nextStarted = true; return 'next'; });
      const error = await rejectsWithCode(slow, codes.TIMEOUT);
      assert.equal(taskSignal.aborted, true);
      assert.equal(taskSignal.reason, error);
      assert.equal(gate.active, 1, 'the slot is still held by the running fn');
      assert.equal(nextStarted, false);
      finish.reject(new Error('late failure is swallowed, not unhandled'));
      assert.equal(await next, 'next');
      assert.equal(gate.active, 0);
    });

    it('a running task aborted by the caller rejects with ABORTED and frees its slot when it settles', async () => {
      const gate = new AsyncGate({ concurrency: 1 });
      const controller = newController();
      const finish = deferred();
      const running = gate.run(() => finish.promise, { signal: controller.signal });
      controller.abort();
      const error = await rejectsWithCode(running, codes.ABORTED);
      assert.equal(error.cause.name, 'AbortError');
      assert.equal(gate.active, 1);
      finish.resolve('ignored');
      await gate.onIdle();
      assert.equal(gate.active, 0);
    });

    it('under load: cancelled tasks never run; slots, queue, listeners and memory return to the start', async function () {
      this.timeout(60000);
      const gate = new AsyncGate({ concurrency: 4 });
      const shared = newController();
      const TASKS = 3000;
      const startedIds = new Set();
      const outcomes = new Map(); // id -> 'ok' | code
      const cancelledWhileQueued = new Set();
      const abortTimers = [];
      const perTask = [];
      let maxActive = 0;
      const runs = [];
      for (let i = 0; i < TASKS; i++) {
        const kind = i % 4; // 0 plain, 1 own signal aborted later, 2 timeout, 3 shared long-lived signal
        const controller = kind === 1 ? newController() : null;
        if (controller) perTask.push(controller);
        const options = kind === 1 ? { signal: controller.signal }
          : kind === 2 ? { timeout: Math.floor(Math.random() * 6) }
            : kind === 3 ? { signal: shared.signal } : undefined;
        const id = `t${i}`;
        runs.push(inContext(id, () => gate.run(async ({ signal }) => {
          startedIds.add(id);
          maxActive = Math.max(maxActive, gate.active);
          assert.deepEqual(seen(), [id, id]);
          await randomDelay();
          if (signal.aborted) throw signal.reason;
          return 'ok';
        }, options)).then((v) => outcomes.set(id, v), (e) => {
          outcomes.set(id, e.code);
          if (!startedIds.has(id)) cancelledWhileQueued.add(id);
        }));
        if (controller && Math.random() < 0.5) {
          abortTimers.push(setTimeout(() => controller.abort(), Math.floor(Math.random() * 40)));
        }
      }
      assert.equal(getEventListeners(shared.signal, 'abort').length, 1, 'one listener however many tasks share a signal');
      await Promise.all(runs);
      await gate.onIdle();
      for (const timer of abortTimers) clearTimeout(timer);

      assert.ok(cancelledWhileQueued.size > 0, 'some tasks were cancelled while queued');
      // Give any (wrongly) late-starting cancelled task a chance to show up.
      await sleep(10);
      for (const id of cancelledWhileQueued) assert.ok(!startedIds.has(id), `${id} ran after being cancelled`);
      const outcomeKinds = new Set(outcomes.values());
      for (const kind of outcomeKinds) assert.ok(['ok', codes.ABORTED, codes.TIMEOUT].includes(kind), String(kind));
      assert.ok(outcomeKinds.has(codes.ABORTED) && outcomeKinds.has(codes.TIMEOUT) && outcomeKinds.has('ok'));
      assert.equal(outcomes.size, TASKS);
      assert.ok(maxActive <= 4);
      assert.equal(gate.active, 0);
      assert.equal(gate.pending, 0);
      assert.equal(getEventListeners(shared.signal, 'abort').length, 0);
      for (const c of perTask) assert.equal(getEventListeners(c.signal, 'abort').length, 0);
    });

    it('a shared long-lived signal over 10,000 tasks keeps at most one listener, and 0 after', async () => {
      const gate = new AsyncGate({ concurrency: 8 });
      const controller = newController();
      const runs = [];
      let peak = 0;
      for (let i = 0; i < 10000; i++) {
        runs.push(gate.run(async () => {
          peak = Math.max(peak, getEventListeners(controller.signal, 'abort').length);
          if (i % 3 === 0) await immediate();
        }, { signal: controller.signal, timeout: 60000 }));
      }
      await Promise.all(runs);
      assert.equal(peak, 1);
      assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
    });

    it('queued tasks that are cancelled are not retained (garbage-collected)', async () => {
      v8.setFlagsFromString('--expose-gc');
      const gc = vm.runInNewContext('gc');
      const gate = new AsyncGate({ concurrency: 1 });
      const hold = deferred();
      const first = gate.run(() => hold.promise);
      const controller = newController();
      const counter = { collected: 0 };
      const runs = scheduleCollectable(gate, controller.signal, 50, counter);
      controller.abort();
      assert.deepEqual(new Set(await runs), new Set([codes.ABORTED]));
      for (let i = 0; i < 20 && counter.collected < 50; i++) {
        gc();
        await immediate();
      }
      assert.equal(counter.collected, 50);
      hold.resolve();
      await first;
    });
  });

  describe('onIdle and close', () => {
    it('onIdle resolves at once when idle, else when active and pending are both 0; never rejects', async () => {
      const gate = new AsyncGate({ concurrency: 1 });
      await gate.onIdle();
      const hold = deferred();
      const p1 = gate.run(() => hold.promise).catch(() => {});
      const p2 = gate.run(() => { throw new Error('x'); }).catch(() => {});
      let idle = false;
      const idlePromise = gate.onIdle().then(() => { idle = true; });
      await immediate();
      assert.equal(idle, false);
      hold.reject(new Error('y'));
      await idlePromise;
      assert.equal(gate.active + gate.pending, 0);
      await Promise.all([p1, p2]);
    });

    it('close() rejects queued tasks with CLOSED, lets running finish, rejects later runs, resolves when drained', async () => {
      const gate = new AsyncGate({ concurrency: 1 });
      const hold = deferred();
      const running = gate.run(() => hold.promise);
      let queuedRan = false;
      const queued = gate.run(() => { queuedRan = true; }, { timeout: 60000, signal: newController().signal });
      let closed = false;
      const closing = gate.close().then(() => { closed = true; });
      assert.equal(gate.closed, true);
      await rejectsWithCode(queued, codes.CLOSED);
      await rejectsWithCode(gate.run(() => {}), 'CTXFRAME_GATE_CLOSED');
      await immediate();
      assert.equal(closed, false);
      hold.resolve('done');
      assert.equal(await running, 'done');
      await closing;
      assert.equal(queuedRan, false);
      await gate.close(); // idempotent
    });
  });

  describe('re-entrancy and nesting', () => {
    it('run inside run of another gate (nested gates) completes, each level in its own context', async () => {
      const outer = new AsyncGate({ concurrency: 2 });
      const inner = new AsyncGate({ concurrency: 1 });
      const results = await Promise.all([1, 2, 3, 4].map((i) => inContext(`o${i}`, () => outer.run(async () => {
        const parts = await Promise.all([1, 2].map((j) => frameStore.run(`o${i}.${j}`, () => inner.run(async () => {
          await randomDelay();
          return seen();
        }))));
        return [seen(), parts];
      }))));
      for (const [i, [own, parts]] of results.entries()) {
        assert.deepEqual(own, [`o${i + 1}`, `o${i + 1}`]);
        assert.deepEqual(parts, [[`o${i + 1}.1`, `o${i + 1}`], [`o${i + 1}.2`, `o${i + 1}`]]);
      }
      assert.equal(outer.active + inner.active, 0);
    });

    it('a task may schedule follow-ups into its own full gate without awaiting them (no deadlock)', async () => {
      const gate = new AsyncGate({ concurrency: 1 });
      const seenBy = [];
      const follow = [];
      await inContext('root', () => gate.run(async () => {
        for (let i = 0; i < 3; i++) {
          follow.push(frameStore.run(`child${i}`, () => gate.run(() => { seenBy.push(seen()); })));
        }
        return 'parent done';
      }));
      await Promise.all(follow);
      await gate.onIdle();
      assert.deepEqual(seenBy, [['child0', 'root'], ['child1', 'root'], ['child2', 'root']]);
    });

    it('awaiting a sub-task in your own gate works while a slot is free', async () => {
      const gate = new AsyncGate({ concurrency: 2 });
      const out = await gate.run(async () => gate.run(async () => 'child'));
      assert.equal(out, 'child');
    });

    it('documented deadlock: awaiting a sub-task in your own full gate never starts it (a timeout surfaces it)', async () => {
      const gate = new AsyncGate({ concurrency: 1 });
      let childRan = false;
      const parent = gate.run(async () => gate.run(() => { childRan = true; }, { timeout: 10 }));
      await rejectsWithCode(parent, codes.TIMEOUT);
      await gate.onIdle();
      assert.equal(childRan, false);
    });
  });
});
