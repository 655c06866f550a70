'use strict';
// ctxframe/jobs: the _ctx envelope (inject/extract), wrapProcessor running a processor in the
// carried context, fresh context + one warning per problem kind, strict mode, error pass-through.

const assert = require('node:assert/strict');
const path = require('node:path');
const { setTimeout: sleep } = require('node:timers/promises');
const { requestContext, createContext } = require('ctxframe/context');
const jobs = require('ctxframe/jobs');
const { runNode, describeChild } = require('../support/core-child.js');

const { injectContext, extractContext, wrapProcessor, PROBLEM_CODES } = jobs;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

// Simulates the trip through a queue: JSON out, JSON in.
const throughQueue = (payload) => JSON.parse(JSON.stringify(payload));

// Warnings are once per process: each warn-once case runs in a fresh child process.
async function warningCase(name) {
  const result = await runNode([], path.join(__dirname, 'fixtures', 'job-warnings.js'), [name]);
  assert.equal(result.code, 0, describeChild(name, result));
  return JSON.parse(result.stdout);
}

describe('ctxframe/jobs', () => {

  describe('injectContext', () => {
    it('adds a versioned envelope with the current context and leaves the payload alone', () => {
      const payload = { orderId: 7 };
      const out = requestContext.withContext({ requestId: 'req-1', tenantId: 't-9' },
        () => injectContext(payload));
      assert.deepEqual(payload, { orderId: 7 });
      assert.equal(out.orderId, 7);
      assert.equal(out._ctx.v, 1);
      assert.deepEqual(out._ctx.ctx, { requestId: 'req-1', tenantId: 't-9' });
      assert.equal(typeof out._ctx.ts, 'number');
      assert.equal(out._ctx.sig, undefined);
      assert.deepEqual(throughQueue(out), out);
    });

    it('outside a context carries no _ctx and drops a stale one', () => {
      assert.deepEqual(injectContext({ a: 1, _ctx: { v: 1, ctx: { requestId: 'old' }, ts: 1 } }), { a: 1 });
      assert.deepEqual(injectContext(undefined), {});
    });

    it('signs the envelope when given a secret', () => {
      const out = requestContext.withContext({ requestId: 'r' }, () => injectContext({}, { secret: 's3cret' }));
      assert.match(out._ctx.sig, /^[A-Za-z0-9_-]{43}$/);
    });

    it('refuses a context larger than maxBytes at enqueue time', () => {
      requestContext.withContext({ blob: 'x'.repeat(200) }, () => {
        assert.throws(() => injectContext({}, { maxBytes: 100 }),
          (err) => err instanceof RangeError && err.code === PROBLEM_CODES.too_large);
        assert.ok(injectContext({}, { maxBytes: 1000 })._ctx);
      });
    });

    it('rejects bad arguments with stable codes', () => {
      assert.throws(() => injectContext(42), { code: 'ERR_INVALID_ARG_TYPE' });
      assert.throws(() => injectContext([1]), { code: 'ERR_INVALID_ARG_TYPE' });
      assert.throws(() => injectContext({}, { maxBytes: -1 }), { code: 'ERR_OUT_OF_RANGE' });
      assert.throws(() => injectContext({}, { secret: '' }), { code: 'ERR_INVALID_ARG_TYPE' });
      assert.throws(() => injectContext({}, { context: {} }), { code: 'ERR_INVALID_ARG_TYPE' });
      assert.throws(() => wrapProcessor('nope'), { code: 'ERR_INVALID_ARG_TYPE' });
      assert.throws(() => wrapProcessor(() => {}, { strict: 'yes' }), { code: 'ERR_INVALID_ARG_TYPE' });
    });
  });

  describe('extractContext', () => {
    const good = () => throughQueue(requestContext.withContext({ requestId: 'abc', tenantId: 't' },
      () => injectContext({ n: 1 }, { secret: 'k' })));

    it('returns the carried context', () => {
      assert.deepEqual(extractContext(good()), { context: { requestId: 'abc', tenantId: 't' }, problem: null });
      assert.deepEqual(extractContext(good(), { secret: 'k' }).problem, null);
    });

    const cases = [
      ['missing', () => ({ n: 1 })],
      ['missing', () => null],
      ['missing', () => 'a string payload'],
      ['malformed', () => ({ _ctx: 'req-1' })],
      ['malformed', () => ({ _ctx: null })],
      ['malformed', () => ({ _ctx: { ctx: { requestId: 'x' }, ts: 1 } })],
      ['malformed', () => ({ _ctx: { v: '1', ctx: { requestId: 'x' }, ts: 1 } })],
      ['malformed', () => ({ _ctx: { v: 1, ctx: ['x'], ts: 1 } })],
      ['malformed', () => ({ _ctx: { v: 1, ctx: { requestId: 'x' } } })],
      ['malformed', () => ({ _ctx: { v: 1, ctx: { requestId: 'x' }, ts: 1, sig: 5 } })],
      ['malformed', () => ({ _ctx: { v: 1, ctx: { when: new Date() }, ts: 1 } })],
      ['too_large', () => ({ _ctx: { v: 1, ctx: { blob: 'x'.repeat(5000) }, ts: 1 } })],
      ['unknown_version', () => ({ _ctx: { v: 2, ctx: { requestId: 'x' }, ts: 1 } })],
      ['tampered', () => ({ _ctx: { v: 1, ctx: { requestId: 'x' }, ts: 1, admin: true } })],
    ];
    for (const [problem, make] of cases) {
      it(`reports ${problem} for ${JSON.stringify(make())?.slice(0, 60)}`, () => {
        assert.deepEqual(extractContext(make()), { context: null, problem });
      });
    }

    it('with a secret, detects a changed context, a changed timestamp, a missing or foreign signature', () => {
      const changedCtx = good();
      changedCtx._ctx.ctx.tenantId = 'other-tenant';
      const changedTs = good();
      changedTs._ctx.ts += 1;
      const unsigned = good();
      delete unsigned._ctx.sig;
      for (const payload of [changedCtx, changedTs, unsigned]) {
        assert.equal(extractContext(payload, { secret: 'k' }).problem, 'tampered');
      }
      assert.equal(extractContext(good(), { secret: 'other' }).problem, 'tampered');
    });
  });

  describe('wrapProcessor', () => {
    it('runs the processor in the context its job carries, across awaits and timers', async () => {
      const seen = [];
      const processor = wrapProcessor(async (job, token) => {
        await sleep(1);
        seen.push([requestContext.get('requestId'), requestContext.get('tenantId'), job.data.n, token]);
        await new Promise((resolve) => setTimeout(resolve, 1));
        seen.push([requestContext.get('requestId'), requestContext.get('tenantId'), job.data.n, token]);
        return job.data.n * 2;
      });
      const payload = throughQueue(requestContext.withContext({ requestId: 'job-req', tenantId: 'acme' },
        () => injectContext({ n: 21 })));
      assert.equal(requestContext.currentOrNull(), null);
      assert.equal(await processor({ data: payload }, 'tok'), 42);
      assert.deepEqual(seen, [['job-req', 'acme', 21, 'tok'], ['job-req', 'acme', 21, 'tok']]);
      assert.equal(requestContext.currentOrNull(), null);
    });

    it('accepts the payload itself and passes this through', () => {
      const payload = throughQueue(requestContext.withContext({ requestId: 'p' }, () => injectContext({})));
      const self = {};
      const processor = wrapProcessor(function (p) { return [this, p, requestContext.get('requestId')]; });
      assert.deepEqual(processor.call(self, payload), [self, payload, 'p']);
    });

    it('keeps 50 interleaved jobs in their own contexts', async () => {
      const processor = wrapProcessor(async (job) => {
        await sleep(job.data.i % 5);
        return [job.data.i, requestContext.get('requestId')];
      });
      const payloads = [];
      for (let i = 0; i < 50; i++) {
        payloads.push(throughQueue(requestContext.withContext({ requestId: `r-${i}` }, () => injectContext({ i }))));
      }
      const results = await Promise.all(payloads.map((data) => processor({ data })));
      for (const [i, requestId] of results) assert.equal(requestId, `r-${i}`);
    });

    it('runs a job with a problem in a fresh context and warns once per kind', async () => {
      const { ids, warnings, again } = await warningCase('kinds');
      assert.equal(ids.length, 9); // the eight problem jobs and the quiet one after them
      for (const id of ids) assert.match(id, UUID);
      assert.equal(new Set(ids).size, ids.length, 'every fresh context has its own requestId');
      assert.deepEqual(warnings.map(([code]) => code).sort(), Object.values(PROBLEM_CODES).sort());
      for (const [, type] of warnings) assert.equal(type, 'CtxframeWarning');
      assert.deepEqual(again, [], 'later problems of the same kinds stay quiet');
    });

    it('falls back to a fresh context when the context refuses the carried value', async () => {
      const { ids, warnings } = await warningCase('refused');
      assert.equal(ids.length, 1);
      assert.match(ids[0], UUID);
      assert.deepEqual(warnings, [[PROBLEM_CODES.too_large, 'CtxframeWarning']]);
    });

    it('a Proxy trap or a throwing getter in a payload makes it malformed, never passes its error', async () => {
      const { ids, warnings } = await warningCase('hostile');
      assert.equal(ids.length, 4);
      for (const id of ids) assert.match(id, UUID);
      assert.deepEqual(warnings, [[PROBLEM_CODES.malformed, 'CtxframeWarning']]);
    });

    it('strict: fails the job with the problem code and never calls the processor', () => {
      let calls = 0;
      const processor = wrapProcessor(() => { calls++; }, { strict: true, secret: 'k' });
      const forged = throughQueue(requestContext.withContext({ requestId: 'r', tenantId: 'a' },
        () => injectContext({}, { secret: 'k' })));
      forged._ctx.ctx.tenantId = 'b';
      for (const [data, code] of [[{}, PROBLEM_CODES.missing], [forged, PROBLEM_CODES.tampered],
        [{ _ctx: { v: 3 } }, PROBLEM_CODES.unknown_version]]) {
        assert.throws(() => processor({ data }), (err) => err.code === code);
      }
      assert.equal(calls, 0);
    });

    it('never swallows or re-labels the processor\'s own error', async () => {
      const boom = new Error('boom');
      const payload = throughQueue(requestContext.withContext({ requestId: 'r' }, () => injectContext({})));
      assert.throws(() => wrapProcessor(() => { throw boom; })(payload), (err) => err === boom);
      await assert.rejects(wrapProcessor(async () => { throw boom; })(payload), (err) => err === boom);
      // Also on the fresh-context path, and with a thrown non-error value.
      assert.throws(() => wrapProcessor(() => { throw boom; })({}), (err) => err === boom);
      const token = { notAnError: true };
      await assert.rejects(wrapProcessor(() => Promise.reject(token))(payload), (err) => err === token);
      // An error that looks like a context validation error still is the processor's own.
      const lookalike = Object.assign(new TypeError('x'), { code: 'CTXFRAME_INVALID_CONTEXT' });
      assert.throws(() => wrapProcessor(() => { throw lookalike; })(payload), (err) => err === lookalike);
    });
  });
});
