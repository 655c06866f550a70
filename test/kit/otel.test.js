'use strict';
// Tests for ctxframe/otel: CtxframeContextManager with the real OpenTelemetry SDK
// (BasicTracerProvider + SimpleSpanProcessor + InMemorySpanExporter). Every behavioural test
// also runs against @opentelemetry/context-async-hooks' AsyncLocalStorageContextManager, the
// reference the ctxframe manager must match.

const assert = require('node:assert/strict');
const { EventEmitter, once } = require('node:events');
const { execFileSync } = require('node:child_process');
const path = require('node:path');
const { setTimeout: sleep } = require('node:timers/promises');
const api = require('@opentelemetry/api');
const {
  BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor,
} = require('@opentelemetry/sdk-trace-base');
const { AsyncLocalStorageContextManager } = require('@opentelemetry/context-async-hooks');
const { CtxframeContextManager } = require('ctxframe/otel');
const ctxframe = require('ctxframe');

const KEY = api.createContextKey('ctxframe-otel-test');

const managers = {
  CtxframeContextManager: () => new CtxframeContextManager(),
  'AsyncLocalStorageContextManager (reference)': () => new AsyncLocalStorageContextManager(),
};

function parentOf(span) {
  return span.parentSpanContext ? span.parentSpanContext.spanId : undefined;
}

function spanNamed(exporter, name) {
  const found = exporter.getFinishedSpans().filter((s) => s.name === name);
  assert.equal(found.length, 1, `exactly one finished span named ${name}`);
  return found[0];
}

for (const [label, makeManager] of Object.entries(managers)) {
  describe(`otel ContextManager behaviour: ${label}`, () => {
    let manager;
    let exporter;
    let provider;
    let tracer;

    beforeEach(() => {
      manager = makeManager();
      assert.equal(api.context.setGlobalContextManager(manager.enable()), true);
      exporter = new InMemorySpanExporter();
      provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
      assert.equal(api.trace.setGlobalTracerProvider(provider), true);
      tracer = api.trace.getTracer('ctxframe-otel-test');
    });

    afterEach(async () => {
      api.trace.disable();
      api.context.disable();
      await provider.shutdown();
    });

    it('active() is ROOT_CONTEXT outside with(), the given context inside, restored after', () => {
      assert.equal(api.context.active(), api.ROOT_CONTEXT);
      const ctx = api.ROOT_CONTEXT.setValue(KEY, 'outer');
      const result = api.context.with(ctx, function inner(a, b) {
        assert.equal(api.context.active(), ctx);
        assert.equal(this.tag, 'self');
        const nested = api.context.active().setValue(KEY, 'nested');
        api.context.with(nested, () => assert.equal(api.context.active().getValue(KEY), 'nested'));
        assert.equal(api.context.active().getValue(KEY), 'outer');
        return a + b;
      }, { tag: 'self' }, 2, 3);
      assert.equal(result, 5);
      assert.equal(api.context.active(), api.ROOT_CONTEXT);
    });

    it('with() restores the outer context when fn throws', () => {
      const ctx = api.ROOT_CONTEXT.setValue(KEY, 'x');
      assert.throws(() => api.context.with(ctx, () => { throw new Error('boom'); }), /boom/);
      assert.equal(api.context.active(), api.ROOT_CONTEXT);
    });

    it('spans created after awaits get the active span as parent', async () => {
      await tracer.startActiveSpan('parent', async (parent) => {
        await sleep(1);
        await Promise.resolve();
        const child = tracer.startSpan('child');
        await tracer.startActiveSpan('middle', async (middle) => {
          await sleep(1);
          tracer.startSpan('grandchild').end();
          middle.end();
        });
        child.end();
        parent.end();
      });
      const parent = spanNamed(exporter, 'parent');
      assert.equal(parentOf(parent), undefined);
      assert.equal(parentOf(spanNamed(exporter, 'child')), parent.spanContext().spanId);
      const middle = spanNamed(exporter, 'middle');
      assert.equal(parentOf(middle), parent.spanContext().spanId);
      assert.equal(parentOf(spanNamed(exporter, 'grandchild')), middle.spanContext().spanId);
      assert.equal(api.trace.getActiveSpan(), undefined);
    });

    it('spans created in timers, immediates and nextTick get the right parent', async () => {
      await tracer.startActiveSpan('timers', async (parent) => {
        await Promise.all([
          new Promise((resolve) => setTimeout(() => { tracer.startSpan('in-timeout').end(); resolve(); }, 2)),
          new Promise((resolve) => setImmediate(() => { tracer.startSpan('in-immediate').end(); resolve(); })),
          new Promise((resolve) => process.nextTick(() => { tracer.startSpan('in-tick').end(); resolve(); })),
          new Promise((resolve) => {
            const interval = setInterval(() => {
              clearInterval(interval);
              tracer.startSpan('in-interval').end();
              resolve();
            }, 1);
          }),
        ]);
        parent.end();
      });
      const parentId = spanNamed(exporter, 'timers').spanContext().spanId;
      for (const name of ['in-timeout', 'in-immediate', 'in-tick', 'in-interval']) {
        assert.equal(parentOf(spanNamed(exporter, name)), parentId, name);
      }
    });

    it('100 concurrent traces with random delays never adopt each other\'s spans', async () => {
      const expected = new Map();
      await Promise.all(Array.from({ length: 100 }, (_, i) => tracer.startActiveSpan(`root-${i}`, async (root) => {
        expected.set(`root-${i}`, root.spanContext().spanId);
        await sleep(Math.floor(Math.random() * 5));
        await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 3)));
        tracer.startSpan(`leaf-${i}`).end();
        root.end();
      })));
      for (let i = 0; i < 100; i++) {
        const leaf = spanNamed(exporter, `leaf-${i}`);
        assert.equal(parentOf(leaf), expected.get(`root-${i}`), `leaf-${i}`);
        assert.equal(leaf.spanContext().traceId, spanNamed(exporter, `root-${i}`).spanContext().traceId);
      }
    });

    it('bind(context, fn) runs fn in that context, keeps this, arguments and length', () => {
      const ctx = api.ROOT_CONTEXT.setValue(KEY, 'bound');
      function target(a, b) {
        return [api.context.active().getValue(KEY), this && this.tag, a, b];
      }
      const bound = api.context.bind(ctx, target);
      assert.equal(bound.length, 2);
      const other = api.ROOT_CONTEXT.setValue(KEY, 'other');
      const result = api.context.with(other, () => bound.call({ tag: 't' }, 1, 2));
      assert.deepEqual(result, ['bound', 't', 1, 2]);
      assert.equal(api.context.active(), api.ROOT_CONTEXT);
      assert.equal(api.context.bind(ctx, 42), 42, 'non-bindable targets are returned as is');
    });

    it('a bound callback creates spans under the span active at bind time', async () => {
      let later;
      tracer.startActiveSpan('binder', (span) => {
        later = api.context.bind(api.context.active(), () => tracer.startSpan('from-bound').end());
        span.end();
      });
      await tracer.startActiveSpan('elsewhere', async (span) => {
        await sleep(1);
        later();
        span.end();
      });
      assert.equal(parentOf(spanNamed(exporter, 'from-bound')), spanNamed(exporter, 'binder').spanContext().spanId);
    });

    it('an unbound EventEmitter runs listeners in the context of emit()', () => {
      const ee = new EventEmitter();
      const seen = [];
      ee.on('x', () => seen.push(api.context.active().getValue(KEY)));
      api.context.with(api.ROOT_CONTEXT.setValue(KEY, 'emitter-side'), () => ee.emit('x'));
      ee.emit('x');
      assert.deepEqual(seen, ['emitter-side', undefined]);
    });

    it('bind(context, emitter): on/addListener/once/prepend* listeners run in the bound context', () => {
      const ee = new EventEmitter();
      const ctx = api.ROOT_CONTEXT.setValue(KEY, 'bound-ee');
      assert.equal(api.context.bind(ctx, ee), ee);
      const seen = [];
      const record = (name) => () => seen.push(`${name}:${api.context.active().getValue(KEY)}`);
      ee.on('e', record('on'));
      ee.addListener('e', record('addListener'));
      ee.once('e', record('once'));
      ee.prependListener('e', record('prepend'));
      ee.prependOnceListener('e', record('prependOnce'));
      api.context.with(api.ROOT_CONTEXT.setValue(KEY, 'emitter-side'), () => ee.emit('e'));
      ee.emit('e');
      assert.deepEqual(seen, [
        'prependOnce:bound-ee', 'prepend:bound-ee', 'on:bound-ee', 'addListener:bound-ee', 'once:bound-ee',
        'prepend:bound-ee', 'on:bound-ee', 'addListener:bound-ee',
      ]);
    });

    it('removeListener/off remove listeners added through a bound emitter, once() too', () => {
      const ee = api.context.bind(api.ROOT_CONTEXT.setValue(KEY, 'v'), new EventEmitter());
      let calls = 0;
      const a = () => { calls++; };
      const b = () => { calls++; };
      const c = () => { calls++; };
      ee.on('e', a);
      ee.addListener('e', b);
      ee.once('e', c);
      assert.equal(ee.listenerCount('e'), 3);
      ee.removeListener('e', a);
      ee.off('e', b);
      ee.removeListener('e', c);
      assert.equal(ee.listenerCount('e'), 0);
      ee.emit('e');
      assert.equal(calls, 0);
      // once(): fires once, then removes itself.
      ee.once('e', a);
      ee.emit('e');
      ee.emit('e');
      assert.equal(calls, 1);
      assert.equal(ee.listenerCount('e'), 0);
    });

    it('removeAllListeners(event) and removeAllListeners() drop the wrapped listeners', () => {
      const ee = api.context.bind(api.ROOT_CONTEXT.setValue(KEY, 'v'), new EventEmitter());
      let calls = 0;
      const l = () => { calls++; };
      ee.on('a', l);
      ee.on('b', l);
      ee.removeAllListeners('a');
      assert.equal(ee.listenerCount('a'), 0);
      assert.equal(ee.listenerCount('b'), 1);
      ee.removeAllListeners();
      assert.equal(ee.listenerCount('b'), 0);
      ee.emit('a');
      ee.emit('b');
      assert.equal(calls, 0);
      // Still patched: a listener added afterwards runs in the bound context and is removable.
      ee.on('a', () => assert.equal(api.context.active().getValue(KEY), 'v'));
      ee.emit('a');
      ee.removeAllListeners('a');
      assert.equal(ee.listenerCount('a'), 0);
    });

    it('binding an emitter twice keeps the first context', () => {
      const ee = new EventEmitter();
      api.context.bind(api.ROOT_CONTEXT.setValue(KEY, 'first'), ee);
      api.context.bind(api.ROOT_CONTEXT.setValue(KEY, 'second'), ee);
      let seen;
      ee.on('e', () => { seen = api.context.active().getValue(KEY); });
      ee.emit('e');
      assert.equal(seen, 'first');
    });

    it('spans created in EventEmitter callbacks get the parent bound to the emitter', async () => {
      const ee = new EventEmitter();
      tracer.startActiveSpan('ee-parent', (span) => {
        api.context.bind(api.context.active(), ee);
        span.end();
      });
      ee.on('data', () => tracer.startSpan('ee-child').end());
      await tracer.startActiveSpan('emitter-side', async (span) => {
        await sleep(1);
        setImmediate(() => ee.emit('data'));
        await once(ee, 'data');
        span.end();
      });
      assert.equal(parentOf(spanNamed(exporter, 'ee-child')), spanNamed(exporter, 'ee-parent').spanContext().spanId);
    });

    it('disable() forgets the current context; with() works again afterwards', async () => {
      const ctx = api.ROOT_CONTEXT.setValue(KEY, 'before-disable');
      let later;
      api.context.with(ctx, () => {
        later = new Promise((resolve) => setTimeout(() => resolve(api.context.active()), 5));
        manager.disable();
        assert.equal(api.context.active(), api.ROOT_CONTEXT);
      });
      assert.equal(await later, api.ROOT_CONTEXT);
      const again = api.ROOT_CONTEXT.setValue(KEY, 'after');
      assert.equal(api.context.with(again, () => api.context.active().getValue(KEY)), 'after');
    });

    it('attach() makes a context active until its token is disposed', async () => {
      const ctx = api.ROOT_CONTEXT.setValue(KEY, 'attached');
      await api.context.with(api.ROOT_CONTEXT.setValue(KEY, 'outer'), async () => {
        const token = manager.attach(ctx);
        assert.equal(api.context.active().getValue(KEY), 'attached');
        token.dispose();
        assert.equal(api.context.active().getValue(KEY), 'outer');
        token.dispose();
        assert.equal(api.context.active().getValue(KEY), 'outer');
      });
    });
  });
}

describe('ctxframe/otel specifics', () => {
  it('is backed by a ctxframe AsyncLocalStorage', () => {
    const manager = new CtxframeContextManager();
    assert.ok(manager._storage instanceof ctxframe.AsyncLocalStorage);
  });

  it('does not load @opentelemetry/api until active() needs ROOT_CONTEXT', () => {
    const root = path.resolve(__dirname, '../..');
    const script = `
      const { CtxframeContextManager } = require('ctxframe/otel');
      const loaded = () => Object.keys(require.cache).some((k) => k.includes('@opentelemetry'));
      const m = new CtxframeContextManager();
      const before = loaded();
      const inside = m.with({ marker: 1 }, () => m.active().marker);
      const beforeRoot = loaded();
      const rootIsApiRoot = m.active() === require('@opentelemetry/api').ROOT_CONTEXT;
      console.log(JSON.stringify({ before, inside, beforeRoot, rootIsApiRoot }));`;
    const out = JSON.parse(execFileSync(process.execPath, [...process.execArgv, '-e', script], { cwd: root, encoding: 'utf8' }));
    assert.deepEqual(out, { before: false, inside: 1, beforeRoot: false, rootIsApiRoot: true });
  });

  it('options.rootContext replaces ROOT_CONTEXT; bad options are TypeErrors with a code', () => {
    const myRoot = api.ROOT_CONTEXT.setValue(KEY, 'root');
    assert.equal(new CtxframeContextManager({ rootContext: myRoot }).active(), myRoot);
    assert.throws(() => new CtxframeContextManager(null), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => new CtxframeContextManager({ rootContext: 'x' }),
      { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
  });

  it('two managers keep separate contexts and separate emitter bindings', () => {
    const a = new CtxframeContextManager();
    const b = new CtxframeContextManager();
    const ctxA = api.ROOT_CONTEXT.setValue(KEY, 'a');
    const ctxB = api.ROOT_CONTEXT.setValue(KEY, 'b');
    a.with(ctxA, () => {
      assert.equal(a.active(), ctxA);
      assert.equal(b.active(), api.ROOT_CONTEXT);
      b.with(ctxB, () => assert.equal(a.active(), ctxA));
    });
    const ee = new EventEmitter();
    a.bind(ctxA, ee);
    b.bind(ctxB, ee);
    let seenA;
    let seenB;
    const l = () => { seenA = a.active(); seenB = b.active(); };
    ee.on('e', l);
    ee.emit('e');
    assert.equal(seenA, ctxA);
    assert.equal(seenB, ctxB);
    ee.off('e', l);
    assert.equal(ee.listenerCount('e'), 0);
  });
});
