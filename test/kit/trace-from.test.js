'use strict';
// Ingress's traceFrom option: the trace of an APM agent that does not register OpenTelemetry's
// API (test/agents runs it with Sentry, New Relic, Elastic and dd-trace). Here, its rules on
// node:http: what it may return, what happens when it returns nothing usable or throws, and
// that it comes before OpenTelemetry's span and the inbound traceparent.

const assert = require('node:assert/strict');
const http = require('node:http');
const { withRequestContext } = require('ctxframe/http');
const { requestContext } = require('ctxframe/context');

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';
const INBOUND_TRACE = '0af7651916cd43dd8448eb211c80319c';

async function serve(options, headers = {}) {
  const errors = [];
  const server = http.createServer(withRequestContext(async (req, res) => {
    await new Promise((resolve) => setTimeout(resolve, 1));
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(requestContext.current()));
  }, { onError: (err, source) => errors.push([source, err.message]), ...options }));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const res = await fetch(`http://127.0.0.1:${server.address().port}/`, { headers });
    return { ctx: await res.json(), errors };
  } finally {
    server.close();
  }
}

describe('kit/ingress traceFrom: an APM agent\'s span gives the trace', () => {
  it('takes the ids and flags of a span context', async () => {
    const { ctx } = await serve({ traceFrom: () => ({ traceId: TRACE, spanId: SPAN, traceFlags: 0 }) });
    assert.equal(ctx.traceId, TRACE);
    assert.equal(ctx.spanId, SPAN);
    assert.equal(ctx.traceFlags, '00');
    assert.equal(ctx.parentSpanId, undefined);
  });

  it('takes a span through its spanContext(); flags as two hex characters or absent (newTraceFlags)', async () => {
    const span = { spanContext: () => ({ traceId: TRACE, spanId: SPAN, traceFlags: '01' }) };
    assert.equal((await serve({ traceFrom: () => span })).ctx.traceFlags, '01');
    const bare = await serve({ traceFrom: () => ({ traceId: TRACE, spanId: SPAN }), newTraceFlags: '00' });
    assert.equal(bare.ctx.traceFlags, '00');
    assert.equal(bare.ctx.traceId, TRACE);
  });

  it('gets Node\'s request, and comes before the inbound traceparent (keeping its parent when the trace is the same)', async () => {
    let got;
    const { ctx } = await serve({ traceFrom: (req) => { got = req; return { traceId: INBOUND_TRACE, spanId: SPAN }; } },
      { traceparent: `00-${INBOUND_TRACE}-b7ad6b7169203331-01` });
    assert.ok(got instanceof http.IncomingMessage);
    assert.equal(ctx.traceId, INBOUND_TRACE);
    assert.equal(ctx.spanId, SPAN);
    assert.equal(ctx.parentSpanId, 'b7ad6b7169203331');
  });

  for (const [what, value] of [['undefined', undefined], ['null', null], ['a string', TRACE],
    ['invalid ids', { traceId: 'x', spanId: SPAN }], ['an all-zero trace id', { traceId: '0'.repeat(32), spanId: SPAN }],
    ['uppercase hex', { traceId: TRACE.toUpperCase(), spanId: SPAN }]]) {
    it(`returning ${what}: the usual rules (the inbound traceparent is continued), nothing reported`, async () => {
      const { ctx, errors } = await serve({ traceFrom: () => value }, { traceparent: `00-${INBOUND_TRACE}-b7ad6b7169203331-01` });
      assert.equal(ctx.traceId, INBOUND_TRACE);
      assert.equal(ctx.parentSpanId, 'b7ad6b7169203331');
      assert.deepEqual(errors, []);
    });
  }

  it('throwing: reported as \'traceFrom\', and the request goes on with the usual rules', async () => {
    const { ctx, errors } = await serve({ traceFrom: () => { throw new Error('agent not started'); } });
    assert.match(ctx.traceId, /^[0-9a-f]{32}$/);
    assert.notEqual(ctx.traceId, TRACE);
    assert.deepEqual(errors, [['traceFrom', 'agent not started']]);
  });

  it('not used with trace: false', async () => {
    let calls = 0;
    const { ctx } = await serve({ trace: false, traceFrom: () => { calls++; return { traceId: TRACE, spanId: SPAN }; } });
    assert.equal(ctx.traceId, undefined);
    assert.equal(calls, 0);
  });

  it('refuses what is not a function', () => {
    for (const bad of [1, 'x', {}, null]) {
      assert.throws(() => withRequestContext(() => {}, { traceFrom: bad }), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
    }
  });
});
