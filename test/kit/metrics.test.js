'use strict';
// Per-request metrics across the four ingress shapes: count() from any code in the request
// (including requestContext.with() copies and timers), requestMetrics(), onRequestEnd summaries with the
// framework's route pattern, counters kept outside the frozen context.

const assert = require('node:assert/strict');
const http = require('node:http');
const { setTimeout: sleep } = require('node:timers/promises');
const { requestContext } = require('ctxframe/context');
const { waitFor } = require('../support/ingress-harness.js');

// Code deep inside a request, unaware of the framework.
async function repository() {
  const { count } = require('ctxframe/http');
  count('dbQueries');
  await sleep(1);
  await requestContext.with({ userId: 'inner' }, async () => {
    count('dbQueries');
    await new Promise((resolve) => setTimeout(resolve, 1));
    count('cacheHit', 2);
  });
  return requestContext.current();
}

async function listen(server) {
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${server.address().port}`;
}

function closeServer(server) {
  return new Promise((resolve) => { server.close(resolve); server.closeAllConnections(); });
}

describe('kit/metrics', () => {
  const cases = {
    async http(options) {
      const { withRequestContext, requestMetrics } = require('ctxframe/http');
      const server = http.createServer(withRequestContext(async (req, res) => {
        if (!req.url.startsWith('/api/users/')) { res.statusCode = 404; res.end(); return; }
        const ctx = await repository();
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ ctx, metrics: requestMetrics() }));
      }, options));
      return { url: await listen(server), close: () => closeServer(server), route: '/api/users/42', path: '/api/users/42' };
    },
    async express(options) {
      const express = require('express');
      const { requestContextMiddleware, requestMetrics } = require('ctxframe/express');
      const app = express();
      app.use(requestContextMiddleware(options));
      const router = express.Router();
      router.get('/users/:id', async (req, res) => {
        const ctx = await repository();
        res.json({ ctx, metrics: requestMetrics() });
      });
      app.use('/api', router);
      const server = http.createServer(app);
      return { url: await listen(server), close: () => closeServer(server), route: '/api/users/:id', path: '/api/users/42' };
    },
    async fastify(options) {
      const Fastify = require('fastify');
      const { fastifyRequestContext, requestMetrics } = require('ctxframe/fastify');
      const app = Fastify();
      await app.register(fastifyRequestContext, options);
      app.get('/api/users/:id', async () => {
        const ctx = await repository();
        return { ctx, metrics: requestMetrics() };
      });
      await app.listen({ port: 0, host: '127.0.0.1' });
      return { url: `http://127.0.0.1:${app.server.address().port}`, close: () => app.close(), route: '/api/users/:id', path: '/api/users/42' };
    },
    async koa(options) {
      const Koa = require('koa');
      const { requestContextMiddleware, requestMetrics } = require('ctxframe/koa');
      const app = new Koa();
      app.use(requestContextMiddleware(options));
      app.use(async (ctx, next) => { // what @koa/router does
        if (/^\/api\/users\/[^/]+$/.test(ctx.path)) ctx._matchedRoute = '/api/users/:id';
        await next();
      });
      app.use(async (ctx) => {
        if (!ctx._matchedRoute) return; // Koa answers 404
        const context = await repository();
        ctx.body = { ctx: context, metrics: requestMetrics() };
      });
      const server = http.createServer(app.callback());
      return { url: await listen(server), close: () => closeServer(server), route: '/api/users/:id', path: '/api/users/42' };
    },
  };

  for (const [kind, build] of Object.entries(cases)) {
    it(`${kind}: counters from any code in the request reach requestMetrics() and onRequestEnd`, async () => {
      const ends = [];
      const errors = [];
      const service = await build({
        resolve: (req) => ({ tenantId: req.headers['x-tenant-id'] }),
        onRequestEnd: (summary) => {
          ends.push({ summary, inContext: requestContext.get('requestId') });
          if (summary.requestId === 'm-2') throw new Error('reporter failed');
        },
        onError: (err, where) => errors.push({ message: err.message, where }),
      });
      try {
        const before = Date.now();
        const res = await fetch(`${service.url}/api/users/42?full=1`, { headers: { 'x-tenant-id': 'acme', 'x-request-id': 'm-1' } });
        const body = await res.json();
        assert.equal(body.ctx.userId, undefined, 'with() copy did not leak out');
        assert.equal(body.ctx.counters, undefined, 'counters are not in the context');
        assert.deepEqual(body.metrics.counters, { dbQueries: 2, cacheHit: 2 });
        assert.ok(body.metrics.durationMs >= 0);
        assert.ok(body.metrics.startTime >= before && body.metrics.startTime <= Date.now());
        await waitFor(() => ends.length === 1, 'summary');
        const { summary, inContext } = ends[0];
        assert.equal(inContext, 'm-1', 'onRequestEnd runs in the request context');
        assert.deepEqual(Object.keys(summary).sort(),
          ['aborted', 'counters', 'durationMs', 'method', 'path', 'requestId', 'route', 'status', 'tenantId']);
        assert.equal(summary.method, 'GET');
        assert.equal(summary.route, service.route);
        assert.equal(summary.path, service.path);
        assert.equal(summary.status, 200);
        assert.equal(summary.requestId, 'm-1');
        assert.equal(summary.tenantId, 'acme');
        assert.equal(summary.aborted, false);
        assert.deepEqual(summary.counters, { dbQueries: 2, cacheHit: 2 });
        assert.ok(summary.durationMs >= body.metrics.durationMs);

        // A throwing onRequestEnd is reported, the server keeps serving; 404s are summarized too.
        const second = await fetch(`${service.url}/api/users/43`, { headers: { 'x-tenant-id': 'acme', 'x-request-id': 'm-2' } });
        await second.arrayBuffer();
        const missing = await fetch(`${service.url}/nope`, { headers: { 'x-request-id': 'm-3' } });
        assert.equal(missing.status, 404);
        await missing.arrayBuffer();
        await waitFor(() => ends.length === 3, 'summaries');
        assert.deepEqual(errors, [{ message: 'reporter failed', where: 'onRequestEnd' }]);
        const notFound = ends.find((e) => e.summary.requestId === 'm-3').summary;
        assert.equal(notFound.status, 404);
        assert.equal(notFound.route, '/nope');
        assert.equal(notFound.tenantId, null);
        assert.deepEqual(notFound.counters, {});
      } finally {
        await service.close();
      }
    });
  }

  it('concurrent requests keep separate counters', async () => {
    const { withRequestContext, count } = require('ctxframe/http');
    const ends = [];
    const server = http.createServer(withRequestContext(async (req, res) => {
      const n = Number(new URL(req.url, 'http://x').searchParams.get('n'));
      for (let i = 0; i < n; i++) {
        await sleep(Math.floor(Math.random() * 3));
        count('units');
      }
      res.end(String(n));
    }, { onRequestEnd: (s) => ends.push(s) }));
    const url = await listen(server);
    try {
      await Promise.all(Array.from({ length: 40 }, (_, n) => fetch(`${url}/?n=${n}`).then((r) => r.text())));
      await waitFor(() => ends.length === 40);
      const byN = ends.map((e) => e.counters.units || 0).sort((a, b) => a - b);
      assert.deepEqual(byN, Array.from({ length: 40 }, (_, n) => n));
    } finally {
      await closeServer(server);
    }
  });
});
