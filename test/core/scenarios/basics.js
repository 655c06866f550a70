'use strict';
// Owns: parity scenarios for the synchronous API surface — run/exit nesting, throws, enterWith,
// disable, isolation, bind/snapshot, defaultValue, name, withScope. Each is run on the built-in
// and on ctxframe by test/core/parity-basics.test.js; `expect` holds the outright expectation.

const U = '<undefined>';

module.exports = {
  'nested run and exit restore the outer store; run/exit return fn result and pass args': {
    fn(ALS, t) {
      const a = new ALS();
      t.log(a.getStore());
      a.run(1, () => {
        t.log(a.getStore());
        a.run(2, () => {
          t.log(a.getStore());
          a.exit(() => t.log(a.getStore()));
          t.log(a.getStore());
        });
        t.log(a.getStore());
      });
      t.log(a.getStore());
      t.log(a.run(3, (x, y) => [x + y, a.getStore()], 4, 5));
      t.log(a.run(3, () => a.exit((x) => [x, a.getStore()], 'arg')));
    },
    expect: [U, 1, 2, U, 2, 1, U, [9, 3], ['arg', U]],
  },

  'a throw inside run or exit restores the previous store': {
    fn(ALS, t) {
      const a = new ALS();
      a.run('outer', () => {
        try {
          a.run('inner', () => { throw new Error('boom'); });
        } catch (err) {
          t.log([err.message, a.getStore()]);
        }
        try {
          a.exit(() => { throw new Error('boom2'); });
        } catch (err) {
          t.log([err.message, a.getStore()]);
        }
      });
      try {
        a.run('x', () => { throw new TypeError('top'); });
      } catch (err) {
        t.log([err.message, a.getStore()]);
      }
    },
    expect: [['boom', 'outer'], ['boom2', 'outer'], ['top', U]],
  },

  'run with the same store object, sync and across await': {
    async fn(ALS, t) {
      const a = new ALS();
      const s = { id: 1 };
      a.run(s, () => a.run(s, () => t.log(a.getStore() === s)));
      await a.run(s, async () => {
        await a.run(s, async () => { await null; t.log(a.getStore() === s); });
        t.log(a.getStore() === s);
      });
      t.log(a.getStore());
    },
    expect: [true, true, true, U],
  },

  'enterWith at top level is seen by later sync code, timers and promises': {
    async fn(ALS, t) {
      const a = new ALS();
      a.enterWith('top');
      t.log(['sync', a.getStore()]);
      setTimeout(() => t.log(['timeout', a.getStore()]), 1);
      Promise.resolve().then(() => t.log(['then', a.getStore()]));
      await t.sleep(5);
      t.log(['after await', a.getStore()]);
      a.run('r', () => t.log(['run', a.getStore()]));
      t.log(['after run', a.getStore()]);
    },
    expect: [['sync', 'top'], ['then', 'top'], ['timeout', 'top'], ['after await', 'top'],
      ['run', 'r'], ['after run', 'top']],
  },

  'enterWith inside timers stays inside that timer callback and what it schedules': {
    async fn(ALS, t) {
      const a = new ALS();
      const seen = {}; // keyed: sibling timers may fire in either order under load
      await new Promise((resolve) => {
        let left = 4;
        const note = (k, v) => { seen[k] = v; if (--left === 0) resolve(); };
        a.run('outer', () => {
          setTimeout(() => {
            note('t1 before', a.getStore());
            a.enterWith('t1');
            note('t1 after', a.getStore());
            setTimeout(() => note('t1 child', a.getStore()), 1);
          }, 1);
          setTimeout(() => note('t2 sibling', a.getStore()), 2);
        });
      });
      t.log(seen);
      await new Promise((resolve) => setImmediate(() => {
        a.enterWith('imm');
        t.log(['immediate', a.getStore()]);
        resolve();
      }));
      t.log(['top', a.getStore()]);
    },
    expect: [{ 't1 before': 'outer', 't1 after': 't1', 't2 sibling': 'outer', 't1 child': 't1' },
      ['immediate', 'imm'], ['top', U]],
  },

  'enterWith before and after an await inside async functions': {
    async fn(ALS, t) {
      const a = new ALS();
      async function before() {
        a.enterWith('before');
        t.log(['before: in fn', a.getStore()]);
        await null;
        t.log(['before: after await', a.getStore()]);
      }
      async function after() {
        await null;
        a.enterWith('after');
        t.log(['after: in fn', a.getStore()]);
        await null;
        t.log(['after: after 2nd await', a.getStore()]);
      }
      await a.run('outer', async () => {
        const p = before();
        t.log(['caller sync after before()', a.getStore()]);
        await p;
        t.log(['caller after await before()', a.getStore()]);
      });
      t.log(['top 1', a.getStore()]);
      await a.run('outer2', async () => {
        await after();
        t.log(['caller after await after()', a.getStore()]);
        await t.tick();
        t.log(['caller after tick', a.getStore()]);
      });
      t.log(['top 2', a.getStore()]);
      await after();
      t.log(['top 3 after after()', a.getStore()]);
    },
    // Same on every runtime mode (checked on 20, 22, 22+flag, 24, 24 --no-async-context-frame, 26).
    expect: [['before: in fn', 'before'], ['caller sync after before()', 'before'],
      ['before: after await', 'before'], ['caller after await before()', 'before'], ['top 1', U],
      ['after: in fn', 'after'], ['after: after 2nd await', 'after'], ['caller after await after()', 'outer2'],
      ['caller after tick', 'outer2'], ['top 2', U], ['after: in fn', 'after'], ['after: after 2nd await', 'after'],
      ['top 3 after after()', U]],
  },

  'enterWith in EventEmitter listeners is seen by later listeners of the same emit': {
    fn(ALS, t) {
      const { EventEmitter } = require('node:events');
      const a = new ALS();
      const ee = new EventEmitter();
      ee.on('x', () => { t.log(['l1 before', a.getStore()]); a.enterWith('l1'); });
      ee.on('x', () => t.log(['l2', a.getStore()]));
      a.run('emit', () => {
        ee.emit('x');
        t.log(['after emit in run', a.getStore()]);
      });
      t.log(['outside', a.getStore()]);
    },
    expect: [['l1 before', 'emit'], ['l2', 'l1'], ['after emit in run', 'l1'], ['outside', U]],
  },

  'disable() inside run, then run() again, getStore after disable': {
    async fn(ALS, t) {
      const a = new ALS();
      const b = new ALS();
      a.run(1, () => {
        b.run('b', () => {
          setTimeout(() => t.log(['timer scheduled before disable', a.getStore(), b.getStore()]), 1);
          a.disable();
          t.log(['after disable', a.getStore(), b.getStore()]);
          setTimeout(() => t.log(['timer scheduled after disable', a.getStore(), b.getStore()]), 2);
        });
        t.log(['after inner run', a.getStore()]);
      });
      a.run(2, () => t.log(['run after disable', a.getStore()]));
      t.log(['top after disable', a.getStore()]);
      a.enterWith(3);
      t.log(['enterWith after disable', a.getStore()]);
      a.disable();
      t.log(['disable again', a.getStore()]);
      await t.sleep(10);
      t.log(['end', a.getStore(), b.getStore()]);
    },
    expect: [['after disable', U, 'b'], ['after inner run', U], ['run after disable', 2],
      ['top after disable', U], ['enterWith after disable', 3], ['disable again', U],
      ['timer scheduled before disable', U, 'b'], ['timer scheduled after disable', U, 'b'], ['end', U, U]],
  },

  'two storages are isolated': {
    async fn(ALS, t) {
      const a = new ALS();
      const b = new ALS();
      a.run('a1', () => {
        b.run('b1', () => {
          t.log([a.getStore(), b.getStore()]);
          a.run('a2', () => t.log([a.getStore(), b.getStore()]));
          b.exit(() => t.log([a.getStore(), b.getStore()]));
          t.log([a.getStore(), b.getStore()]);
        });
        b.enterWith('b-entered');
        t.log([a.getStore(), b.getStore()]);
      });
      t.log([a.getStore(), b.getStore()]);
      await Promise.all([
        a.run('A', async () => { await t.tick(); return b.run('B', async () => { await t.sleep(1); return [a.getStore(), b.getStore()]; }); }),
        b.run('B2', async () => { await t.tick(); return [a.getStore(), b.getStore()]; }),
      ]).then((r) => t.log(r));
    },
    expect: [['a1', 'b1'], ['a2', 'b1'], ['a1', U], ['a1', 'b1'], ['a1', 'b-entered'], [U, 'b-entered'],
      [['A', 'B'], ['<undefined>', 'B2']]],
  },

  '100 storages are isolated across await and timers': {
    async fn(ALS, t) {
      const storages = Array.from({ length: 100 }, () => new ALS());
      const readAll = () => storages.map((s) => s.getStore());
      function nest(i, fn) {
        if (i === storages.length) return fn();
        return storages[i].run(`s${i}`, () => nest(i + 1, fn));
      }
      const expected = storages.map((_, i) => `s${i}`);
      const seen = await nest(0, async () => {
        const sync = readAll();
        await null;
        const afterAwait = readAll();
        const inTimer = await new Promise((resolve) => setTimeout(() => resolve(readAll()), 1));
        const exited = storages[50].exit(() => readAll());
        return { sync, afterAwait, inTimer, exited };
      });
      t.log(JSON.stringify(seen.sync) === JSON.stringify(expected));
      t.log(JSON.stringify(seen.afterAwait) === JSON.stringify(expected));
      t.log(JSON.stringify(seen.inTimer) === JSON.stringify(expected));
      t.log(seen.exited[50]);
      t.log(seen.exited.filter((v) => v === undefined).length);
      t.log(readAll().filter((v) => v === undefined).length);
      storages[7].enterWith('e7');
      const r = readAll();
      t.log([r[6], r[7], r[8]]);
    },
    expect: [true, true, true, U, 1, 100, [U, 'e7', U]],
  },

  'AsyncLocalStorage.bind and snapshot (static)': {
    async fn(ALS, t) {
      const a = new ALS();
      const b = new ALS();
      const bound = a.run('r1', () => b.run('b1', () => ALS.bind((x) => [x, a.getStore(), b.getStore()])));
      const snap = a.run('r2', () => ALS.snapshot());
      a.run('r3', () => {
        t.log(bound('arg'));
        t.log(snap(() => [a.getStore(), b.getStore()]));
        t.log(snap((x, y) => x + y, 1, 2));
        t.log(a.getStore());
      });
      t.log(bound(1));
      const obj = { v: 5, f: a.run('this', () => ALS.bind(function () { return [this && this.v, a.getStore()]; })) };
      t.log(obj.f());
      t.log([typeof bound, bound.length]);
      try {
        a.run('r4', () => snap(() => { throw new Error('in snapshot'); }));
      } catch (err) {
        t.log([err.message, a.getStore()]);
      }
      const later = await a.run('r5', async () => { await null; return ALS.snapshot(); });
      t.log(later(() => a.getStore()));
      t.log(a.run('r6', () => setTimeout(bound, 0, 'timer') && 'scheduled'));
      await new Promise((resolve) => setTimeout(() => {
        t.log(a.run('r7', () => bound('in timer')));
        resolve();
      }, 2));
    },
    expect: [['arg', 'r1', 'b1'], ['r2', U], 3, 'r3', [1, 'r1', 'b1'], [5, 'this'], ['function', 1],
      ['in snapshot', U], 'r5', 'scheduled', ['in timer', 'r1', 'b1']],
  },

  'defaultValue shows only when no store is set; run(undefined) and exit() store undefined': {
    needs: 'node24api',
    async fn(ALS, t) {
      const a = new ALS({ defaultValue: 'dflt' });
      t.log(a.getStore());
      a.run(undefined, () => t.log(a.getStore()));
      a.run('x', () => a.exit(() => t.log(a.getStore())));
      a.run(null, () => t.log(a.getStore()));
      await a.run(undefined, async () => { await t.tick(); t.log(a.getStore()); });
      a.run('x', () => setTimeout(() => a.exit(() => t.log(a.getStore())), 1));
      await t.sleep(5);
      t.log(a.getStore());
      const b = new ALS();
      t.log(b.getStore());
      const c = new ALS({ defaultValue: 0 });
      t.log(c.getStore());
      t.log(new ALS({}).getStore());
      a.enterWith(undefined);
      t.log(a.getStore());
    },
    // Node 24's async_hooks-based built-in (--no-async-context-frame) shows the default inside
    // exit() and, after run() on a storage without a store, undefined. Node 20 and 22's built-in
    // has no defaultValue; ctxframe gives every async_hooks runtime Node 24's async_hooks
    // semantics (README: "It follows the built-in of the runtime it runs on").
    expect: (rt) => (!rt.frameMode
      ? ['dflt', U, 'dflt', null, U, 'dflt', U, U, 0, U, U]
      : ['dflt', U, U, null, U, U, 'dflt', U, 0, U, U]),
  },

  'name option': {
    needs: 'node24api',
    fn(ALS, t) {
      t.log(new ALS({ name: 'requests' }).name);
      t.log(new ALS().name);
      t.log(new ALS({}).name);
      t.log(new ALS({ name: 42 }).name);
      const a = new ALS({ name: 'n' });
      t.log(typeof a.name);
    },
    expect: ['requests', '', '', '42', 'string'],
  },

  'withScope: dispose() and [Symbol.dispose]() restore the previous store': {
    needs: 'node24api',
    async fn(ALS, t) {
      const a = new ALS();
      const s1 = a.withScope('s1');
      t.log(a.getStore());
      s1.dispose();
      t.log(a.getStore());
      a.run('outer', () => {
        const s = a.withScope('inner');
        t.log(a.getStore());
        if (typeof Symbol.dispose === 'symbol') s[Symbol.dispose]();
        else s.dispose();
        t.log(a.getStore());
      });
      const x1 = a.withScope(1);
      const x2 = a.withScope(2);
      t.log(a.getStore());
      x2.dispose();
      t.log(a.getStore());
      x1.dispose();
      t.log(a.getStore());
      x1.dispose();
      t.log(a.getStore());
      const aw = a.withScope('across await');
      await t.tick();
      t.log(a.getStore());
      aw.dispose();
      t.log(a.getStore());
      const tm = a.withScope('timer');
      setTimeout(() => t.log(['timer', a.getStore()]), 1);
      tm.dispose();
      await t.sleep(5);
    },
    expect: ['s1', U, 'inner', 'outer', 2, 1, U, U, 'across await', U, ['timer', 'timer']],
  },

  'disable() then re-enable by run/enterWith: what work scheduled before disable sees': {
    async fn(ALS, t) {
      const a = new ALS();
      const seen = {};
      let fire;
      const gate = new Promise((r) => { fire = r; });
      a.run('before-1', () => {
        setTimeout(() => { seen.timer = a.getStore(); }, 5);
        gate.then(() => { seen.reaction = a.getStore(); });
      });
      a.run('before-2', () => {
        setImmediate(() => { seen.immediate = a.getStore(); });
      });
      a.disable();
      seen.afterDisable = a.getStore();
      a.run('re-enabled', () => {
        seen.inNewRun = a.getStore();
        fire();
      });
      await new Promise((r) => setTimeout(r, 20));
      a.enterWith('entered');
      const late = a.run('late', () => new Promise((r) => setTimeout(() => r(a.getStore()), 1)));
      seen.late = await late;
      seen.end = a.getStore();
      t.log(seen);
    },
    // disable() blanks the storage for the current execution only; work captured earlier keeps
    // its store and shows it again once the storage is enabled (every runtime mode).
    expect: [{ afterDisable: U, inNewRun: 're-enabled', reaction: 'before-1', immediate: 'before-2',
      timer: 'before-1', late: 'late', end: 'entered' }],
  },

  'exit() and run() restore only their own storage, also around enterWith': {
    fn(ALS, t) {
      const a = new ALS();
      const b = new ALS();
      a.run(1, () => {
        a.exit(() => { a.enterWith(5); b.enterWith('b5'); });
        t.log([a.getStore(), b.getStore()]);
        b.run('b', () => { a.enterWith(6); });
        t.log([a.getStore(), b.getStore()]);
      });
      t.log([a.getStore(), b.getStore()]);
    },
    // With async_hooks exit() only switches the storage off, so an enterWith inside it persists;
    // with AsyncContextFrame exit() is run(undefined) and restores.
    expect: (rt) => [[rt.frameMode ? 1 : 5, 'b5'], [6, 'b5'], [U, 'b5']],
  },

  'storages created after a disable() never see the disabled storage\'s values in old frames': {
    async fn(ALS, t) {
      const olds = Array.from({ length: 8 }, () => new ALS());
      let fresh = [];
      let fire;
      const gate = new Promise((r) => { fire = r; });
      const reactions = [];
      olds.forEach((s, i) => s.run(`old${i}`, () => {
        reactions.push(gate.then(() => ({
          own: s.getStore(),
          freshDefined: fresh.map((f) => f.getStore()).filter((v) => v !== undefined),
        })));
      }));
      for (const s of olds) s.disable();
      fresh = Array.from({ length: 64 }, () => new ALS());
      fresh.forEach((f, i) => f.run(`fresh${i}`, () => {}));
      fresh[3].enterWith('entered3');
      fire();
      const seen = await Promise.all(reactions);
      t.log(seen.map((r) => r.freshDefined));
      olds[0].run('re-enabled', () => {});
      t.log(olds.map((s) => s.getStore()));
      t.log(fresh.map((f) => f.getStore()).filter((v) => v !== undefined));
    },
    // The reactions ran with the gate's context (none), so each sees fresh[3]'s enterWith only if
    // it leaked — it must not; the old storages read blank while disabled.
    expect: [[[], [], [], [], [], [], [], []], [U, U, U, U, U, U, U, U], ['entered3']],
  },
};
