'use strict';
// The shared ingress behaviour tests, run against each framework by http/express/fastify/koa
// .test.js: request ids, resolve/requireTenant, errors, trace context, metrics, concurrency.

const assert = require('node:assert/strict');
const http = require('node:http');
const net = require('node:net');
const { startService, runConcurrencyCheck, waitFor } = require('./ingress-harness.js');
const { count, requestMetrics } = require('ctxframe/http');

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

// Raw bytes on a socket: lets a test send what fetch refuses to (UTF-8, CR, huge headers).
function rawRequest(url, headerLines) {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.on('error', reject);
    socket.write(Buffer.concat([
      Buffer.from('GET /ctx HTTP/1.1\r\nHost: x\r\nConnection: close\r\nx-tenant-id: t-raw\r\n'),
      ...headerLines.map((l) => Buffer.concat([l, Buffer.from('\r\n')])),
      Buffer.from('\r\n'),
    ]));
  });
}

function ingressSuite(kind) {
  describe(`ingress shared behaviour (${kind})`, () => {
    let service;
    before(async () => { service = await startService(kind); });
    after(async () => { await service.close(); });

    async function getCtx(headers = {}) {
      const res = await fetch(`${service.url}/ctx`, { headers: { 'x-tenant-id': 't1', ...headers } });
      const body = await res.json();
      return { res, body, header: res.headers.get('x-request-id') };
    }

    it('500 requests in flight: every response, log line and summary carries its own id and tenant', async () => {
      service.lines.length = 0;
      service.ends.length = 0;
      await runConcurrencyCheck(service, 500);
    });

    it('accepts a valid inbound request id and sets it on the response', async () => {
      for (const id of ['abc', 'A-b_c.d:e/f+g=h@i', 'x'.repeat(128), '0']) {
        const { body, header } = await getCtx({ 'x-request-id': id });
        assert.equal(header, id);
        assert.equal(body.ctx.requestId, id);
      }
    });

    it('replaces an invalid inbound id with a UUID and never echoes it', async () => {
      const invalid = ['x'.repeat(129), 'x'.repeat(10 * 1024), 'has space', 'semi;colon', 'quote"', '<script>',
        'caf\u00e9', 'tab\there', ''];
      for (const id of invalid) {
        const { body, header } = await getCtx({ 'x-request-id': id });
        assert.match(header, UUID_RE, JSON.stringify(id));
        assert.match(body.ctx.requestId, UUID_RE);
        assert.equal(body.ctx.requestId, header);
      }
      // Multi-byte UTF-8 and a second x-request-id header (joined by Node) over a raw socket.
      const utf8 = await rawRequest(service.url, [Buffer.from('x-request-id: \u65e5\u672c-id', 'utf8')]);
      assert.match(utf8, /^HTTP\/1\.1 200/);
      assert.match(utf8, /x-request-id: [0-9a-f-]{36}\r\n/i);
      assert.ok(!utf8.includes('-id\r\n') && !utf8.includes('\u00e6\u0097'));
      const twice = await rawRequest(service.url, [Buffer.from('x-request-id: dup-one-zz'), Buffer.from('x-request-id: dup-two-zz')]);
      assert.match(twice, /x-request-id: [0-9a-f-]{36}\r\n/i);
      assert.ok(!twice.includes('dup-one') && !twice.includes('dup-two'), twice);
      // A CR inside the value: Node's parser refuses the request before any handler runs.
      const cr = await rawRequest(service.url, [Buffer.from('x-request-id: evil\rinjected: yes')]);
      assert.ok(!cr.includes('evil') && !cr.includes('injected'), cr);
      // A 10 KB id is not in any log line either.
      assert.ok(!service.lines.some((l) => JSON.stringify(l).includes('x'.repeat(129))));
    });

    it('continues a valid inbound traceparent and keeps a valid tracestate', async () => {
      const { body } = await getCtx({ traceparent: `00-${TRACE}-${SPAN}-01`, tracestate: 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE' });
      assert.equal(body.ctx.traceId, TRACE);
      assert.equal(body.ctx.parentSpanId, SPAN);
      assert.match(body.ctx.spanId, /^[0-9a-f]{16}$/);
      assert.notEqual(body.ctx.spanId, SPAN);
      assert.equal(body.ctx.traceFlags, '01');
      assert.equal(body.ctx.traceState, 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE');
      const second = await getCtx({ traceparent: `00-${TRACE}-${SPAN}-00`, tracestate: 'BAD KEY=1' });
      assert.equal(second.body.ctx.traceId, TRACE);
      assert.equal(second.body.ctx.traceFlags, '00');
      assert.notEqual(second.body.ctx.spanId, body.ctx.spanId);
      assert.equal(second.body.ctx.traceState, undefined);
    });

    it('starts a new trace for a missing or invalid traceparent', async () => {
      const traces = new Set();
      for (const traceparent of [undefined, 'garbage', `00-${'0'.repeat(32)}-${SPAN}-01`, `00-${TRACE.toUpperCase()}-${SPAN}-01`]) {
        const { body, res } = await getCtx(traceparent ? { traceparent, tracestate: 'a=1' } : {});
        assert.equal(res.status, 200);
        assert.match(body.ctx.traceId, /^[0-9a-f]{32}$/);
        assert.notEqual(body.ctx.traceId, TRACE);
        assert.match(body.ctx.spanId, /^[0-9a-f]{16}$/);
        assert.equal(body.ctx.parentSpanId, undefined);
        assert.equal(body.ctx.traceState, undefined);
        assert.equal(body.ctx.traceFlags, '01'); // a new trace is sampled (docs/ingress.md)
        traces.add(body.ctx.traceId);
      }
      assert.equal(traces.size, 4);
    });

    it('merges resolve() fields (sync and async); ingress-owned fields win', async () => {
      const sync = await getCtx({ 'x-user-id': 'u1', 'x-request-id': 'rid-1' });
      assert.equal(sync.body.ctx.tenantId, 't1');
      assert.equal(sync.body.ctx.userId, 'u1');
      const asyncRes = await getCtx({ 'x-user-id': 'u2', 'x-async-resolve': '1' });
      assert.equal(asyncRes.body.ctx.userId, 'u2');
      const override = await getCtx({ 'x-try-override': '1', 'x-request-id': 'mine' });
      assert.equal(override.body.ctx.requestId, 'mine');
      assert.match(override.body.ctx.traceId, /^[0-9a-f]{32}$/);
      assert.equal(override.body.ctx.tenantId, 't1');
    });

    it('a throwing, rejecting or invalid resolve() gives a 500 JSON error and the server keeps serving', async () => {
      for (const tenant of ['explode', 'explode-async', 'bad-field']) {
        const res = await fetch(`${service.url}/ctx`, { headers: { 'x-tenant-id': tenant, 'x-request-id': `r-${tenant}` } });
        assert.equal(res.status, 500);
        assert.match(res.headers.get('content-type'), /application\/json/);
        assert.deepEqual(await res.json(), { error: 'internal_error', message: 'The request could not be processed.', requestId: `r-${tenant}` });
        assert.equal(res.headers.get('x-request-id'), `r-${tenant}`);
      }
      assert.equal((await getCtx()).res.status, 200);
    });

    it('a throwing handler gets a 500 that still carries the request id', async () => {
      const res = await fetch(`${service.url}/boom`, { headers: { 'x-tenant-id': 't1', 'x-request-id': 'boom-1' } });
      assert.equal(res.status, 500);
      assert.equal(res.headers.get('x-request-id'), 'boom-1');
      await res.arrayBuffer();
      assert.equal((await getCtx()).res.status, 200);
    });

    it('requestMetrics() inside a request; count()/requestMetrics() outside are no-ops', async () => {
      const { body } = await getCtx();
      assert.deepEqual(body.metrics.counters, {});
      assert.equal(typeof body.metrics.startTime, 'number');
      assert.ok(body.metrics.durationMs >= 0);
      assert.equal(count('outside'), undefined);
      assert.equal(requestMetrics(), null);
      assert.throws(() => count(''), { code: 'ERR_INVALID_ARG_TYPE' });
      assert.throws(() => count('x', NaN), { code: 'ERR_INVALID_ARG_TYPE' });
    });

    it('onRequestEnd reports early-closed requests as aborted', async () => {
      service.ends.length = 0;
      const req = http.request(`${service.url}/work/abort-me?delay=300`, {
        method: 'POST', headers: { 'content-type': 'application/json', 'x-tenant-id': 't-abort', 'x-request-id': 'abort-1' },
      });
      const closed = new Promise((resolve) => req.on('close', resolve));
      req.on('error', () => {});
      req.end(JSON.stringify({ tag: 'abort-me' }));
      // Hang up once the handler is running (it logged its first line), before it answers.
      await waitFor(() => service.lines.some((l) => l.tag === 'abort-me'), 'handler start');
      req.destroy();
      await closed;
      await waitFor(() => service.ends.some((e) => e.requestId === 'abort-1'), 'aborted summary');
      const end = service.ends.find((e) => e.requestId === 'abort-1');
      assert.equal(end.aborted, true);
      assert.equal(end.tenantId, 't-abort');
      assert.equal(end.path, '/work/abort-me');
    });
  });

  describe(`ingress requireTenant (${kind})`, () => {
    let service;
    before(async () => { service = await startService(kind, { requireTenant: true }); });
    after(async () => { await service.close(); });

    it('answers 400 tenant_required as JSON and never runs the handler', async () => {
      service.lines.length = 0;
      service.ends.length = 0;
      const res = await fetch(`${service.url}/work/no-tenant?delay=0`, {
        method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': 'nt-1' }, body: '{"tag":"no-tenant"}',
      });
      assert.equal(res.status, 400);
      assert.match(res.headers.get('content-type'), /application\/json/);
      assert.equal(res.headers.get('x-request-id'), 'nt-1');
      const body = await res.json();
      assert.equal(body.error, 'tenant_required');
      assert.equal(body.requestId, 'nt-1');
      await waitFor(() => service.ends.length === 1, 'summary');
      assert.equal(service.ends[0].status, 400);
      assert.equal(service.ends[0].tenantId, null);
      assert.ok(!service.lines.some((l) => l.tag), 'handler never ran');
      if (service.hookLog) assert.ok(!service.hookLog.some((h) => h.hook === 'preHandler' && h.requestId === 'nt-1'));
    });

    it('lets a request with a tenant through', async () => {
      const res = await fetch(`${service.url}/ctx`, { headers: { 'x-tenant-id': 'tt' } });
      assert.equal(res.status, 200);
      assert.equal((await res.json()).ctx.tenantId, 'tt');
    });
  });
}

module.exports = { ingressSuite, rawRequest };
