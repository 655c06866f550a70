'use strict';
// Owns: parity scenarios for scheduling — queueMicrotask, nextTick, immediates, timers,
// intervals, timers/promises, EventEmitter, EventEmitterAsyncResource, AsyncResource.

const U = '<undefined>';

module.exports = {
  'queueMicrotask, nextTick, setImmediate, setTimeout see the store of the run that scheduled them': {
    async fn(ALS, t) {
      const a = new ALS();
      const seen = {};
      await new Promise((resolve) => {
        let left = 8;
        const done = (k) => { seen[k] = a.getStore(); if (--left === 0) resolve(); };
        a.run('m', () => queueMicrotask(() => done('queueMicrotask')));
        a.run('n', () => process.nextTick((x) => done(`nextTick ${x}`), 'arg'));
        a.run('i', () => setImmediate(() => done('setImmediate')));
        a.run('t', () => setTimeout(() => done('setTimeout'), 1));
        a.run('t0', () => setTimeout(() => done('setTimeout 0'), 0));
        a.run('outer', () => a.exit(() => setTimeout(() => done('setTimeout in exit'), 1)));
        a.run('ref', () => { const h = setTimeout(() => done('refresh'), 1); h.refresh(); });
        a.run('unref', () => setTimeout(() => done('unref+ref'), 1).unref().ref());
      });
      t.log(seen);
      t.log(a.getStore());
    },
    expect: [{ queueMicrotask: 'm', 'nextTick arg': 'n', setImmediate: 'i', setTimeout: 't', 'setTimeout 0': 't0',
      'setTimeout in exit': U, refresh: 'ref', 'unref+ref': 'unref' }, U],
  },

  'setInterval keeps its store on every tick and stops when cleared': {
    async fn(ALS, t) {
      const a = new ALS();
      await new Promise((resolve) => {
        let n = 0;
        a.run('iv', () => {
          const h = setInterval(() => {
            t.log([++n, a.getStore()]);
            a.enterWith(`changed ${n}`);
            if (n === 3) {
              clearInterval(h);
              setTimeout(resolve, 5);
            }
          }, 1);
        });
      });
      t.log(a.getStore());
      const h2 = a.run('never', () => setInterval(() => t.log('must not run'), 1));
      clearInterval(h2);
      await t.sleep(5);
    },
    // With async_hooks (no AsyncContextFrame) an enterWith inside the callback persists to the
    // interval's next tick (the timer is one async resource); with frames each tick starts anew.
    expect: (rt) => (rt.frameMode
      ? [[1, 'iv'], [2, 'iv'], [3, 'iv'], U]
      : [[1, 'iv'], [2, 'changed 1'], [3, 'changed 2'], U]),
  },

  'timers/promises: setTimeout, setImmediate, setInterval iterator': {
    async fn(ALS, t) {
      const tp = require('node:timers/promises');
      const a = new ALS();
      await a.run('tp', async () => {
        t.log([await tp.setTimeout(1, 'v'), a.getStore()]);
        t.log([await tp.setImmediate('i'), a.getStore()]);
        let n = 0;
        for await (const v of tp.setInterval(1, 'tick')) {
          t.log([v, a.getStore()]);
          if (++n === 2) break;
        }
        t.log(a.getStore());
      });
      const p = a.run('created', () => tp.setTimeout(1, 'x'));
      await a.run('awaiter', async () => { await p; t.log(['await elsewhere', a.getStore()]); });
      const ac = new AbortController();
      const aborted = a.run('abort', () => tp.setTimeout(1000, null, { signal: ac.signal }).catch((e) => [e.name, a.getStore()]));
      ac.abort();
      t.log(await aborted);
    },
    expect: [['v', 'tp'], ['i', 'tp'], ['tick', 'tp'], ['tick', 'tp'], 'tp', ['await elsewhere', 'awaiter'],
      ['AbortError', 'abort']],
  },

  'EventEmitter listeners run in the emitter caller\'s context': {
    fn(ALS, t) {
      const { EventEmitter } = require('node:events');
      const a = new ALS();
      const ee = a.run('created', () => new EventEmitter());
      a.run('registered', () => ee.on('x', (v) => t.log([v, a.getStore()])));
      a.run('registered', () => ee.once('y', () => t.log(['once', a.getStore()])));
      a.run('emit1', () => ee.emit('x', 1));
      a.run('emit2', () => { ee.emit('x', 2); ee.emit('y'); });
      ee.emit('x', 3);
    },
    expect: [[1, 'emit1'], [2, 'emit2'], ['once', 'emit2'], [3, U]],
  },

  'EventEmitterAsyncResource listeners run in the creation context': {
    fn(ALS, t) {
      const { EventEmitterAsyncResource } = require('node:events');
      const a = new ALS();
      const ee = a.run('created', () => new EventEmitterAsyncResource({ name: 'X' }));
      ee.on('x', (v) => t.log([v, a.getStore()]));
      a.run('emit', () => ee.emit('x', 1));
      ee.emit('x', 2);
      t.log(a.getStore());
      ee.emitDestroy();
    },
    expect: [[1, 'created'], [2, 'created'], U],
  },

  'AsyncResource: runInAsyncScope, bind, AsyncResource.bind': {
    async fn(ALS, t) {
      const { AsyncResource } = require('node:async_hooks');
      const a = new ALS();
      const r = a.run('res', () => new AsyncResource('TEST'));
      a.run('other', () => t.log(r.runInAsyncScope(function (x) { return [x, this && this.k, a.getStore()]; }, { k: 'this' }, 'arg')));
      const bound = a.run('bound', () => AsyncResource.bind((x) => [x, a.getStore()]));
      const rb = r.bind(() => a.getStore());
      a.run('caller', () => t.log([bound('b'), rb()]));
      t.log(a.getStore());
      try {
        a.run('caller', () => r.runInAsyncScope(() => { throw new Error('in scope'); }));
      } catch (err) {
        t.log([err.message, a.getStore()]);
      }
      await new Promise((resolve) => r.runInAsyncScope(() => setTimeout(() => { t.log(['timer in scope', a.getStore()]); resolve(); }, 1)));
      r.emitDestroy();
    },
    expect: [['arg', 'this', 'res'], [['b', 'bound'], 'res'], U, ['in scope', U], ['timer in scope', 'res']],
  },

  'events.once, AbortSignal listeners and MessageChannel messages': {
    async fn(ALS, t) {
      const { EventEmitter, once } = require('node:events');
      const { MessageChannel } = require('node:worker_threads');
      const a = new ALS();
      const ee = new EventEmitter();
      const waited = a.run('once', () => once(ee, 'go').then(() => a.getStore()));
      a.run('emitter', () => ee.emit('go'));
      t.log(['events.once', await waited]);
      const ac = new AbortController();
      a.run('listener', () => ac.signal.addEventListener('abort', () => t.log(['abort listener', a.getStore()])));
      a.run('aborter', () => ac.abort());
      const { port1, port2 } = a.run('channel', () => new MessageChannel());
      const got = new Promise((resolve) => a.run('on message', () => port2.once('message', (m) => resolve([m, a.getStore()]))));
      a.run('poster', () => port1.postMessage('hi'));
      t.log(['port message', await got]);
      port1.close();
      port2.close();
    },
    // A MessagePort is an async resource: its listeners run in the context it was created in.
    expect: [['events.once', 'once'], ['abort listener', 'aborter'], ['port message', ['hi', 'channel']]],
  },
};
