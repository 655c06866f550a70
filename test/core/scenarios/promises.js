'use strict';
// Owns: parity scenarios for promises — await, reactions registered in another context than
// the promise's creation, combinators, thenables, async generators.

const U = '<undefined>';

module.exports = {
  'await keeps each run\'s store while runs interleave': {
    async fn(ALS, t) {
      const a = new ALS();
      const seen = [];
      const task = (id) => a.run(id, async () => {
        seen.push([id, 'start', a.getStore()]);
        await null;
        seen.push([id, 'await null', a.getStore()]);
        await t.tick();
        seen.push([id, 'await immediate', a.getStore()]);
        await Promise.resolve().then(() => Promise.resolve());
        seen.push([id, 'await chain', a.getStore()]);
        return a.getStore();
      });
      const results = await Promise.all([task('A'), task('B'), task('C')]);
      t.log(results);
      t.log(seen.filter(([id, , store]) => id !== store).length);
      t.log(seen.length);
      t.log(a.getStore());
    },
    expect: [['A', 'B', 'C'], 0, 12, U],
  },

  'then/catch/finally registered in another context than the promise was created in': {
    async fn(ALS, t) {
      const a = new ALS();
      const ok = a.run('create', () => Promise.resolve(1));
      const bad = a.run('create', () => Promise.reject(new Error('x')));
      let resolveLater;
      const later = a.run('create', () => new Promise((r) => { resolveLater = r; }));
      const done = [];
      a.run('register', () => {
        done.push(ok.then(() => t.log(['then', a.getStore()])));
        done.push(bad.catch(() => t.log(['catch', a.getStore()])));
        done.push(ok.finally(() => t.log(['finally', a.getStore()])));
        done.push(bad.then(null, () => t.log(['then onRejected', a.getStore()])));
        done.push(later.then(() => t.log(['then of pending', a.getStore()])));
      });
      a.run('resolve', () => resolveLater());
      await Promise.all(done);
      t.log(['after', a.getStore()]);
    },
    expect: [['then', 'register'], ['catch', 'register'], ['finally', 'register'],
      ['then onRejected', 'register'], ['then of pending', 'register'], ['after', U]],
  },

  'Promise.all / race / any / allSettled': {
    async fn(ALS, t) {
      const a = new ALS();
      const delayed = (v, ms) => new Promise((r) => setTimeout(() => r(v), ms));
      await a.run('all', async () => {
        const r = await Promise.all([delayed(1, 1), a.run('inner', () => delayed(2, 2)), 3]);
        t.log([r, a.getStore()]);
      });
      await a.run('race', async () => {
        t.log([await Promise.race([new Promise(() => {}), delayed('fast', 1)]), a.getStore()]);
      });
      await a.run('any', async () => {
        t.log([await Promise.any([Promise.reject(new Error('no')), delayed('yes', 1)]), a.getStore()]);
        try {
          await Promise.any([Promise.reject(new Error('n1'))]);
        } catch (err) {
          t.log([err.constructor.name, a.getStore()]);
        }
      });
      await a.run('settled', async () => {
        const r = await Promise.allSettled([delayed(1, 1), Promise.reject(new Error('e'))]);
        t.log([r.map((x) => x.status), a.getStore()]);
      });
      const combined = a.run('create', () => Promise.all([delayed(1, 1)]));
      await a.run('register', () => combined.then(() => t.log(['all registered elsewhere', a.getStore()])));
      t.log(a.getStore());
    },
    expect: [[[1, 2, 3], 'all'], ['fast', 'race'], ['yes', 'any'], ['AggregateError', 'any'],
      [['fulfilled', 'rejected'], 'settled'], ['all registered elsewhere', 'register'], U],
  },

  'thenables: await, return from async fn, Promise.resolve, getter then': {
    async fn(ALS, t) {
      const a = new ALS();
      const thenable = (label) => ({
        then(resolve) {
          t.log([label, 'then() called in', a.getStore()]);
          setTimeout(() => resolve(label), 1);
        },
      });
      await a.run('await', async () => {
        const v = await thenable('t-await');
        t.log([v, 'after await', a.getStore()]);
      });
      const r = await a.run('return', async () => thenable('t-return'));
      t.log([r, 'caller', a.getStore()]);
      await a.run('resolve', () => Promise.resolve(thenable('t-resolve')).then((v) => t.log([v, 'then', a.getStore()])));
      const getter = {
        get then() {
          t.log(['getter read in', a.getStore()]);
          return (resolve) => { t.log(['getter then() called in', a.getStore()]); resolve('g'); };
        },
      };
      await a.run('getter', async () => {
        const v = await getter;
        t.log([v, 'after await getter', a.getStore()]);
      });
      t.log(a.getStore());
    },
    expect: [['t-await', 'then() called in', 'await'], ['t-await', 'after await', 'await'],
      ['t-return', 'then() called in', 'return'], ['t-return', 'caller', U],
      ['t-resolve', 'then() called in', 'resolve'], ['t-resolve', 'then', 'resolve'],
      ['getter read in', 'getter'], ['getter then() called in', 'getter'], ['g', 'after await getter', 'getter'], U],
  },

  'async generators and for await': {
    async fn(ALS, t) {
      const a = new ALS();
      async function* gen() {
        t.log(['gen start', a.getStore()]);
        for (let i = 0; i < 3; i++) {
          await new Promise((r) => setTimeout(r, 1));
          yield [i, a.getStore()];
        }
        t.log(['gen end', a.getStore()]);
      }
      const it = a.run('created', () => gen());
      await a.run('consumer', async () => {
        for await (const v of it) t.log(['got', v, a.getStore()]);
      });
      await a.run('c2', async () => {
        const g = gen();
        t.log(['next1', (await g.next()).value, a.getStore()]);
        await a.run('c3', async () => t.log(['next2', (await g.next()).value, a.getStore()]));
        await g.return();
      });
      const iterable = { [Symbol.asyncIterator]() { let i = 0; return { next: async () => { await t.tick(); return { done: i++ > 1, value: a.getStore() }; } }; } };
      await a.run('custom', async () => { for await (const v of iterable) t.log(['custom', v]); });
      t.log(a.getStore());
    },
    // A generator body runs in the context of whoever calls next(), not where it was created.
    expect: [['gen start', 'consumer'], ['got', [0, 'consumer'], 'consumer'], ['got', [1, 'consumer'], 'consumer'],
      ['got', [2, 'consumer'], 'consumer'], ['gen end', 'consumer'], ['gen start', 'c2'], ['next1', [0, 'c2'], 'c2'],
      ['next2', [1, 'c3'], 'c3'], ['custom', 'custom'], ['custom', 'custom'], U],
  },

  'async function and promise reactions created inside run see it after run returned': {
    async fn(ALS, t) {
      const a = new ALS();
      let p;
      a.run('r', () => {
        p = (async () => {
          await null;
          await new Promise((r) => setTimeout(r, 1));
          return a.getStore();
        })();
      });
      t.log(['outside right after', a.getStore()]);
      t.log(['resolved value', await p]);
      t.log(['after await p', a.getStore()]);
    },
    expect: [['outside right after', U], ['resolved value', 'r'], ['after await p', U]],
  },

  'enterWith inside a promise reaction or microtask does not leak into the next one': {
    async fn(ALS, t) {
      const a = new ALS();
      const p = Promise.resolve();
      const done = [];
      a.run('r1', () => done.push(p.then(() => { a.enterWith('leak1'); t.log(['reaction 1', a.getStore()]); })));
      a.run('r2', () => done.push(p.then(() => t.log(['reaction 2', a.getStore()]))));
      done.push(p.then(() => t.log(['reaction 3 (no context)', a.getStore()])));
      await Promise.all(done);
      await new Promise((resolve) => {
        a.run('m1', () => queueMicrotask(() => { a.enterWith('leak2'); t.log(['microtask 1', a.getStore()]); }));
        queueMicrotask(() => t.log(['microtask 2 (no context)', a.getStore()]));
        a.run('m3', () => queueMicrotask(() => { t.log(['microtask 3', a.getStore()]); resolve(); }));
      });
      t.log(['after', a.getStore()]);
    },
    expect: [['reaction 1', 'leak1'], ['reaction 2', 'r2'], ['reaction 3 (no context)', U],
      ['microtask 1', 'leak2'], ['microtask 2 (no context)', U], ['microtask 3', 'm3'], ['after', U]],
  },
};
