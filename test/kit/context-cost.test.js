'use strict';
// What keeps the context cheap on the request path without weakening it: with() shares the
// outer context's (already checked, frozen) values and checks only what it adds; sizes are
// bounded and measured exactly only near the limit; the "produced here" mark is invisible;
// ingress metrics exist only when asked for.

const assert = require('node:assert/strict');
const http = require('node:http');
const { createContext, requestContext } = require('ctxframe/context');
const { withRequestContext, count, requestMetrics } = require('ctxframe/http');

describe('context cost: with() and the size limit', () => {
  it('with() shares the outer context\'s values and deep-freezes only what it adds', () => {
    const outer = { requestId: 'r-1', user: { id: 'u', roles: ['a', 'b'] } };
    requestContext.run(outer, () => {
      const before = requestContext.current();
      requestContext.with({ extra: { tags: ['x'] } }, () => {
        const inner = requestContext.current();
        assert.notEqual(inner, before);
        assert.equal(inner.user, before.user, 'the nested value is shared, not copied again');
        assert.ok(Object.isFrozen(inner) && Object.isFrozen(inner.extra) && Object.isFrozen(inner.extra.tags));
        assert.deepEqual(inner, { requestId: 'r-1', user: { id: 'u', roles: ['a', 'b'] }, extra: { tags: ['x'] } });
      });
    });
  });

  it('with() still refuses what is not JSON-safe, naming the field', () => {
    requestContext.run({ requestId: 'r-2' }, () => {
      for (const [partial, path] of [
        [{ when: new Date() }, 'ctx.when'], [{ n: NaN }, 'ctx.n'], [{ f() {} }, 'ctx.f'],
        [{ deep: { big: 1n } }, 'ctx.deep.big'], [{ list: [1, undefined] }, 'ctx.list[1]'],
      ]) {
        assert.throws(() => requestContext.with(partial, () => {}), (err) => {
          assert.equal(err.code, 'CTXFRAME_INVALID_CONTEXT');
          assert.match(err.message, new RegExp(path.replace(/[.[\]]/g, '\\$&')));
          return true;
        });
      }
      const getter = Object.defineProperty({}, 'userId', { get() { throw new Error('never called'); }, enumerable: true });
      assert.throws(() => requestContext.with(getter, () => {}), { code: 'CTXFRAME_INVALID_CONTEXT' });
    });
  });

  it('the size limit holds exactly when the cheap bound is not enough', () => {
    const Small = createContext({ name: 'Small', maxBytes: 64 });
    // {"requestId":"r"} is 17 bytes; each "aN":"<s>" field adds 8 + s.length bytes.
    Small.run({ requestId: 'r' }, () => {
      // Bound: 6 bytes per character, so this needs the exact measurement (17 + 1 + 40 = 58 bytes).
      Small.with({ a1: 'x'.repeat(32) }, () => assert.equal(Small.current().a1.length, 32));
      assert.throws(() => Small.with({ a1: 'x'.repeat(40) }, () => {}), { code: 'CTXFRAME_CONTEXT_TOO_LARGE' });
      // Escapes count: 10 control characters are 60 bytes of JSON.
      assert.throws(() => Small.with({ c: '\u0001'.repeat(10) }, () => {}), { code: 'CTXFRAME_CONTEXT_TOO_LARGE' });
      // Many small additions add up across nested with() calls.
      const grow = (i) => (i === 6 ? assert.fail('should have hit the limit') :
        Small.with({ [`k${i}`]: 'yyyy' }, () => grow(i + 1)));
      assert.throws(() => grow(0), { code: 'CTXFRAME_CONTEXT_TOO_LARGE' });
    });
  });

  it('a produced context carries no visible mark and is reused as is', () => {
    requestContext.run({ requestId: 'r-3', tenantId: 't' }, () => {
      const ctx = requestContext.current();
      assert.deepEqual(Reflect.ownKeys(ctx), ['requestId', 'tenantId']);
      assert.equal(JSON.stringify(ctx), '{"requestId":"r-3","tenantId":"t"}');
      assert.deepEqual(structuredClone(ctx), { requestId: 'r-3', tenantId: 't' });
      assert.equal(requestContext.freeze(ctx), ctx);
      // Another type checks it against its own limit: nothing of this type's mark carries over.
      const Tiny = createContext({ name: 'Tiny', maxBytes: 20 });
      assert.throws(() => Tiny.freeze(ctx), { code: 'CTXFRAME_CONTEXT_TOO_LARGE' });
      // A copy of it is a new value from outside: checked in full.
      assert.notEqual(requestContext.freeze({ ...ctx }), ctx);
    });
  });

  it('a store put in the storage directly is checked in full by with()', () => {
    requestContext.storage.run({ requestId: 'raw', when: new Date() }, () => {
      assert.throws(() => requestContext.with({ userId: 'u' }, () => {}), { code: 'CTXFRAME_INVALID_CONTEXT' });
    });
    requestContext.storage.run({ requestId: 'raw' }, () => {
      requestContext.with({ userId: 'u' }, () => {
        assert.deepEqual(requestContext.current(), { requestId: 'raw', userId: 'u' });
        assert.ok(Object.isFrozen(requestContext.current()));
      });
    });
  });
});

describe('context cost: ingress metrics only when asked for', () => {
  async function serve(options, handler) {
    const server = http.createServer(withRequestContext(handler, options));
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const res = await fetch(`http://127.0.0.1:${server.address().port}/`);
      return await res.json();
    } finally {
      server.close();
    }
  }
  const handler = (req, res) => {
    const counted = count('hits');
    res.end(JSON.stringify({ counted: counted === undefined ? null : counted, metrics: requestMetrics() }));
  };

  it('without onRequestEnd or metrics: true, count() and requestMetrics() are no-ops', async () => {
    assert.deepEqual(await serve({}, handler), { counted: null, metrics: null });
  });

  it('metrics: true turns them on without onRequestEnd', async () => {
    const body = await serve({ metrics: true }, handler);
    assert.equal(body.counted, 1);
    assert.deepEqual(body.metrics.counters, { hits: 1 });
  });

  it('onRequestEnd turns them on; metrics: false with onRequestEnd is refused', async () => {
    const ends = [];
    const body = await serve({ onRequestEnd: (s) => ends.push(s) }, handler);
    assert.equal(body.counted, 1);
    assert.throws(() => withRequestContext(handler, { onRequestEnd() {}, metrics: false }), { code: 'ERR_INVALID_ARG_VALUE' });
    assert.throws(() => withRequestContext(handler, { metrics: 'yes' }), { code: 'ERR_INVALID_ARG_TYPE' });
  });
});
