'use strict';
// One trace with OpenTelemetry: ingress takes the trace of OpenTelemetry's server span, log lines
// carry it, outbound calls carry exactly one traceparent (the instrumentation's, naming its client
// span) and the allow-listed baggage, merged, never duplicated; OpenTelemetry's baggage API sees
// the context's baggage fields. Real SDK, http and undici instrumentations and an in-memory
// exporter, in a fresh process per scenario (fixtures/otel-service.js: instrumentations patch
// process-wide), with ctxframe/otel's manager and with OpenTelemetry's own, with outbound
// installed before and after OpenTelemetry, calling downstream with fetch and with http.get, and
// with Express, Koa and Fastify under their instrumentations (@opentelemetry/instrumentation-express,
// -koa, @fastify/otel), which run ctxframe's middleware or hook in a span of their own: the
// context still takes the server span.
// Without OpenTelemetry, ingress's trace is ctxframe's own (http.test.js, traceparent.test.js).

const assert = require('node:assert/strict');
const path = require('node:path');
const { runNode, describeChild } = require('../support/core-child.js');

const FIXTURE = path.join(__dirname, 'fixtures', 'otel-service.js');
const SERVER = 1; // SpanKind.SERVER
const CLIENT = 2; // SpanKind.CLIENT

async function service(...args) {
  const r = await runNode([], FIXTURE, args, { timeoutMs: 60000 });
  assert.equal(r.code, 0, describeChild(args.join(' '), r));
  return JSON.parse(r.stdout);
}

function parseBaggageHeader(value) {
  const out = {};
  for (const member of value.split(',')) {
    const [pair] = member.split(';');
    const eq = pair.indexOf('=');
    out[pair.slice(0, eq).trim()] = decodeURIComponent(pair.slice(eq + 1).trim());
  }
  return out;
}

// What the fixture's requests carry: tenant and user in baggage for every third, the service's
// own user (resolve(), which wins) for every fourth from the second.
function expectedBaggageFields(i) {
  const fields = {};
  if (i % 3 === 0) {
    fields.tenantId = `t${i}`;
    fields.userId = `user ${i}`;
  }
  if (i % 4 === 1) fields.userId = `u-${i}`;
  return fields;
}

// otelSeesResolved: false where the handler's OpenTelemetry context was made before ctxframe's
// ingress ran (@fastify/otel's registerOnInitialization): OpenTelemetry's baggage API there holds
// what its own propagator took from the inbound header, not the fields resolve() added, and the
// instrumentation injects that header on outbound calls; ctxframe merges its fields into it, the
// header's members winning (docs/outbound.md).
function checkBaggage(r, i, otelSeesResolved = true) {
  const expected = expectedBaggageFields(i);
  assert.equal(r.before.tenantId, expected.tenantId, `request ${i}: tenantId`);
  assert.equal(r.before.userId, expected.userId, `request ${i}: userId`);
  const keys = { tenantId: 'tenant', userId: 'user.id' };
  const sent = r.downstream.baggage;
  assert.ok(sent.length <= 1, `request ${i}: at most one baggage header, got ${JSON.stringify(sent)}`);
  if (Object.keys(expected).length === 0) {
    assert.deepEqual(sent, [], `request ${i}: no baggage to send`);
    return;
  }
  assert.equal(sent.length, 1, `request ${i}: one baggage header`);
  const members = parseBaggageHeader(sent[0]);
  const inbound = i % 3 === 0 ? { tenant: `t${i}`, 'user.id': `user ${i}`, other: 'x' } : null;
  for (const [field, value] of Object.entries(expected)) {
    const sentValue = otelSeesResolved || inbound === null ? value : inbound[keys[field]];
    assert.equal(members[keys[field]], sentValue, `request ${i}: baggage ${keys[field]} sent downstream`);
    if (otelSeesResolved) {
      assert.equal(r.otelBaggage[keys[field]], value, `request ${i}: OpenTelemetry's baggage API sees ${keys[field]}`);
    }
  }
  if (!otelSeesResolved) {
    assert.deepEqual(r.otelBaggage, inbound, `request ${i}: OpenTelemetry's baggage API holds the inbound header's`);
  }
}

const FRAMEWORK = {
  http: 'node:http',
  express: 'Express + its instrumentation',
  koa: 'Koa + its instrumentation',
  fastify: 'Fastify + @fastify/otel registered after ctxframe',
  'fastify-early': 'Fastify + @fastify/otel registerOnInitialization',
};
const MANAGER = { ctxframe: 'CtxframeContextManager', otel: 'AsyncLocalStorageContextManager' };
const scenarios = [];
for (const manager of ['ctxframe', 'otel']) {
  for (const order of ['otel-first', 'outbound-first']) {
    for (const client of ['fetch', 'http']) scenarios.push({ manager, order, client, framework: 'http' });
    // Framework instrumentations run ctxframe's middleware or hook, and then the handler, in spans
    // of their own under the server span.
    for (const framework of ['express', 'koa', 'fastify', 'fastify-early']) scenarios.push({ manager, order, client: 'fetch', framework });
  }
}

for (const { manager, order, client, framework } of scenarios) {
  describe(`one trace with OpenTelemetry: ${MANAGER[manager]}, ${order}, ${client}, ${FRAMEWORK[framework]}`, function () {
    this.timeout(90000);
    let out;
    before(async () => { out = await service(manager, order, client, 'yes', framework); });
    // The span active in the handler: the server span, or the framework's span under it.
    const handlerSpan = (r) => out.spans.find((s) => s.spanId === r.otelBefore.spanId);
    const descendsFrom = (span, ancestor) => {
      for (let at = span, hops = 0; at !== undefined && hops < 10; hops++) {
        if (at.parentSpanId === ancestor.spanId) return at.traceId === ancestor.traceId;
        at = out.spans.find((x) => x.spanId === at.parentSpanId);
      }
      return false;
    };

    it('every request runs in the trace of its server span, after awaits too', () => {
      assert.equal(out.results.length, 24);
      for (const r of out.results) {
        const server = out.spans.filter((s) => s.kind === SERVER && s.url === `/svc/${r.i}`);
        assert.equal(server.length, 1, `request ${r.i}: one server span`);
        const [s] = server;
        if (framework !== 'http') {
          assert.ok(descendsFrom(handlerSpan(r), s), `request ${r.i}: the framework's handler span is under the server span`);
          assert.notEqual(r.otelBefore.spanId, s.spanId, `request ${r.i}: the handler runs in a span of the framework's`);
        } else {
          assert.deepEqual(r.otelBefore, { traceId: s.traceId, spanId: s.spanId });
        }
        for (const ctx of [r.before, r.after]) {
          assert.equal(ctx.traceId, s.traceId, `request ${r.i}: context traceId is the server span's`);
          assert.equal(ctx.spanId, s.spanId, `request ${r.i}: context spanId is the server span's`);
          assert.equal(ctx.traceFlags, '01', `request ${r.i}: sampled, as the span is`);
        }
        if (r.inbound) {
          assert.equal(s.traceId, r.inbound.traceId);
          assert.equal(r.before.parentSpanId, r.inbound.parentId);
        } else {
          assert.equal(r.before.parentSpanId, undefined);
        }
      }
      const fresh = out.results.filter((r) => !r.inbound).map((r) => r.before.traceId);
      assert.equal(new Set(fresh).size, fresh.length, 'concurrent requests never share a trace');
    });

    it('log lines carry the trace OpenTelemetry records', () => {
      for (const r of out.results) {
        const line = out.lines.find((l) => l.i === r.i);
        assert.ok(line, `a log line for request ${r.i}`);
        assert.equal(line.traceId, r.before.traceId);
        assert.equal(line.spanId, r.before.spanId);
        assert.equal(line.requestId, r.before.requestId);
      }
    });

    it('downstream gets exactly one traceparent, the instrumentation\'s, naming its client span', () => {
      for (const r of out.results) {
        assert.equal(r.downstream.traceparent.length, 1, `request ${r.i}: ${JSON.stringify(r.downstream)}`);
        const [version, traceId, parentId, flags] = r.downstream.traceparent[0].split('-');
        assert.equal(version, '00');
        assert.equal(traceId, r.before.traceId);
        assert.equal(flags, '01');
        const clientSpans = out.spans.filter((s) => s.kind === CLIENT && String(s.url).endsWith(`/down/${r.i}`));
        assert.equal(clientSpans.length, 1, `request ${r.i}: one client span`);
        assert.equal(parentId, clientSpans[0].spanId, `request ${r.i}: the parent is the client span`);
        assert.equal(clientSpans[0].parentSpanId, r.otelBefore.spanId, `request ${r.i}: the client span's parent is the handler's span`);
        assert.equal(clientSpans[0].traceId, r.before.traceId);
        assert.deepEqual(r.downstream.tracestate, []);
      }
    });

    it('baggage: allow-listed fields in, resolve() wins, one merged header out, OpenTelemetry sees them', () => {
      for (const r of out.results) checkBaggage(r, Number(r.i), framework !== 'fastify-early');
    });
  });
}

for (const manager of ['ctxframe', 'otel']) {

  describe(`OpenTelemetry SDK without instrumentation: ${manager}`, function () {
    this.timeout(90000);
    let out;
    before(async () => { out = await service(manager, 'otel-first', 'fetch', 'no'); });

    it('the context keeps ctxframe\'s own trace and outbound sends it, once', () => {
      assert.deepEqual(out.spans, []);
      for (const r of out.results) {
        assert.equal(r.otelBefore, null, 'no span is active');
        if (r.inbound) assert.equal(r.before.traceId, r.inbound.traceId);
        assert.deepEqual(r.downstream.traceparent,
          [`00-${r.before.traceId}-${r.before.spanId}-${r.before.traceFlags}`]);
        assert.deepEqual(r.after, r.before);
      }
    });

    it('baggage: ctxframe writes it and OpenTelemetry\'s baggage API sees the context\'s fields', () => {
      for (const r of out.results) checkBaggage(r, Number(r.i));
    });
  });
}
