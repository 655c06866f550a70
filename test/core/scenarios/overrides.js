'use strict';
// Owns: parity scenarios for what run(), exit() and withScope() call on the storage itself --
// the calls APM agents observe. Node's AsyncContextFrame storage runs run() through
// this.getStore() and this.enterWith(); its async_hooks storage asks this.getStore() only.
// dd-trace detects AsyncContextFrame by overriding enterWith on a fresh storage and calling
// run(); profilers wrap an instance's enterWith alone. Each scenario runs on the built-in and
// on ctxframe (test/core/parity-overrides.test.js); `expect` holds the outright expectation.

const U = '<undefined>';

module.exports = {
  // dd-trace's own detection, as packages/datadog-core/src/storage.js writes it.
  'an instance enterWith override tells whether run() goes through enterWith (dd-trace)': {
    fn(ALS, t) {
      const isACFActive = (() => {
        let active = false;
        const als = new ALS();
        als.enterWith = () => { active = true; };
        als.run(1, () => {});
        als.disable();
        return active;
      })();
      t.log(isACFActive);
    },
    expect: (rt) => [rt.frameMode],
  },

  'a subclass overriding getStore and enterWith sees the calls the built-in makes': {
    async fn(ALS, t) {
      class Traced extends ALS {
        getStore() {
          const store = super.getStore();
          t.log(['getStore', store]);
          return store;
        }

        enterWith(store) {
          t.log(['enterWith', store]);
          super.enterWith(store);
        }
      }
      const a = new Traced();
      t.log(['run returns', a.run(1, (x) => { t.log('inside 1'); return x; }, 'r')]);
      a.run(2, () => a.run(2, () => t.log('inside 2, same store')));
      await a.run(3, async () => {
        await null;
        t.log('after await in 3');
        a.getStore();
      });
      a.exit(() => { t.log('inside exit'); a.getStore(); });
      try {
        a.run(4, () => { throw new Error('boom'); });
      } catch (err) {
        t.log(['threw', err.message]);
      }
      a.getStore();
    },
  },

  'a wrapper on one instance\'s enterWith sees run()\'s switches on frame runtimes (profilers)': {
    async fn(ALS, t) {
      const a = new ALS();
      const b = new ALS();
      const seen = [];
      const orig = a.enterWith;
      a.enterWith = function enterWith(store) {
        seen.push(store);
        return orig.call(this, store);
      };
      await a.run('x', async () => {
        await b.run('y', async () => { await null; t.log([a.getStore(), b.getStore()]); });
        a.run('z', () => t.log(a.getStore()));
        await null;
        t.log(a.getStore());
      });
      t.log(a.getStore());
      t.log(seen);
    },
    expect: (rt) => [['x', 'y'], 'z', 'x', U, rt.frameMode ? ['x', U, 'z', 'x'] : []],
  },

  'a patch of the prototype\'s enterWith and getStore is called as the built-in calls it': {
    fn(ALS, t) {
      const proto = ALS.prototype;
      const { enterWith, getStore } = proto;
      const calls = [];
      proto.enterWith = function (store) { calls.push(['enterWith', store]); return enterWith.call(this, store); };
      proto.getStore = function () { calls.push(['getStore']); return getStore.call(this); };
      try {
        const a = new ALS();
        a.run(1, () => calls.push(['inside', getStore.call(a)]));
        a.exit(() => calls.push(['exit', getStore.call(a)]));
        calls.push(['after', getStore.call(a)]);
      } finally {
        proto.enterWith = enterWith;
        proto.getStore = getStore;
      }
      t.log(calls);
    },
  },

  // dd-trace's storage on AsyncContextFrame runtimes: getStore(handle) overridden, run() inherited.
  'a subclass with getStore(handle) keeps each request\'s store across awaits (dd-trace\'s storage)': {
    async fn(ALS, t) {
      class HandleStorage extends ALS {
        getHandle() { return super.getStore(); }
        getStore(handle) { return handle ?? super.getStore(); }
      }
      const s = new HandleStorage();
      const one = async (id) => {
        await s.run({ id }, async () => {
          for (let i = 0; i < 3; i++) {
            await new Promise((resolve) => setImmediate(resolve));
            t.log([id, i, s.getStore().id, s.getStore(s.getHandle()).id]);
          }
        });
      };
      await Promise.all([one('a'), one('b')]);
      t.log(s.getStore());
    },
    expect: [['a', 0, 'a', 'a'], ['b', 0, 'b', 'b'], ['a', 1, 'a', 'a'], ['b', 1, 'b', 'b'],
      ['a', 2, 'a', 'a'], ['b', 2, 'b', 'b'], U],
  },

  'withScope goes through the subclass\'s getStore and enterWith': {
    fn(ALS, t) {
      class Traced extends ALS {
        getStore() { t.log('getStore'); return super.getStore(); }
        enterWith(store) { t.log(['enterWith', store]); super.enterWith(store); }
      }
      const a = new Traced();
      {
        const scope = a.withScope('s');
        t.log(['in scope', ALS.prototype.getStore.call(a)]);
        scope.dispose();
      }
      t.log(['after', ALS.prototype.getStore.call(a)]);
    },
    needs: 'node24api',
    expect: ['getStore', ['enterWith', 's'], ['in scope', 's'], ['enterWith', U], ['after', U]],
  },
};
