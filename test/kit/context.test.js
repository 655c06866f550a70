'use strict';
// Tests for ctxframe/context: validation, freezing, current/with/withContext/assertContext,
// propagation across awaits, timers and emitters, and isolation between concurrent contexts.

const assert = require('node:assert/strict');
const { EventEmitter, once } = require('node:events');
const { setTimeout: sleep } = require('node:timers/promises');
const { createContext, requestContext, WELL_KNOWN_FIELDS } = require('ctxframe/context');
const { AsyncLocalStorage } = require('ctxframe');

describe('kit/context', () => {
  const testContext = createContext({ name: 'TestContext', maxBytes: 256 });

  it('exposes name, storage and the default requestContext', () => {
    assert.equal(testContext.name, 'TestContext');
    assert.ok(testContext.storage instanceof AsyncLocalStorage);
    assert.equal(requestContext.name, 'RequestContext');
    assert.equal(requestContext.maxBytes, 8192);
    assert.ok(WELL_KNOWN_FIELDS.includes('traceState'));
    assert.ok(Object.isFrozen(testContext));
  });

  it('run() stores a deep-frozen copy and returns fn result with args', () => {
    const input = { requestId: 'r1', tenantId: 't1', tags: ['a', { b: 1 }], nested: { ok: true, n: null } };
    const result = testContext.run(input, (x, y) => {
      const ctx = testContext.current();
      assert.notEqual(ctx, input);
      assert.deepEqual(ctx, input);
      assert.ok(Object.isFrozen(ctx));
      assert.ok(Object.isFrozen(ctx.tags));
      assert.ok(Object.isFrozen(ctx.tags[1]));
      assert.ok(Object.isFrozen(ctx.nested));
      assert.throws(() => { 'use strict'; ctx.tenantId = 'x'; }, TypeError);
      return x + y;
    }, 2, 3);
    assert.equal(result, 5);
    input.tenantId = 'mutated-after';
    assert.equal(testContext.currentOrNull(), null);
  });

  it('later mutation of the input does not reach the stored context', async () => {
    const input = { requestId: 'r', list: [1] };
    await testContext.run(input, async () => {
      input.requestId = 'changed';
      input.list.push(2);
      await null;
      assert.equal(testContext.get('requestId'), 'r');
      assert.deepEqual(testContext.current().list, [1]);
    });
  });

  it('accepts null-prototype objects and omits undefined fields', () => {
    const input = Object.create(null);
    input.requestId = 'r';
    input.userId = undefined;
    testContext.run(input, () => {
      assert.deepEqual(Object.keys(testContext.current()), ['requestId']);
    });
  });

  it('keeps a "__proto__" field as data without changing the prototype', () => {
    const input = JSON.parse('{"requestId":"r","__proto__":{"polluted":true}}');
    testContext.run(input, () => {
      const ctx = testContext.current();
      assert.equal(Object.getPrototypeOf(ctx), Object.prototype);
      assert.equal(ctx.polluted, undefined);
      assert.deepEqual(Object.getOwnPropertyDescriptor(ctx, '__proto__').value, { polluted: true });
    });
    assert.equal({}.polluted, undefined);
  });

  const bad = [
    ['a function', { f() {} }],
    ['a symbol value', { s: Symbol('x') }],
    ['a symbol key', { [Symbol('k')]: 1 }],
    ['a bigint', { b: 10n }],
    ['NaN', { n: NaN }],
    ['Infinity', { n: Infinity }],
    ['a Date', { d: new Date() }],
    ['a Map', { m: new Map() }],
    ['a class instance', { c: new (class Foo {})() }],
    ['a Buffer', { b: Buffer.from('x') }],
    ['an accessor', Object.defineProperty({}, 'g', { get() { return 1; }, enumerable: true })],
    ['undefined in an array', { a: [1, undefined] }],
    ['a sparse array', { a: [1, , 3] }], // eslint-disable-line no-sparse-arrays
    ['a top-level array', [1, 2]],
    ['a top-level string', 'req-1'],
    ['null', null],
    ['undefined', undefined],
  ];
  for (const [label, value] of bad) {
    it(`refuses ${label} at run() time with CTXFRAME_INVALID_CONTEXT`, () => {
      let ran = false;
      assert.throws(() => testContext.run(value, () => { ran = true; }), (err) => {
        assert.ok(err instanceof TypeError);
        assert.equal(err.code, 'CTXFRAME_INVALID_CONTEXT');
        assert.match(err.message, /TestContext/);
        return true;
      });
      assert.equal(ran, false);
    });
  }

  it('refuses cycles and names the path', () => {
    const a = { requestId: 'r', inner: { list: [] } };
    a.inner.list.push(a);
    assert.throws(() => testContext.run(a, () => {}), (err) => {
      assert.equal(err.code, 'CTXFRAME_INVALID_CONTEXT');
      assert.match(err.message, /ctx\.inner\.list\[0\]/);
      assert.match(err.message, /circular/);
      return true;
    });
  });

  it('accepts the same object twice when it is not a cycle', () => {
    const shared = { x: 1 };
    testContext.run({ a: shared, b: shared }, () => assert.deepEqual(testContext.current().b, { x: 1 }));
  });

  it('refuses very deep nesting', () => {
    let deep = {};
    const root = deep;
    for (let i = 0; i < 100; i++) { deep.d = {}; deep = deep.d; }
    const Big = createContext({ name: 'Big', maxBytes: 1e6 });
    assert.throws(() => Big.run(root, () => {}), { code: 'CTXFRAME_INVALID_CONTEXT' });
  });

  it('refuses a context larger than maxBytes with CTXFRAME_CONTEXT_TOO_LARGE', () => {
    assert.throws(() => testContext.run({ big: 'x'.repeat(300) }, () => {}), (err) => {
      assert.ok(err instanceof RangeError);
      assert.equal(err.code, 'CTXFRAME_CONTEXT_TOO_LARGE');
      assert.match(err.message, /256/);
      return true;
    });
    // Measured in UTF-8 bytes, not characters.
    assert.throws(() => testContext.run({ big: 'é'.repeat(130) }, () => {}), { code: 'CTXFRAME_CONTEXT_TOO_LARGE' });
    testContext.run({ ok: 'x'.repeat(200) }, () => assert.equal(testContext.current().ok.length, 200));
  });

  it('validates options and arguments', () => {
    assert.throws(() => createContext(null), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => createContext({ name: '' }), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => createContext({ maxBytes: -1 }), { code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => createContext({ maxBytes: 1.5 }), { code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => testContext.run({}, 'nope'), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.equal(createContext().name, 'RequestContext');
  });

  it('current() outside a context throws CTXFRAME_NO_CONTEXT naming the context and call site', () => {
    function someCallerFunction() { return testContext.current(); }
    assert.throws(someCallerFunction, (err) => {
      assert.equal(err.code, 'CTXFRAME_NO_CONTEXT');
      assert.match(err.message, /TestContext/);
      assert.match(err.message, /someCallerFunction/);
      assert.match(err.message, /context\.test\.js/);
      return true;
    });
    assert.equal(testContext.currentOrNull(), null);
    assert.equal(testContext.get('requestId'), undefined);
  });

  it('assertContext(where) names `where` and returns the context', () => {
    assert.throws(() => testContext.assertContext('ingestion.write'), (err) => {
      assert.equal(err.code, 'CTXFRAME_NO_CONTEXT');
      assert.match(err.message, /ingestion\.write/);
      assert.match(err.message, /TestContext/);
      return true;
    });
    testContext.run({ requestId: 'r' }, () => assert.equal(testContext.assertContext('x'), testContext.current()));
  });

  it('with() overrides fields in a new frozen copy and leaves the outer untouched', async () => {
    await testContext.run({ requestId: 'r', tenantId: 't1', userId: 'u' }, async () => {
      const outer = testContext.current();
      const inner = await testContext.with({ tenantId: 't2', userId: undefined, extra: [1] }, async (a) => {
        await sleep(1);
        assert.equal(a, 'arg');
        return testContext.current();
      }, 'arg');
      assert.deepEqual(inner, { requestId: 'r', tenantId: 't2', extra: [1] });
      assert.ok(Object.isFrozen(inner));
      assert.equal(testContext.current(), outer);
      assert.deepEqual(outer, { requestId: 'r', tenantId: 't1', userId: 'u' });
    });
  });

  it('with() validates and throws outside a context', () => {
    assert.throws(() => testContext.with({ a: 1 }, () => {}), { code: 'CTXFRAME_NO_CONTEXT' });
    testContext.run({ requestId: 'r' }, () => {
      assert.throws(() => testContext.with({ f: () => {} }, () => {}), { code: 'CTXFRAME_INVALID_CONTEXT' });
      assert.throws(() => testContext.with(null, () => {}), { code: 'CTXFRAME_INVALID_CONTEXT' });
      assert.throws(() => testContext.with({ big: 'x'.repeat(400) }, () => {}), { code: 'CTXFRAME_CONTEXT_TOO_LARGE' });
      assert.equal(testContext.get('requestId'), 'r');
    });
  });

  it('withContext() runs fn in a synthetic context with a fresh requestId', () => {
    const seen = [];
    testContext.withContext({ tenantId: 't9' }, () => seen.push(testContext.current()));
    testContext.withContext(() => seen.push(testContext.current()));
    testContext.withContext({ requestId: 'fixed' }, () => seen.push(testContext.current()));
    assert.equal(seen[0].tenantId, 't9');
    assert.match(seen[0].requestId, /^[0-9a-f-]{36}$/);
    assert.notEqual(seen[0].requestId, seen[1].requestId);
    assert.equal(seen[2].requestId, 'fixed');
    assert.equal(testContext.currentOrNull(), null);
  });

  it('run() reuses a context it produced (no re-copy) and nests', () => {
    testContext.run({ requestId: 'a' }, () => {
      const a = testContext.current();
      testContext.run({ requestId: 'b' }, () => {
        assert.equal(testContext.get('requestId'), 'b');
        testContext.run(a, () => assert.equal(testContext.current(), a));
      });
      assert.equal(testContext.current(), a);
      assert.equal(testContext.freeze(a), a);
    });
  });

  it('follows awaits, timers, immediates, nextTick and emitters; concurrent contexts never mix', async () => {
    const emitter = new EventEmitter();
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) =>
      testContext.run({ requestId: `r${i}`, tenantId: `t${i % 7}` }, async () => {
        const seen = [];
        await sleep(Math.floor(Math.random() * 5));
        seen.push(testContext.get('requestId'));
        await new Promise((resolve) => setTimeout(() => { seen.push(testContext.get('requestId')); resolve(); }, 1));
        await new Promise((resolve) => setImmediate(() => { seen.push(testContext.get('requestId')); resolve(); }));
        await new Promise((resolve) => process.nextTick(() => { seen.push(testContext.get('requestId')); resolve(); }));
        return { i, seen, tenant: testContext.get('tenantId') };
      })));
    for (const { i, seen, tenant } of results) {
      assert.deepEqual(seen, Array(4).fill(`r${i}`));
      assert.equal(tenant, `t${i % 7}`);
    }
    // A listener runs in the emitter's caller context (synchronous emit).
    const got = once(emitter, 'ev');
    testContext.run({ requestId: 'emit' }, () => emitter.emit('ev', testContext.get('requestId')));
    assert.deepEqual(await got, ['emit']);
  });

  it('a context frozen by a type with a larger limit is re-checked by a smaller one', () => {
    const Big = createContext({ name: 'Big', maxBytes: 8192 });
    const frozen = Big.freeze({ requestId: 'r', pad: 'x'.repeat(1000) });
    assert.throws(() => testContext.run(frozen, () => {}), { code: 'CTXFRAME_CONTEXT_TOO_LARGE' });
  });

  it('two context types are independent', () => {
    const Other = createContext({ name: 'Other' });
    testContext.run({ requestId: 'mine' }, () => {
      assert.equal(Other.currentOrNull(), null);
      Other.run({ requestId: 'theirs' }, () => {
        assert.equal(testContext.get('requestId'), 'mine');
        assert.equal(Other.get('requestId'), 'theirs');
      });
    });
  });
});

// Hostile values: a context value (or a job's _ctx) can come from outside. The walker runs no
// user code (a Proxy is refused before any trap runs, a getter is refused without being called),
// names the path, and its work is bounded by the size limit, not by the size of the value.
describe('kit/context: hostile values', () => {
  const Small = createContext({ name: 'Small', maxBytes: 256 });

  function assertInvalidAt(fn, path, reason) {
    assert.throws(fn, (err) => {
      assert.ok(err instanceof TypeError, String(err));
      assert.equal(err.code, 'CTXFRAME_INVALID_CONTEXT');
      assert.ok(err.message.includes(` at ${path}: ${reason}`), err.message);
      return true;
    });
  }

  // A Proxy whose every trap counts its calls and throws.
  function trapped() {
    const calls = [];
    const handler = new Proxy({}, {
      get: (_, trap) => (...args) => { calls.push(trap); throw new Error(`trap ${String(trap)}`); },
    });
    return { proxy: new Proxy({ a: 1 }, handler), calls };
  }

  it('a Proxy anywhere is CTXFRAME_INVALID_CONTEXT with its path, and none of its traps runs', () => {
    const { proxy, calls } = trapped();
    assertInvalidAt(() => Small.run(proxy, () => {}), 'ctx', 'a Proxy');
    assertInvalidAt(() => Small.run({ user: { p: proxy } }, () => {}), 'ctx.user.p', 'a Proxy');
    assertInvalidAt(() => Small.run({ list: [1, proxy] }, () => {}), 'ctx.list[1]', 'a Proxy');
    assertInvalidAt(() => Small.withContext(proxy, () => {}), 'partial', 'a Proxy');
    Small.run({ requestId: 'r' }, () => assertInvalidAt(() => Small.with(proxy, () => {}), 'partial', 'a Proxy'));
    assertInvalidAt(() => Small.run({ f: new Proxy(() => {}, {}) }, () => {}), 'ctx.f', 'a Proxy');
    const { proxy: revoked, revoke } = Proxy.revocable({}, {});
    revoke();
    assertInvalidAt(() => Small.run({ r: revoked }, () => {}), 'ctx.r', 'a Proxy');
    assert.deepEqual(calls, []);
  });

  it('a throwing getter is refused without being called, in run(), with() and withContext()', () => {
    let calls = 0;
    const withGetter = { get secret() { calls++; throw new Error('getter'); } };
    assertInvalidAt(() => Small.run({ nested: withGetter }, () => {}), 'ctx.nested.secret', 'accessor property');
    assertInvalidAt(() => Small.run({ list: [withGetter] }, () => {}), 'ctx.list[0].secret', 'accessor property');
    const arrayWithGetter = [1];
    Object.defineProperty(arrayWithGetter, 0, { get() { calls++; return 1; }, enumerable: true });
    assertInvalidAt(() => Small.run({ arrayWithGetter }, () => {}), 'ctx.arrayWithGetter[0]', 'accessor property');
    assertInvalidAt(() => Small.withContext(withGetter, () => {}), 'partial.secret', 'accessor property');
    Small.run({ requestId: 'r' }, () => assertInvalidAt(() => Small.with(withGetter, () => {}), 'partial.secret', 'accessor property'));
    assert.equal(calls, 0);
  });

  // The walk stops at the size bound: when a value is both too large and invalid only at its very
  // end, the size error wins, which proves the end was never reached.
  it('stops as soon as the size limit is passed: a 1e6-key object is never walked to its end', function () {
    this.timeout(120000); // building a million keys is slow on a loaded machine; the check is not
    const huge = {};
    for (let i = 0; i < 1e6; i++) huge[`k${i}`] = 1;
    huge.last = () => 'never reached'; // invalid, but after a million keys
    assert.throws(() => Small.run(huge, () => {}), { code: 'CTXFRAME_CONTEXT_TOO_LARGE' });
    // What a walk that reaches the end finds (the same shape, small enough to walk):
    const small = { k0: 1, k1: 1, last: () => 'reached' };
    assertInvalidAt(() => Small.run(small, () => {}), 'ctx.last', 'function');

    const long = new Array(1e6).fill(0);
    long.push(() => 'never reached');
    assert.throws(() => Small.run({ long }, () => {}), { code: 'CTXFRAME_CONTEXT_TOO_LARGE' });
    const nested = { items: Array.from({ length: 1e4 }, (_, i) => ({ i, pad: 'x' })) };
    nested.items.push({ bad: Symbol('never reached') });
    assert.throws(() => Small.run(nested, () => {}), { code: 'CTXFRAME_CONTEXT_TOO_LARGE' });
    assert.throws(() => Small.run({ s: 'x'.repeat(1e6) }, () => {}), { code: 'CTXFRAME_CONTEXT_TOO_LARGE' });
  });

  it('a value exactly at the limit is accepted; one byte over is refused with the exact size', () => {
    const at = { s: 'x'.repeat(256 - '{"s":""}'.length) };
    assert.equal(Buffer.byteLength(JSON.stringify(at)), 256);
    Small.run(at, () => assert.equal(Small.current().s.length, at.s.length));
    // One byte over through a character counted as 1 by the bound but 2 as UTF-8: exact check.
    const over = { s: `${'x'.repeat(256 - '{"s":""}'.length - 1)}é` };
    assert.throws(() => Small.run(over, () => {}), (err) => err.code === 'CTXFRAME_CONTEXT_TOO_LARGE' &&
      /is 257 bytes/.test(err.message));
  });
});
