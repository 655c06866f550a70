'use strict';
// Ingress options as users get them wrong or need them: unknown names refused everywhere in the
// kit (CTXFRAME_UNKNOWN_OPTION, naming the closest known one), a factory used uncalled
// (CTXFRAME_FACTORY_NOT_CALLED), request ids from a generator and trusted only from listed
// proxies, one id per request on Fastify, request data refused with 400/431 (the app's own
// failure stays 500), and warnings rate-limited per code.

const assert = require('node:assert/strict');
const http = require('node:http');
const { once } = require('node:events');
const { requestContext, createContext } = require('ctxframe/context');
const { waitFor } = require('../support/ingress-harness.js');

async function listen(server) {
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${server.address().port}`;
}
function closeServer(server) {
  return new Promise((resolve) => { server.close(resolve); server.closeAllConnections(); });
}

// Collects CtxframeWarnings of the given codes while fn runs (and `settle` ms after).
async function collectWarnings(codes, fn, settle = 0) {
  const seen = [];
  const onWarning = (w) => { if (codes.includes(w.code)) seen.push(w); };
  process.on('warning', onWarning);
  try {
    await fn();
    if (settle > 0) await new Promise((resolve) => setTimeout(resolve, settle));
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('warning', onWarning);
  }
  return seen;
}

describe('kit/ingress options', () => {
  describe('unknown option names', () => {
    it('every ingress shape refuses a typo, naming it and the closest known option', async () => {
      const shapes = {
        http: () => require('ctxframe/http').createIngress({ requireTennant: true }),
        'http handler': () => require('ctxframe/http').withRequestContext(() => {}, { requireTennant: true }),
        express: () => require('ctxframe/express').requestContextMiddleware({ requireTennant: true }),
        'express app': () => require('ctxframe/express').withRequestContext(() => {}, { requireTennant: true }),
        koa: () => require('ctxframe/koa').requestContextMiddleware({ requireTennant: true }),
      };
      for (const [name, make] of Object.entries(shapes)) {
        assert.throws(make, (err) => {
          assert.equal(err.name, 'TypeError', name);
          assert.equal(err.code, 'CTXFRAME_UNKNOWN_OPTION', name);
          assert.equal(err.option, 'requireTennant');
          assert.equal(err.suggestion, 'requireTenant');
          assert.match(err.message, /unknown property "requireTennant"\. Did you mean "requireTenant"\?/);
          return true;
        }, name);
      }
      const Fastify = require('fastify');
      const app = Fastify();
      app.register(require('ctxframe/fastify').fastifyRequestContext, { requireTennant: true });
      await assert.rejects(app.ready(), { code: 'CTXFRAME_UNKNOWN_OPTION', suggestion: 'requireTenant' });
      await app.close();
    });

    it('every other kit module refuses unknown names too; far-off names get no suggestion', () => {
      const { installOutbound } = require('ctxframe/outbound');
      const { injectContext, wrapProcessor } = require('ctxframe/jobs');
      const { contextProcessor } = require('ctxframe/bullmq');
      const { postWithContext, onContextMessage } = require('ctxframe/worker');
      const { pinoMixin } = require('ctxframe/pino');
      const { contextFormat } = require('ctxframe/winston');
      const { ContextCommentPlugin } = require('ctxframe/kysely');
      const { AsyncGate, createPool, retry, exponentialBackoff, map } = require('ctxframe/gate');
      const { CtxframeContextManager } = require('ctxframe/otel');
      const cases = [
        [() => createContext({ maxByte: 10 }), 'maxBytes'],
        [() => installOutbound({ requestIdheader: 'x' }), 'requestIdHeader'],
        [() => injectContext({}, { secert: 'x' }), 'secret'],
        [() => wrapProcessor(() => {}, { getPayLoad: () => {} }), 'getPayload'],
        [() => contextProcessor(() => {}, { stict: true }), 'strict'],
        [() => postWithContext({ postMessage() {} }, 1, undefined, { contxt: requestContext }), 'context'],
        [() => onContextMessage(() => {}, { prot: { on() {}, off() {} } }), 'port'],
        [() => pinoMixin({ feilds: ['requestId'] }), 'fields'],
        [() => contextFormat({ keys: 'ctx' }), 'key'],
        [() => new ContextCommentPlugin({ maxValueLenght: 5 }), 'maxValueLength'],
        [() => new AsyncGate({ concurency: 2 }), 'concurrency'],
        [() => new AsyncGate().run(() => {}, { timout: 5 }), 'timeout'],
        [() => createPool({ create: () => ({}), max: 1, maxQeue: 1 }), 'maxQueue'],
        [() => retry(() => {}, { retires: 1 }), 'retries'],
        [() => exponentialBackoff({ jiter: false }), 'jitter'],
        [() => map([], () => {}, { orderd: true }), 'ordered'],
        [() => new CtxframeContextManager({ rootContex: {} }), 'rootContext'],
        [() => requestContextMiddlewareOf()({ somethingElseEntirely: 1 }), undefined],
      ];
      for (const [make, suggestion] of cases) {
        assert.throws(make, (err) => err.code === 'CTXFRAME_UNKNOWN_OPTION' && err.suggestion === suggestion,
          String(make));
      }
    });
  });

  describe('a factory passed uncalled', () => {
    it('Express: app.use(requestContextMiddleware) answers 500 with an error that says so', async () => {
      const express = require('express');
      const { requestContextMiddleware } = require('ctxframe/express');
      const app = express();
      const errors = [];
      app.use(requestContextMiddleware);
      app.get('/', (req, res) => res.send('never'));
      app.use((err, req, res, next) => { errors.push(err); res.status(500).end(); }); // eslint-disable-line no-unused-vars
      const server = http.createServer(app);
      const url = await listen(server);
      try {
        assert.equal((await fetch(url)).status, 500);
        assert.equal(errors.length, 1);
        assert.equal(errors[0].code, 'CTXFRAME_FACTORY_NOT_CALLED');
        assert.match(errors[0].message, /requestContextMiddleware was called with a request.*app\.use\(requestContextMiddleware\(\{/);
      } finally {
        await closeServer(server);
      }
    });

    it('Koa: app.use(requestContextMiddleware) reports the same error', async () => {
      const Koa = require('koa');
      const { requestContextMiddleware } = require('ctxframe/koa');
      const app = new Koa();
      app.silent = true;
      app.use(requestContextMiddleware);
      const errored = once(app, 'error');
      const server = http.createServer(app.callback());
      const url = await listen(server);
      try {
        assert.equal((await fetch(url)).status, 500);
        const [err] = await errored;
        assert.equal(err.code, 'CTXFRAME_FACTORY_NOT_CALLED');
      } finally {
        await closeServer(server);
      }
    });

    it('node:http shapes and the Fastify plugin called by hand', () => {
      const req = new http.IncomingMessage(null);
      req.method = 'GET';
      const res = new http.ServerResponse(req);
      const { createIngress, withRequestContext } = require('ctxframe/http');
      assert.throws(() => createIngress(req, res, () => {}), { code: 'CTXFRAME_FACTORY_NOT_CALLED', message: /createIngress\(\{/ });
      assert.throws(() => withRequestContext(req, res), { code: 'CTXFRAME_FACTORY_NOT_CALLED' });
      assert.throws(() => require('ctxframe/express').withRequestContext(req, res), { code: 'CTXFRAME_FACTORY_NOT_CALLED' });
      assert.throws(() => require('ctxframe/fastify').fastifyRequestContext({ resolve() {} }),
        { code: 'ERR_INVALID_ARG_TYPE', message: /register it with app\.register/ });
    });
  });

  describe('request ids: generateRequestId and trustRequestId', () => {
    async function serveIds(options) {
      const { withRequestContext } = require('ctxframe/http');
      const server = http.createServer(withRequestContext((req, res) => res.end(requestContext.get('requestId')), options));
      const url = await listen(server);
      const get = async (headers) => {
        const res = await fetch(url, { headers });
        const body = await res.text();
        assert.equal(res.headers.get('x-request-id'), body);
        return body;
      };
      return { get, close: () => closeServer(server) };
    }

    it('generateRequestId makes the ids the request did not bring', async () => {
      let n = 0;
      const s = await serveIds({ generateRequestId: (req) => `svc-${req.method}-${++n}` });
      try {
        assert.equal(await s.get({}), 'svc-GET-1');
        assert.equal(await s.get({ 'x-request-id': 'inbound-1' }), 'inbound-1'); // trusted by default
        assert.equal(await s.get({ 'x-request-id': 'bad id' }), 'svc-GET-2');
      } finally {
        await s.close();
      }
    });

    it('a failing or invalid generator is reported; the request gets a UUID and is served', async () => {
      const reported = [];
      let mode = 'throw';
      const s = await serveIds({
        generateRequestId: () => { if (mode === 'throw') throw new Error('gen broke'); return 'not valid!'; },
        onError: (err, where) => reported.push([where, err.code || err.message]),
      });
      try {
        assert.match(await s.get({}), /^[0-9a-f-]{36}$/);
        mode = 'invalid';
        assert.match(await s.get({}), /^[0-9a-f-]{36}$/);
        assert.deepEqual(reported, [['generateRequestId', 'gen broke'], ['generateRequestId', 'ERR_INVALID_ARG_VALUE']]);
      } finally {
        await s.close();
      }
    });

    it('trustRequestId: false never takes an inbound id; a list trusts only those addresses', async () => {
      const never = await serveIds({ trustRequestId: false });
      const loopback = await serveIds({ trustRequestId: ['127.0.0.0/8', '::1'] });
      const elsewhere = await serveIds({ trustRequestId: ['10.1.2.3', '2001:db8::/32'] });
      const byFunction = await serveIds({ trustRequestId: (req) => req.headers['x-internal'] === 'yes' });
      try {
        assert.match(await never.get({ 'x-request-id': 'from-client' }), /^[0-9a-f-]{36}$/);
        assert.equal(await loopback.get({ 'x-request-id': 'from-proxy' }), 'from-proxy');
        assert.match(await elsewhere.get({ 'x-request-id': 'from-client' }), /^[0-9a-f-]{36}$/);
        assert.equal(await byFunction.get({ 'x-request-id': 'fn-1', 'x-internal': 'yes' }), 'fn-1');
        assert.match(await byFunction.get({ 'x-request-id': 'fn-2' }), /^[0-9a-f-]{36}$/);
      } finally {
        await Promise.all([never.close(), loopback.close(), elsewhere.close(), byFunction.close()]);
      }
    });

    it('one trust decision per request: an untrusted request\'s traceparent, tracestate and baggage are not continued either', async () => {
      const TP = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00';
      const inbound = { 'x-request-id': 'in-1', traceparent: TP, tracestate: 'vendor=abc', baggage: 'tenantId=evil' };
      const serve = async (options) => {
        const { withRequestContext } = require('ctxframe/http');
        const server = http.createServer(withRequestContext((req, res) => res.end(JSON.stringify(requestContext.current())),
          { baggage: ['tenantId'], ...options }));
        const url = await listen(server);
        return { get: async (headers) => (await fetch(url, { headers })).json(), close: () => closeServer(server) };
      };
      let asked = 0;
      const never = await serve({ trustRequestId: false });
      const loopback = await serve({ trustRequestId: ['127.0.0.0/8', '::1'] });
      const elsewhere = await serve({ trustRequestId: ['10.0.0.0/8'] });
      const byFunction = await serve({ trustRequestId: (req) => { asked++; return req.headers['x-internal'] === 'yes'; } });
      try {
        const refused = (ctx) => {
          assert.match(ctx.requestId, /^[0-9a-f-]{36}$/);
          assert.notEqual(ctx.traceId, '4bf92f3577b34da6a3ce929d0e0e4736'); // a new trace
          assert.match(ctx.traceId, /^[0-9a-f]{32}$/);
          assert.equal(ctx.parentSpanId, undefined);
          assert.equal(ctx.traceFlags, '01'); // a new trace's flags, not the caller's 00
          assert.equal(ctx.traceState, undefined);
          assert.equal(ctx.tenantId, undefined);
        };
        const continued = (ctx) => {
          assert.equal(ctx.requestId, 'in-1');
          assert.equal(ctx.traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
          assert.equal(ctx.parentSpanId, '00f067aa0ba902b7');
          assert.equal(ctx.traceFlags, '00');
          assert.equal(ctx.traceState, 'vendor=abc');
          assert.equal(ctx.tenantId, 'evil');
        };
        refused(await never.get(inbound));
        refused(await elsewhere.get(inbound));
        continued(await loopback.get(inbound));
        refused(await byFunction.get(inbound));
        continued(await byFunction.get({ ...inbound, 'x-internal': 'yes' }));
        assert.equal(asked, 2); // asked once per request, not once per header
      } finally {
        await Promise.all([never.close(), loopback.close(), elsewhere.close(), byFunction.close()]);
      }
    });

    it('Fastify: its id and the trace context follow one trust decision, asked once per request', async () => {
      const Fastify = require('fastify');
      let asked = 0;
      const app = Fastify();
      app.register(require('ctxframe/fastify').fastifyRequestContext, {
        trustRequestId: (req) => { asked++; return req.headers['x-internal'] === 'yes'; },
      });
      app.get('/', async (request) => ({ id: request.id, ctx: requestContext.current() }));
      await app.ready();
      try {
        const TP = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
        const out = (await app.inject({ url: '/', headers: { 'x-request-id': 'in-2', traceparent: TP } })).json();
        assert.notEqual(out.id, 'in-2');
        assert.equal(out.ctx.requestId, out.id);
        assert.notEqual(out.ctx.traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
        const ok = (await app.inject({ url: '/', headers: { 'x-request-id': 'in-3', traceparent: TP, 'x-internal': 'yes' } })).json();
        assert.equal(ok.id, 'in-3');
        assert.equal(ok.ctx.traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
        assert.equal(asked, 2);
      } finally {
        await app.close();
      }
    });

    it('validates both options like every option', () => {
      const { createIngress } = require('ctxframe/http');
      for (const [options, code] of [
        [{ generateRequestId: 'uuid' }, 'ERR_INVALID_ARG_TYPE'],
        [{ trustRequestId: 'yes' }, 'ERR_INVALID_ARG_TYPE'],
        [{ trustRequestId: ['10.0.0.1', 'proxy.local'] }, 'ERR_INVALID_ARG_VALUE'],
        [{ trustRequestId: ['10.0.0.0/33'] }, 'ERR_INVALID_ARG_VALUE'],
        [{ trustRequestId: ['10.0.0.0/8/1'] }, 'ERR_INVALID_ARG_VALUE'],
        [{ trustRequestId: [7] }, 'ERR_INVALID_ARG_VALUE'],
        [{ warningIntervalMs: -1 }, 'ERR_OUT_OF_RANGE'],
      ]) {
        assert.throws(() => createIngress(options), { code }, JSON.stringify(options));
      }
      assert.doesNotThrow(() => createIngress({ trustRequestId: ['::ffff:10.0.0.1', 'fd00::/8', '0.0.0.0/0'] }));
    });
  });

  describe('one id per request on Fastify', () => {
    async function fastifyApp(pluginOptions, fastifyOptions = {}) {
      const Fastify = require('fastify');
      const { Writable } = require('node:stream');
      const lines = [];
      const stream = new Writable({ write(c, _e, cb) { for (const t of c.toString().split('\n')) if (t) lines.push(JSON.parse(t)); cb(); } });
      const app = Fastify({ logger: { stream, level: 'info' }, ...fastifyOptions });
      await app.register(require('ctxframe/fastify').fastifyRequestContext, pluginOptions);
      app.get('/', async (request) => {
        request.log.info('handler');
        return { fastifyId: request.id, requestId: requestContext.get('requestId') };
      });
      return { app, lines };
    }

    it("request.id, reqId in Fastify's own log lines and the context's requestId are one value", async () => {
      const { app, lines } = await fastifyApp({ generateRequestId: () => `gen-${Math.random().toString(36).slice(2)}`, trustRequestId: ['127.0.0.1'] });
      try {
        await app.listen({ port: 0, host: '127.0.0.1' });
        const url = `http://127.0.0.1:${app.server.address().port}/`;
        const made = await (await fetch(url)).json();
        assert.match(made.requestId, /^gen-/);
        assert.equal(made.fastifyId, made.requestId);
        const kept = await fetch(url, { headers: { 'x-request-id': 'edge-7' } });
        assert.deepEqual(await kept.json(), { fastifyId: 'edge-7', requestId: 'edge-7' });
        assert.equal(kept.headers.get('x-request-id'), 'edge-7');
        const bad = await (await fetch(url, { headers: { 'x-request-id': 'bad id' } })).json();
        assert.match(bad.requestId, /^gen-/);
        assert.equal(bad.fastifyId, bad.requestId);
        await waitFor(() => lines.filter((l) => l.msg === 'request completed').length === 3);
        const ids = new Set([made.requestId, 'edge-7', bad.requestId]);
        const requestLines = lines.filter((l) => l.reqId !== undefined);
        assert.ok(requestLines.some((l) => l.msg === 'incoming request'));
        for (const line of requestLines) assert.ok(ids.has(line.reqId), JSON.stringify(line));
      } finally {
        await app.close();
      }
    });

    it('fastifyRequestId: false keeps two ids; with Fastify\'s requestIdHeader it must be turned off', async () => {
      const { app } = await fastifyApp({ fastifyRequestId: false });
      try {
        const body = (await app.inject({ url: '/', headers: { 'x-request-id': 'mine' } })).json();
        assert.equal(body.requestId, 'mine');
        assert.match(body.fastifyId, /^req-/);
      } finally {
        await app.close();
      }
      const Fastify = require('fastify');
      const withHeader = Fastify({ requestIdHeader: 'x-request-id' });
      withHeader.register(require('ctxframe/fastify').fastifyRequestContext);
      await assert.rejects(withHeader.ready(), { code: 'ERR_INVALID_ARG_VALUE', message: /requestIdHeader/ });
      await withHeader.close();
      const off = Fastify({ requestIdHeader: 'x-request-id' });
      off.register(require('ctxframe/fastify').fastifyRequestContext, { fastifyRequestId: false });
      await off.ready();
      await off.close();
      const typo = Fastify();
      typo.register(require('ctxframe/fastify').fastifyRequestContext, { fastifyRequestId: 'yes' });
      await assert.rejects(typo.ready(), { code: 'ERR_INVALID_ARG_TYPE' });
      await typo.close();
    });
  });

  describe('refusals of request data are 4xx; warnings are rate-limited', () => {
    const { KINDS, startService } = require('../support/ingress-harness.js');

    for (const kind of KINDS) {
      it(`${kind}: a too-large or invalid context from request data answers 431/400 with the request id`, async () => {
        const service = await startService(kind, {
          resolve: (req) => {
            const headers = req.headers;
            if (headers['x-profile']) return { tenantId: 't', profile: JSON.parse(headers['x-profile']) };
            return { tenantId: 't' };
          },
        });
        try {
          const big = await fetch(`${service.url}/ctx`, { headers: { 'x-request-id': 'big-1', 'x-profile': JSON.stringify('x'.repeat(10 * 1024)) } });
          assert.equal(big.status, 431);
          assert.equal(big.headers.get('x-request-id'), 'big-1');
          assert.deepEqual(await big.json(), { error: 'context_too_large', message: 'The request carries more context data than this service accepts.', requestId: 'big-1' });
          const inf = await fetch(`${service.url}/ctx`, { headers: { 'x-request-id': 'inf-1', 'x-profile': '{"score":1e400}' } });
          assert.equal(inf.status, 400);
          assert.equal((await inf.json()).error, 'invalid_context');
          const deep = await fetch(`${service.url}/ctx`, { headers: { 'x-request-id': 'deep-1', 'x-profile': `${'['.repeat(40)}${']'.repeat(40)}` } });
          assert.equal(deep.status, 400);
          assert.deepEqual(await deep.json(), { error: 'invalid_context', message: 'The request carries a value this service cannot accept.', requestId: 'deep-1' });
          const ok = await fetch(`${service.url}/ctx`, { headers: { 'x-profile': '{"plan":"pro"}' } });
          assert.equal(ok.status, 200);
          assert.deepEqual((await ok.json()).ctx.profile, { plan: 'pro' });
        } finally {
          await service.close();
        }
      });
    }

    it('onError gets refusals as "request"; the app\'s own resolve() failure stays 500', async () => {
      const { withRequestContext } = require('ctxframe/http');
      const reported = [];
      const server = http.createServer(withRequestContext((req, res) => res.end('ok'), {
        resolve: (req) => {
          if (req.headers['x-bug']) return { when: new Date() }; // not JSON-safe: the app's bug
          return { note: req.headers['x-note'] };
        },
        onError: (err, where) => reported.push([where, err.code]),
      }));
      const url = await listen(server);
      try {
        assert.equal((await fetch(url, { headers: { 'x-note': 'n'.repeat(9000) } })).status, 431);
        assert.equal((await fetch(url, { headers: { 'x-bug': '1' } })).status, 500);
        assert.deepEqual(reported, [['request', 'CTXFRAME_CONTEXT_TOO_LARGE'], ['resolve', 'CTXFRAME_INVALID_CONTEXT']]);
      } finally {
        await closeServer(server);
      }
    });

    it('without onError: one warning per code at once, then summaries that count the suppressed ones', async () => {
      const { withRequestContext } = require('ctxframe/http');
      const server = http.createServer(withRequestContext((req, res) => res.end('ok'), {
        resolve: (req) => {
          if (req.headers['x-fail']) throw new Error(`resolver failed ${req.headers['x-fail']}`);
          return { note: req.headers['x-note'] };
        },
        warningIntervalMs: 1000,
      }));
      const url = await listen(server);
      try {
        const warnings = await collectWarnings(['CTXFRAME_INGRESS_ERROR', 'CTXFRAME_INGRESS_REFUSED'], async () => {
          for (let i = 0; i < 10; i++) {
            assert.equal((await fetch(url, { headers: { 'x-fail': String(i) } })).status, 500);
            assert.equal((await fetch(url, { headers: { 'x-note': 'n'.repeat(9000) } })).status, 431);
          }
        }, 1300);
        // Per code: the first in full at once, then summaries counting the rest (one per interval;
        // on a loaded machine the 20 requests may span more than one). Every request is accounted for.
        for (const [code, first, lastLine] of [
          ['CTXFRAME_INGRESS_ERROR', /resolve failed: Error: resolver failed 0\n/, 'ctxframe ingress: resolve failed: Error: resolver failed 9'],
          ['CTXFRAME_INGRESS_REFUSED', /refused with 431 context_too_large/, null],
        ]) {
          const messages = warnings.filter((w) => w.code === code).map((w) => w.message);
          const summary = new RegExp(`^ctxframe ingress: (\\d+) more ${code} warnings? suppressed in the last 1000 ms; the last: (.*)$`);
          assert.match(messages[0], first);
          const summaries = messages.filter((m) => summary.test(m));
          const full = messages.filter((m) => !summary.test(m));
          assert.ok(summaries.length >= 1, messages.join('\n---\n'));
          assert.ok(full.length < 10, 'most warnings were suppressed');
          const suppressed = summaries.reduce((n, m) => n + Number(summary.exec(m)[1]), 0);
          assert.equal(suppressed + full.length, 10, messages.join('\n---\n'));
          if (lastLine) assert.equal(summary.exec(summaries[summaries.length - 1])[2], lastLine);
        }
        const zero = await collectWarnings(['CTXFRAME_INGRESS_ERROR'], async () => {
          const unlimited = http.createServer(withRequestContext(() => { throw new Error('every time'); }, { warningIntervalMs: 0 }));
          const u = await listen(unlimited);
          try {
            for (let i = 0; i < 3; i++) assert.equal((await fetch(u)).status, 500);
          } finally {
            await closeServer(unlimited);
          }
        });
        assert.equal(zero.length, 3);
      } finally {
        await closeServer(server);
      }
    });
  });
});

function requestContextMiddlewareOf() {
  return require('ctxframe/express').requestContextMiddleware;
}
