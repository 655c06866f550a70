'use strict';
// Owns: fuzzing values that try to run code or burn time while being validated: Proxies whose
// traps throw and getters that throw, placed anywhere in a context, a job's `_ctx` or a worker
// message; and values far over the size limit. Properties: the trap's own error never escapes
// (contexts refuse with CTXFRAME_INVALID_CONTEXT, job and worker decoding report a malformed
// context); the work done before refusing an oversized value is bounded by the limit, not by the
// value's size (counted in Proxy trap calls, not in time).

const assert = require('node:assert');
const { EventEmitter } = require('node:events');
const { types } = require('node:util');
const { fc, check } = require('./support.js');
const { createContext, requestContext } = require('ctxframe/context');
const { extractContext } = require('ctxframe/jobs');
const { onContextMessage, ENVELOPE_MARK } = require('ctxframe/worker');
const { withParts, trapping, TrapError, counting } = require('./values.js');

const MAX_BYTES = 8192;
const Ctx = createContext({ name: 'HostileContext', maxBytes: MAX_BYTES });

// What was accepted is plain data: no Proxy survives into a stored context.
function assertNoProxy(value) {
  if (value === null || typeof value !== 'object') return;
  assert.ok(!types.isProxy(value), 'a Proxy was stored');
  for (const key of Object.keys(value)) assertNoProxy(value[key]);
}

function assertNotTrapError(err) {
  assert.ok(!(err instanceof TrapError), `the value's own error escaped: ${err && err.message}`);
}

describe('fuzz: hostile values (Proxies, throwing getters, oversized values)', function () {
  it('a context refuses Proxy traps and getters that throw with CTXFRAME_INVALID_CONTEXT, or stores plain data', function () {
    check(fc.property(withParts(trapping, { lazy: true }), (make) => {
      let frozen;
      try {
        frozen = Ctx.freeze(make());
      } catch (err) {
        assertNotTrapError(err);
        assert.ok(err instanceof TypeError, String(err));
        assert.strictEqual(err.code, 'CTXFRAME_INVALID_CONTEXT');
        return;
      }
      // Accepted only if validation never needed the throwing trap: then the copy is plain data.
      assertNoProxy(frozen);
    }), 1000);
  });

  it('a job _ctx or a worker message holding one is reported malformed, never throws the trap\'s error', function () {
    check(fc.property(withParts(trapping, { lazy: true }), (make) => {
      const ctx = make();
      let result;
      try {
        result = extractContext({ _ctx: { v: 1, ts: 1, ctx } });
      } catch (err) {
        assertNotTrapError(err);
        assert.strictEqual(err.code, 'CTXFRAME_INVALID_CONTEXT', String(err));
        result = null;
      }
      if (result !== null && result.problem !== null) assert.strictEqual(result.problem, 'malformed');
      if (result !== null && result.problem === null) assertNoProxy(result.context);
      const port = new EventEmitter();
      let calls = 0;
      onContextMessage(() => { calls++; assert.strictEqual(typeof requestContext.current(), 'object'); }, { port });
      process.removeAllListeners('warning');
      try {
        port.emit('message', { [ENVELOPE_MARK]: 1, ctx: make(), data: 1 });
      } catch (err) {
        assertNotTrapError(err);
        throw err;
      }
      assert.strictEqual(calls, 1);
    }), 500);
  });

  it('refusing an oversized value costs work bounded by the size limit, not by the value', function () {
    // Each element is at least 2 bytes of JSON ("x" and a comma), so past MAX_BYTES elements the
    // limit is certainly passed; allow a few trap calls per element up to there.
    const bound = 8 * MAX_BYTES + 64;
    check(fc.property(fc.integer({ min: 20 * MAX_BYTES, max: 60 * MAX_BYTES }), fc.constantFrom('array', 'nested'), (n, shape) => {
      const counter = { calls: 0 };
      const items = Array.from({ length: n }, () => 'x');
      const value = shape === 'array' ? { items: counting(items, counter) } : { a: { b: counting(items, counter) } };
      try {
        Ctx.freeze(value);
        assert.fail('an oversized value was accepted');
      } catch (err) {
        assert.ok(['CTXFRAME_CONTEXT_TOO_LARGE', 'CTXFRAME_INVALID_CONTEXT'].includes(err.code), String(err));
      }
      assert.ok(counter.calls <= bound, `${counter.calls} trap calls to refuse ${n} elements (bound ${bound})`);
    }), 20);
  });

  it('work to accept a value grows linearly with its size', function () {
    check(fc.property(fc.integer({ min: 1, max: 400 }), (n) => {
      const counter = { calls: 0 };
      const value = { items: counting(Array.from({ length: n }, (_, i) => i % 10), counter) };
      try {
        Ctx.freeze(value);
      } catch (err) {
        // Refusing Proxies outright is fine too: then no work at all was done on it.
        assert.strictEqual(err.code, 'CTXFRAME_INVALID_CONTEXT', String(err));
      }
      assert.ok(counter.calls <= 8 * n + 64, `${counter.calls} trap calls for ${n} elements`);
    }), 200);
  });
});
