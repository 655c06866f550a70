'use strict';
// Owns: parity scenarios for process-wide machinery — unhandledRejection / uncaughtException
// handlers, vm contexts, diagnostics_channel stores, deep nesting, worker_threads, and a
// built-in storage mixed with the tested one.

const U = '<undefined>';

module.exports = {
  'unhandledRejection handler': {
    async fn(ALS, t) {
      const a = new ALS();
      const seen = new Promise((resolve) => {
        process.on('unhandledRejection', (reason) => {
          t.log(['unhandledRejection', reason.message, a.getStore()]);
          resolve();
        });
      });
      a.run('rejecter', () => { Promise.reject(new Error('nobody catches')); });
      await seen;
      const seen2 = new Promise((resolve) => process.once('rejectionHandled', () => { t.log(['rejectionHandled', a.getStore()]); resolve(); }));
      const late = a.run('late', () => Promise.reject(new Error('caught late')));
      await t.sleep(5);
      a.run('catcher', () => late.catch(() => t.log(['late catch', a.getStore()])));
      await seen2;
      t.log(a.getStore());
    },
    expect: [['unhandledRejection', 'nobody catches', 'rejecter'], ['unhandledRejection', 'caught late', 'late'],
      ['late catch', 'catcher'], ['rejectionHandled', U], U],
  },

  'uncaughtException handler': {
    async fn(ALS, t) {
      const a = new ALS();
      let n = 0;
      const done = new Promise((resolve) => {
        process.on('uncaughtException', (err) => {
          t.log(['uncaughtException', err.message, a.getStore()]);
          if (++n === 2) resolve();
        });
      });
      a.run('timer', () => setTimeout(() => { throw new Error('from timer'); }, 1));
      await t.sleep(10);
      a.run('immediate', () => setImmediate(() => { throw new Error('from immediate'); }));
      await done;
      a.run('after', () => t.log(['after', a.getStore()]));
      t.log(a.getStore());
    },
    expect: [['uncaughtException', 'from timer', 'timer'], ['uncaughtException', 'from immediate', 'immediate'],
      ['after', 'after'], U],
  },

  'vm contexts: code and promises from another realm': {
    async fn(ALS, t) {
      const vm = require('node:vm');
      const a = new ALS();
      const sandbox = { als: a, log: (x) => t.log(x), setTimeout };
      vm.createContext(sandbox);
      a.run('outer', () => t.log(['runInNewContext', vm.runInNewContext('als.getStore()', { als: a })]));
      vm.runInContext("als.run('in vm', () => log(['run inside vm', als.getStore()]))", sandbox);
      const foreign = vm.runInContext('(cb) => Promise.resolve().then(cb)', sandbox);
      await a.run('foreign promise', () => foreign(() => t.log(['foreign then', a.getStore()])));
      const p = vm.runInContext("als.run('vm async', async () => { await null; await new Promise((r) => setTimeout(r, 1)); return als.getStore(); })", sandbox);
      t.log(['vm async fn', await p]);
      const foreignAsync = vm.runInContext('(async (cb) => { await null; return cb(); })', sandbox);
      t.log(['foreign async fn', await a.run('fa', () => foreignAsync(() => a.getStore()))]);
      t.log(a.getStore());
    },
    expect: [['runInNewContext', 'outer'], ['run inside vm', 'in vm'], ['foreign then', 'foreign promise'],
      ['vm async fn', 'vm async'], ['foreign async fn', 'fa'], U],
  },

  'diagnostics_channel bindStore / runStores': {
    async fn(ALS, t) {
      const dc = require('node:diagnostics_channel');
      const a = new ALS();
      const ch = dc.channel('ctxframe.test.parity');
      ch.bindStore(a, (msg) => `store for ${msg.id}`);
      ch.subscribe((msg) => t.log(['subscriber', msg.id, a.getStore()]));
      a.run('outer', () => {
        ch.runStores({ id: 1 }, (x) => {
          t.log(['in runStores', x, a.getStore()]);
        }, null, 'arg');
        t.log(['after runStores', a.getStore()]);
      });
      await new Promise((resolve) => ch.runStores({ id: 2 }, () => setTimeout(() => {
        t.log(['timer from runStores', a.getStore()]);
        resolve();
      }, 1)));
      ch.unbindStore(a);
      ch.runStores({ id: 3 }, () => t.log(['after unbind', a.getStore()]));
    },
    expect: [['subscriber', 1, 'store for 1'], ['in runStores', 'arg', 'store for 1'], ['after runStores', 'outer'],
      ['subscriber', 2, 'store for 2'], ['timer from runStores', 'store for 2'], ['subscriber', 3, U], ['after unbind', U]],
  },

  'diagnostics_channel TracingChannel traceSync / tracePromise stores': {
    async fn(ALS, t) {
      const dc = require('node:diagnostics_channel');
      const a = new ALS();
      const tc = dc.tracingChannel('ctxframe.test.tracing');
      tc.start.bindStore(a, (ctx) => `span ${ctx.op}`);
      tc.subscribe({
        start: (ctx) => t.log(['start', ctx.op, a.getStore()]),
        end: (ctx) => t.log(['end', ctx.op, a.getStore()]),
        asyncStart: (ctx) => t.log(['asyncStart', ctx.op, a.getStore()]),
        asyncEnd: (ctx) => t.log(['asyncEnd', ctx.op, a.getStore()]),
        error: (ctx) => t.log(['error', ctx.op, a.getStore()]),
      });
      a.run('caller', () => t.log(['traceSync result', tc.traceSync(() => a.getStore(), { op: 'sync' })]));
      const v = await a.run('caller2', () => tc.tracePromise(async () => {
        await new Promise((r) => setTimeout(r, 1));
        return a.getStore();
      }, { op: 'promise' }));
      t.log(['tracePromise result', v, a.getStore()]);
    },
    expect: [['start', 'sync', 'span sync'], ['end', 'sync', 'span sync'], ['traceSync result', 'span sync'],
      ['start', 'promise', 'span promise'], ['end', 'promise', 'span promise'], ['asyncStart', 'promise', 'span promise'],
      ['asyncEnd', 'promise', 'span promise'], ['tracePromise result', 'span promise', U]],
  },

  '10,000 nested runs (each level entered after an await) unwind to the right store': {
    async fn(ALS, t) {
      const a = new ALS();
      const b = new ALS();
      let mismatches = 0;
      let deepest;
      async function nest(i) {
        if (i === 10000) { deepest = [a.getStore(), b.getStore()]; return; }
        await a.run(i, async () => {
          await null;
          await nest(i + 1);
          if (a.getStore() !== i) mismatches++;
        });
        if (a.getStore() !== (i === 0 ? undefined : i - 1)) mismatches++;
      }
      await b.run('b', () => nest(0));
      t.log([mismatches, deepest, a.getStore(), b.getStore()]);
    },
    expect: [[0, [9999, 'b'], U, U]],
  },

  '1,000 synchronously nested runs unwind to the right store at every level': {
    fn(ALS, t) {
      const a = new ALS();
      let mismatches = 0;
      let deepest;
      function nest(i) {
        if (i === 1000) { deepest = a.getStore(); return; }
        a.run(i, () => {
          nest(i + 1);
          if (a.getStore() !== i) mismatches++;
        });
      }
      nest(0);
      t.log([mismatches, deepest, a.getStore()]);
    },
    expect: [[0, 999, U]],
  },

  'storages inside 4 worker threads at once, each exiting cleanly': {
    async fn(ALS, t) {
      const { Worker } = require('node:worker_threads');
      const code = `
        const { parentPort, workerData } = require('node:worker_threads');
        const ALS = ${t.implExpr};
        const a = new ALS();
        const b = new ALS();
        a.run('w' + workerData.id, () => b.run('b' + workerData.id, async () => {
          await null;
          await new Promise((r) => setTimeout(r, 1));
          const inTimer = await new Promise((r) => setImmediate(() => r([a.getStore(), b.getStore()])));
          parentPort.postMessage({ id: workerData.id, inTimer, outside: a.exit(() => a.getStore()) });
        }));
      `;
      const a = new ALS();
      const results = await a.run('main', () => Promise.all([0, 1, 2, 3].map((id) => new Promise((resolve, reject) => {
        const w = new Worker(code, { eval: true, workerData: { id } });
        let msg;
        w.on('message', (m) => { msg = m; });
        w.on('error', reject);
        w.on('exit', (exitCode) => resolve({ msg, exitCode, mainStore: a.getStore() }));
      }))));
      for (const r of results) t.log(r);
      t.log(a.getStore());
    },
    expect: [0, 1, 2, 3].map((id) => ({ msg: { id, inTimer: [`w${id}`, `b${id}`], outside: U }, exitCode: 0, mainStore: 'main' }))
      .concat([U]),
  },

  'a built-in storage and the tested storage nested in both orders': {
    async fn(ALS, t) {
      const a = new ALS();
      const n = new t.Builtin();
      const both = () => [a.getStore(), n.getStore()];
      await a.run('a-outer', () => n.run('n-inner', async () => {
        t.log(['a>n sync', both()]);
        await null;
        t.log(['a>n await', both()]);
        await new Promise((r) => setTimeout(r, 1));
        t.log(['a>n timer', both()]);
        await new Promise((r) => setImmediate(r));
        a.run('a-deeper', () => t.log(['a>n>a', both()]));
        t.log(['a>n after', both()]);
      }));
      await n.run('n-outer', () => a.run('a-inner', async () => {
        t.log(['n>a sync', both()]);
        await null;
        t.log(['n>a await', both()]);
        await new Promise((r) => setTimeout(r, 1));
        t.log(['n>a timer', both()]);
        await new Promise((r) => process.nextTick(r));
        n.run('n-deeper', () => t.log(['n>a>n', both()]));
        n.exit(() => t.log(['n>a exit n', both()]));
        a.exit(() => t.log(['n>a exit a', both()]));
      }));
      n.run('n-enter', () => { a.enterWith('a-entered'); t.log(['enterWith inside built-in run', both()]); });
      t.log(['top', both()]);
    },
    expect: [['a>n sync', ['a-outer', 'n-inner']], ['a>n await', ['a-outer', 'n-inner']],
      ['a>n timer', ['a-outer', 'n-inner']], ['a>n>a', ['a-deeper', 'n-inner']], ['a>n after', ['a-outer', 'n-inner']],
      ['n>a sync', ['a-inner', 'n-outer']], ['n>a await', ['a-inner', 'n-outer']], ['n>a timer', ['a-inner', 'n-outer']],
      ['n>a>n', ['a-inner', 'n-deeper']], ['n>a exit n', ['a-inner', U]], ['n>a exit a', [U, 'n-outer']],
      ['enterWith inside built-in run', ['a-entered', 'n-enter']], ['top', ['a-entered', U]]],
  },

  'a built-in storage and the tested storage: enterWith, disable, exit and snapshot across them': {
    async fn(ALS, t) {
      const a = new ALS();
      const n = new t.Builtin();
      const n2 = new t.Builtin();
      const both = () => [a.getStore(), n.getStore()];
      await a.run('A', async () => {
        n.enterWith('N-entered');
        t.log(['built-in enterWith inside run', both()]);
        await null;
        t.log(['after await', both()]);
        await new Promise((r) => setTimeout(r, 1));
        t.log(['after timer', both()]);
        n2.run('x', () => {});
        n2.disable();
        t.log(['after a built-in run+disable', both()]);
      });
      t.log(['outside', both()]);
      const snapFromBuiltin = n.run('N', () => a.run('A2', () => t.Builtin.snapshot()));
      const snapFromOurs = n.run('N3', () => a.run('A3', () => ALS.snapshot()));
      t.log(['built-in snapshot', snapFromBuiltin(() => both())]);
      t.log(['tested snapshot', snapFromOurs(() => both())]);
      const boundByBuiltin = a.run('A4', () => n.run('N4', () => t.Builtin.bind(() => both())));
      t.log(['built-in bind', boundByBuiltin()]);
      n.run('N5', () => a.run('A5', () => n.exit(() => t.log(['built-in exit inside', both()]))));
      a.run('A6', () => n.run('N6', () => a.exit(() => t.log(['tested exit inside', both()]))));
      await n.run('N7', () => a.run('A7', async () => {
        await new Promise((r) => setImmediate(r));
        n.disable();
        t.log(['built-in disabled inside', both()]);
        await null;
        t.log(['after await', both()]);
      }));
      t.log(['end', both()]);
    },
    // run() restores only its own storage, so the built-in's enterWith inside it persists after;
    // a disabled built-in storage is blank everywhere with async_hooks, only in the current frame
    // with AsyncContextFrame.
    expect: (rt) => [['built-in enterWith inside run', ['A', 'N-entered']], ['after await', ['A', 'N-entered']],
      ['after timer', ['A', 'N-entered']], ['after a built-in run+disable', ['A', 'N-entered']],
      ['outside', [U, 'N-entered']], ['built-in snapshot', ['A2', 'N']], ['tested snapshot', ['A3', 'N3']],
      ['built-in bind', ['A4', 'N4']], ['built-in exit inside', ['A5', U]], ['tested exit inside', [U, 'N6']],
      ['built-in disabled inside', ['A7', U]], ['after await', ['A7', U]], ['end', [U, rt.frameMode ? 'N-entered' : U]]],
  },
};
