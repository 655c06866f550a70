'use strict';
// The examples/ services, each started exactly as documented (`node examples/<name>.js`, PORT=0)
// in a child process and hit with real requests; their stdout log lines are checked.
// test/package/examples.test.js runs this file again with CTXFRAME_EXAMPLES_APP set to an app that
// installed the packed tarball: each example then starts as `node node_modules/ctxframe/examples/
// <name>.js` from that app (docs/ingress.md#examples).

const assert = require('node:assert/strict');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { once } = require('node:events');

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

// Starts an example, resolves once it logged "listening" with its URL.
const APP = process.env.CTXFRAME_EXAMPLES_APP;

function startExample(file) {
  const script = APP ? path.join('node_modules', 'ctxframe', 'examples', file) : path.join(__dirname, '../../examples', file);
  const child = spawn(process.execPath, [...process.execArgv, script], {
    cwd: APP || process.cwd(),
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines = [];
  let stderr = '';
  let buffered = '';
  child.stderr.on('data', (c) => { stderr += c; });
  const ready = new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      buffered += chunk;
      let nl;
      while ((nl = buffered.indexOf('\n')) !== -1) {
        const line = JSON.parse(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
        lines.push(line);
        if (line.msg === 'listening') resolve(line.url);
      }
    });
    child.on('exit', (code) => reject(new Error(`${file} exited with ${code}: ${stderr}`)));
  });
  return {
    lines,
    ready,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      const [code, signal] = await exited;
      clearTimeout(timer);
      assert.equal(signal, null, `${file} did not shut down on SIGTERM`);
      assert.equal(code, 0, stderr);
    },
  };
}

async function waitForLines(lines, predicate, n) {
  for (let i = 0; i < 2000 && lines.filter(predicate).length < n; i++) await new Promise((r) => setTimeout(r, 5));
  return lines.filter(predicate);
}

describe('kit/examples', () => {
  it('express-service: pino lines carry id and tenant; the outbound call propagates id and trace', async () => {
    const ex = startExample('express-service.js');
    try {
      const url = await ex.ready;
      const results = await Promise.all(Array.from({ length: 20 }, async (_, i) => {
        const headers = { 'x-tenant-id': `tenant-${i}` };
        if (i === 0) headers.traceparent = `00-${TRACE}-${SPAN}-01`;
        const res = await fetch(`${url}/orders/${i}`, { headers });
        assert.equal(res.status, 200);
        return { i, id: res.headers.get('x-request-id'), body: await res.json() };
      }));
      for (const { i, id, body } of results) {
        assert.equal(body.context.requestId, id);
        assert.equal(body.context.tenantId, `tenant-${i}`);
        // The callee (same service) got the caller's id and trace through ctxframe/outbound.
        assert.equal(body.stock.seenBy.requestId, id);
        assert.equal(body.stock.seenBy.traceId, body.context.traceId);
        assert.equal(body.stock.seenBy.parentSpanId, body.context.spanId);
        assert.notEqual(body.stock.seenBy.spanId, body.context.spanId);
        if (i === 0) {
          assert.equal(body.context.traceId, TRACE);
          assert.equal(body.context.parentSpanId, SPAN);
        }
        const orderLines = ex.lines.filter((l) => l.orderId === String(i) || l.available !== undefined && l.requestId === id);
        assert.equal(orderLines.length, 2);
        for (const line of orderLines) {
          assert.equal(line.requestId, id);
          assert.equal(line.tenantId, `tenant-${i}`);
        }
        const stockLine = ex.lines.find((l) => l.sku === `sku-${i}`);
        assert.equal(stockLine.requestId, id);
      }
      const finished = await waitForLines(ex.lines, (l) => l.msg === 'request finished', 40);
      const outer = finished.filter((l) => l.summary.route === '/orders/:id');
      assert.equal(outer.length, 20);
      for (const line of outer) {
        assert.equal(line.requestId, line.summary.requestId);
        assert.deepEqual(line.summary.counters, { dbQueries: 1 });
        assert.equal(line.summary.status, 200);
      }
      const denied = await fetch(`${url}/orders/1`);
      assert.equal(denied.status, 400);
      assert.equal((await denied.json()).error, 'tenant_required');
    } finally {
      await ex.stop();
    }
  });

  it('fastify-service: Fastify\'s own request logs and handler logs carry id and tenant', async () => {
    const ex = startExample('fastify-service.js');
    try {
      const url = await ex.ready;
      const results = await Promise.all(Array.from({ length: 20 }, async (_, i) => {
        const res = await fetch(`${url}/projects/${i}`, { headers: { 'x-tenant-id': `t-${i}` } });
        assert.equal(res.status, 200);
        return { i, id: res.headers.get('x-request-id'), body: await res.json() };
      }));
      await waitForLines(ex.lines, (l) => l.msg === 'request finished', 20);
      for (const { i, id, body } of results) {
        assert.deepEqual(body.project, { id: String(i), tenantId: `t-${i}`, name: `project ${i}` });
        assert.equal(body.context.requestId, id);
        assert.deepEqual(body.metrics.counters, { dbQueries: 1 });
        const mine = ex.lines.filter((l) => l.requestId === id);
        const msgs = mine.map((l) => l.msg);
        for (const msg of ['authorizing', 'project loaded', 'request completed', 'request finished']) {
          assert.ok(msgs.includes(msg), `${msg} line for ${id}: ${JSON.stringify(mine)}`);
        }
        for (const line of mine) assert.equal(line.tenantId, `t-${i}`);
      }
      const denied = await fetch(`${url}/projects/1`);
      assert.equal(denied.status, 400);
    } finally {
      await ex.stop();
    }
  });

  it('http-service: body events, logs and the request summary carry id and tenant', async () => {
    const ex = startExample('http-service.js');
    try {
      const url = await ex.ready;
      const results = await Promise.all(Array.from({ length: 20 }, async (_, i) => {
        const res = await fetch(`${url}/events`, {
          method: 'POST', headers: { 'x-tenant-id': `t-${i}`, 'content-type': 'application/json' }, body: JSON.stringify({ n: i }),
        });
        assert.equal(res.status, 200);
        return { i, id: res.headers.get('x-request-id'), body: await res.json() };
      }));
      await waitForLines(ex.lines, (l) => l.msg === 'request finished', 20);
      for (const { i, id, body } of results) {
        assert.equal(body.context.requestId, id);
        const received = ex.lines.find((l) => l.msg === 'event received' && l.event.n === i);
        assert.equal(received.requestId, id);
        assert.equal(received.tenantId, `t-${i}`);
        const end = ex.lines.find((l) => l.msg === 'request finished' && l.summary.requestId === id);
        assert.equal(end.requestId, id);
        assert.deepEqual(end.summary.counters, { eventsStored: 1 });
      }
      const denied = await fetch(`${url}/events`, { method: 'POST', body: '{}' });
      assert.equal(denied.status, 400);
    } finally {
      await ex.stop();
    }
  });
});
