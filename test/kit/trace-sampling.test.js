'use strict';
// New traces go out sampled (docs/ingress.md#new-traces-are-sampled), tried as a user would: an
// edge service with ctxframe's ingress and outbound calls a downstream service instrumented with
// the real OpenTelemetry SDK at its defaults (ParentBased(AlwaysOn) sampler, W3C propagator). A
// request with no traceparent starts a trace at the edge; the downstream span joins it and is
// recorded. With newTraceFlags: '00' the downstream follows its parent and records nothing, which
// is why '01' is the default. A continued trace keeps the caller's flags either way.

const assert = require('node:assert/strict');
const http = require('node:http');
const api = require('@opentelemetry/api');
const { W3CTraceContextPropagator } = require('@opentelemetry/core');
const { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { withRequestContext } = require('ctxframe/http');
const { installOutbound } = require('ctxframe/outbound');
const { requestContext } = require('ctxframe/context');

const listen = (server) => new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${server.address().port}`)));
const close = (server) => { server.close(); server.closeAllConnections(); };

describe('ingress: new traces are sampled, and OpenTelemetry downstream records them', () => {
  let exporter;
  let tracer;
  let downstream;
  let downstreamUrl;
  let outbound;
  const propagator = new W3CTraceContextPropagator();

  before(async () => {
    exporter = new InMemorySpanExporter();
    // The SDK's defaults: no sampler given is ParentBased({ root: AlwaysOn }).
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    tracer = provider.getTracer('downstream');
    downstream = http.createServer((req, res) => {
      const parent = propagator.extract(api.ROOT_CONTEXT, req.headers, api.defaultTextMapGetter);
      const span = tracer.startSpan('GET /charge', { kind: api.SpanKind.SERVER }, parent);
      const { traceId, traceFlags } = span.spanContext();
      const recording = span.isRecording(); // before end(): an ended span records nothing more
      span.end();
      res.end(JSON.stringify({ traceparent: req.headers.traceparent, traceId, traceFlags, recording }));
    });
    downstreamUrl = await listen(downstream);
    outbound = installOutbound();
  });

  after(() => {
    outbound.uninstall();
    close(downstream);
  });

  beforeEach(() => exporter.reset());

  async function throughEdge(options, headers = {}) {
    const edge = http.createServer(withRequestContext(async (req, res) => {
      const seen = await (await fetch(`${downstreamUrl}/charge`)).json();
      res.end(JSON.stringify({ ctx: requestContext.current(), seen }));
    }, options));
    const url = await listen(edge);
    try {
      return await (await fetch(url, { headers })).json();
    } finally {
      close(edge);
    }
  }

  it('by default a new trace goes out as 01 and the downstream span joins it and is recorded', async () => {
    const { ctx, seen } = await throughEdge();
    assert.equal(ctx.traceFlags, '01');
    assert.equal(seen.traceparent, `00-${ctx.traceId}-${ctx.spanId}-01`);
    assert.equal(seen.traceId, ctx.traceId);
    assert.equal(seen.recording, true);
    const [span] = exporter.getFinishedSpans();
    assert.equal(exporter.getFinishedSpans().length, 1);
    assert.equal(span.spanContext().traceId, ctx.traceId);
    assert.equal(span.parentSpanContext.spanId, ctx.spanId);
  });

  it("with newTraceFlags: '00' the trace goes out unsampled and the downstream records nothing", async () => {
    const { ctx, seen } = await throughEdge({ newTraceFlags: '00' });
    assert.equal(ctx.traceFlags, '00');
    assert.equal(seen.traceparent, `00-${ctx.traceId}-${ctx.spanId}-00`);
    assert.equal(seen.recording, false);
    assert.equal(exporter.getFinishedSpans().length, 0);
  });

  it("a continued trace keeps the caller's flags, whatever newTraceFlags says", async () => {
    const trace = '4bf92f3577b34da6a3ce929d0e0e4736';
    const unsampled = await throughEdge(undefined, { traceparent: `00-${trace}-00f067aa0ba902b7-00` });
    assert.equal(unsampled.seen.traceparent, `00-${trace}-${unsampled.ctx.spanId}-00`);
    assert.equal(unsampled.seen.recording, false);
    const sampled = await throughEdge({ newTraceFlags: '00' }, { traceparent: `00-${trace}-00f067aa0ba902b7-01` });
    assert.equal(sampled.seen.traceparent, `00-${trace}-${sampled.ctx.spanId}-01`);
    assert.equal(sampled.seen.recording, true);
  });
});
