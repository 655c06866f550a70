'use strict';
// Test harness for the ingress shapes: builds the same service on node:http, Express (as its first
// middleware, and around the whole app), Fastify and Koa (real servers on 127.0.0.1:0), with a
// pino logger that reads the request context, and the shared "500 in flight" isolation check.
// Not a test file itself.

const assert = require('node:assert/strict');
const http = require('node:http');
const { Readable, Writable } = require('node:stream');
const { setTimeout: sleep } = require('node:timers/promises');
const pino = require('pino');
const { requestContext } = require('ctxframe/context');
const { count, requestMetrics } = require('ctxframe/http');

const KINDS = ['http', 'express', 'express-app', 'fastify', 'koa'];

// A pino logger whose mixin adds the current context; lines are parsed into `lines`.
function captureLogger() {
  const lines = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const text of chunk.toString().split('\n')) if (text) lines.push(JSON.parse(text));
      cb();
    },
  });
  const logger = pino({ base: null, timestamp: false, mixin: () => {
    const ctx = requestContext.currentOrNull();
    return ctx ? { requestId: ctx.requestId, tenantId: ctx.tenantId } : { requestId: null, tenantId: null };
  } }, stream);
  return { logger, lines };
}

const randomDelay = () => Math.floor(Math.random() * 21); // 0-20 ms

// The handler's work, identical in every framework: awaits, a timer, a stream; records the
// request id it sees at each point and logs a line at each.
async function doWork(log, tag, delay) {
  const seen = [];
  const look = (where) => {
    seen.push(requestContext.get('requestId'));
    log.info({ tag, where }, where);
  };
  look('start');
  await sleep(delay);
  look('after-await');
  await new Promise((resolve) => setTimeout(() => { look('in-timer'); resolve(); }, randomDelay() % 5));
  count('steps');
  count('steps', 2);
  return seen;
}

// A response body stream whose _read runs later (timers / drain) and stamps the context it sees.
function contextStream(log, tag) {
  let n = 0;
  return new Readable({
    read() {
      const i = n++;
      setTimeout(() => {
        log.info({ tag, where: `stream-${i}` }, 'chunk');
        this.push(i < 2 ? `${JSON.stringify({ chunk: i, requestId: requestContext.get('requestId'), tenantId: requestContext.get('tenantId') })}\n` : null);
      }, Math.floor(Math.random() * 3));
    },
  });
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    const seen = [];
    req.on('data', (c) => { chunks.push(c); seen.push(requestContext.get('requestId')); });
    req.on('end', () => { seen.push(requestContext.get('requestId')); resolve({ body: Buffer.concat(chunks).toString(), seen }); });
    req.on('error', reject);
  });
}

function httpGet(url, agent, headers = {}) {
  return new Promise((resolve, reject) => {
    http.get(url, { agent, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve({ header: res.headers['x-request-id'], body: JSON.parse(text) }));
      res.on('error', reject);
    }).on('error', reject);
  });
}

// Calls `url` from inside the current request: fetch, a keep-alive agent with one socket
// (3 sequential + 3 parallel calls over it), or fetch propagating the caller's id explicitly.
async function callOut(url, mode, agent) {
  if (mode === 'agent') {
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await httpGet(url, agent));
    results.push(...await Promise.all([httpGet(url, agent), httpGet(url, agent), httpGet(url, agent)]));
    return results;
  }
  const headers = mode === 'header' ? { 'x-request-id': requestContext.get('requestId') } : {};
  const res = await fetch(url, { headers });
  return [{ header: res.headers.get('x-request-id'), body: await res.json() }];
}

function resolveTenant(req) {
  const headers = req.headers;
  const tenant = headers['x-tenant-id'];
  if (headers['x-caller-secret']) return { tenantId: tenant, secret: headers['x-caller-secret'] };
  if (tenant === 'explode') throw new Error('resolver exploded');
  if (tenant === 'explode-async') return Promise.reject(new Error('async resolver exploded'));
  if (tenant === 'bad-field') return { tenantId: 'x', fn: () => {} };
  if (headers['x-try-override'] === '1') return { tenantId: tenant, requestId: 'hijacked', traceId: 'nope' };
  if (headers['x-async-resolve'] === '1') {
    return sleep(randomDelay() % 4).then(() => ({ tenantId: tenant, userId: headers['x-user-id'] }));
  }
  return tenant ? { tenantId: tenant, userId: headers['x-user-id'] } : null;
}

// Builds one service. Routes:
//   POST /work/:tag?delay=N — reads the JSON body, does doWork, answers with a head line then a stream.
//   GET  /boom             — handler throws.
//   GET  /ctx              — answers the current context and metrics as JSON (?enrich=1: after
//                            requestContext.enrich({ userId: 'u-enriched', plan: 'pro' })).
async function startService(kind, ingressOptions = {}) {
  const { logger, lines } = captureLogger();
  const ends = [];
  const options = {
    resolve: resolveTenant,
    onRequestEnd: (summary) => {
      ends.push(summary);
      logger.info({ where: 'onRequestEnd' }, 'end');
    },
    onError: () => {},
    ...ingressOptions,
  };

  async function work(tag, delay, bodyText, bodySeen, send) {
    const seen = await doWork(logger, tag, delay);
    const head = JSON.stringify({
      tag, requestId: requestContext.get('requestId'), tenantId: requestContext.get('tenantId'), seen, bodySeen,
      body: bodyText ? JSON.parse(bodyText) : null,
    });
    return send(head, contextStream(logger, tag));
  }

  // GET /ctx[?call=<url>&mode=fetch|agent|header]: the current context and metrics; with
  // `call`, the handler first calls that URL (its own server or another) from inside its context.
  const keepAliveAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  async function ctxBody(rawUrl) {
    const query = new URL(rawUrl, 'http://x').searchParams;
    let called;
    if (query.get('call')) called = await callOut(query.get('call'), query.get('mode'), keepAliveAgent);
    if (query.get('enrich')) requestContext.enrich({ userId: 'u-enriched', plan: 'pro' });
    return JSON.stringify({ ctx: requestContext.currentOrNull(), metrics: requestMetrics(), called, after: requestContext.currentOrNull() });
  }

  let server;
  let close;
  let hookLog = null;
  if (kind === 'http') {
    const { withRequestContext } = require('ctxframe/http');
    server = http.createServer(withRequestContext(async (req, res) => {
      const url = new URL(req.url, 'http://x');
      res.on('finish', () => logger.info({ where: 'finish' }, 'finish'));
      if (url.pathname === '/boom') throw new Error('handler boom');
      if (url.pathname === '/ctx') { res.end(await ctxBody(req.url)); return; }
      const tag = url.pathname.split('/')[2];
      const { body, seen } = await readBody(req);
      await work(tag, Number(url.searchParams.get('delay')), body, seen, (head, stream) => {
        res.setHeader('content-type', 'application/x-ndjson');
        res.write(`${head}\n`);
        stream.pipe(res);
      });
    }, options));
  } else if (kind === 'express' || kind === 'express-app') {
    // express: the middleware, first; express-app: withRequestContext around the whole app.
    const express = require('express');
    const { requestContextMiddleware, withRequestContext } = require('ctxframe/express');
    const app = express();
    if (kind === 'express') app.use(requestContextMiddleware(options));
    app.use(express.json());
    app.use((req, res, next) => { res.on('finish', () => logger.info({ where: 'finish' }, 'finish')); next(); });
    app.get('/boom', () => { throw new Error('handler boom'); });
    app.get('/ctx', async (req, res) => res.type('json').send(await ctxBody(req.originalUrl)));
    app.post('/work/:tag', async (req, res) => {
      await work(req.params.tag, Number(req.query.delay), JSON.stringify(req.body), [requestContext.get('requestId')], (head, stream) => {
        res.type('application/x-ndjson');
        res.write(`${head}\n`);
        stream.pipe(res);
      });
    });
    app.use((err, req, res, next) => { // eslint-disable-line no-unused-vars
      res.status(500).json({ error: err.message, requestId: requestContext.get('requestId') });
    });
    server = http.createServer(kind === 'express' ? app : withRequestContext(app, options));
  } else if (kind === 'fastify') {
    const Fastify = require('fastify');
    const { fastifyRequestContext } = require('ctxframe/fastify');
    const app = Fastify({ logger: false });
    hookLog = [];
    await app.register(fastifyRequestContext, options);
    const record = (hook, request) => hookLog.push({
      hook, tag: request.params && request.params.tag, requestId: requestContext.get('requestId'), tenantId: requestContext.get('tenantId'),
    });
    for (const hook of ['onRequest', 'preValidation', 'preHandler', 'onResponse']) {
      app.addHook(hook, async (request) => { record(hook, request); });
    }
    for (const hook of ['preParsing', 'preSerialization', 'onSend']) {
      app.addHook(hook, async (request, reply, payload) => { record(hook, request); return payload; });
    }
    app.get('/object', async (request) => {
      record('handler', request);
      await sleep(randomDelay());
      return { requestId: requestContext.get('requestId'), tenantId: requestContext.get('tenantId') };
    });
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
      record('parser', request);
      try { done(null, JSON.parse(body)); } catch (err) { done(err); }
    });
    app.addHook('onRequest', (request, reply, done) => { reply.raw.on('finish', () => logger.info({ where: 'finish' }, 'finish')); done(); });
    app.get('/boom', async () => { throw new Error('handler boom'); });
    app.get('/ctx', async (request, reply) => { reply.type('application/json'); return ctxBody(request.url); });
    app.post('/work/:tag', async (request, reply) => work(request.params.tag, Number(request.query.delay),
      JSON.stringify(request.body), [requestContext.get('requestId')], (head, stream) => {
        reply.type('application/x-ndjson');
        const out = new Readable({ read() {} });
        out.push(`${head}\n`);
        stream.on('data', (c) => out.push(c));
        stream.on('end', () => out.push(null));
        return reply.send(out);
      }));
    await app.ready();
    server = app.server;
    close = () => app.close();
  } else if (kind === 'koa') {
    const Koa = require('koa');
    const { requestContextMiddleware } = require('ctxframe/koa');
    const app = new Koa();
    app.silent = true;
    app.use(requestContextMiddleware(options));
    // A tiny router standing in for @koa/router: sets ctx._matchedRoute like it does.
    app.use(async (ctx, next) => {
      ctx.res.on('finish', () => logger.info({ where: 'finish' }, 'finish'));
      const m = /^\/work\/([^/]+)$/.exec(ctx.path);
      if (m) { ctx._matchedRoute = '/work/:tag'; ctx.params = { tag: m[1] }; }
      await next();
    });
    app.use(async (ctx) => {
      if (ctx.path === '/boom') throw new Error('handler boom');
      if (ctx.path === '/ctx') { ctx.type = 'json'; ctx.body = await ctxBody(ctx.url); return; }
      const { body, seen } = await readBody(ctx.req);
      await work(ctx.params.tag, Number(ctx.query.delay), body, seen, (head, stream) => {
        ctx.type = 'application/x-ndjson';
        const out = new Readable({ read() {} });
        out.push(`${head}\n`);
        stream.on('data', (c) => out.push(c));
        stream.on('end', () => out.push(null));
        ctx.body = out;
      });
    });
    server = http.createServer(app.callback());
  } else {
    throw new Error(`unknown kind ${kind}`);
  }
  const closeServer = close || (() => new Promise((resolve) => {
    server.close(resolve);
    server.closeAllConnections();
  }));
  close = async () => {
    keepAliveAgent.destroy();
    await closeServer();
  };
  if (!server.listening) await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  return { kind, server, url, lines, ends, hookLog, close, logger };
}

// 500 requests in flight with random 0-20 ms delays: every response, every log line and every
// onRequestEnd summary carries its own id and tenant.
async function runConcurrencyCheck(service, total = 500) {
  const { Agent } = require('undici');
  const dispatcher = new Agent({ connections: 600, pipelining: 0 });
  try {
    const sent = Array.from({ length: total }, (_, i) => ({
      tag: `q${i}`,
      tenant: `tenant-${i}`,
      // every 5th request lets the server generate its id
      id: i % 5 === 0 ? undefined : `req-${i}-${Math.random().toString(36).slice(2)}`,
      async: i % 3 === 0,
    }));
    const results = await Promise.all(sent.map(async (s) => {
      const headers = { 'content-type': 'application/json', 'x-tenant-id': s.tenant };
      if (s.id) headers['x-request-id'] = s.id;
      if (s.async) headers['x-async-resolve'] = '1';
      const res = await fetch(`${service.url}/work/${s.tag}?delay=${randomDelay()}`, {
        method: 'POST', headers, body: JSON.stringify({ tag: s.tag }), dispatcher,
      });
      const text = await res.text();
      return { s, status: res.status, header: res.headers.get('x-request-id'), text };
    }));
    const idByTag = new Map();
    for (const { s, status, header, text } of results) {
      assert.equal(status, 200, text);
      if (s.id) assert.equal(header, s.id);
      else assert.match(header, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      idByTag.set(s.tag, { id: header, tenant: s.tenant });
      const [head, ...chunks] = text.trim().split('\n').map((l) => JSON.parse(l));
      assert.equal(head.tag, s.tag);
      assert.equal(head.requestId, header);
      assert.equal(head.tenantId, s.tenant);
      assert.deepEqual(head.body, { tag: s.tag });
      for (const id of [...head.seen, ...head.bodySeen]) assert.equal(id, header);
      assert.ok(head.bodySeen.length >= 1);
      assert.equal(chunks.length, 2);
      for (const c of chunks) {
        assert.equal(c.requestId, header);
        assert.equal(c.tenantId, s.tenant);
      }
    }
    const ids = new Set([...idByTag.values()].map((v) => v.id));
    assert.equal(ids.size, total, 'every request has its own id');
    // Log lines: each tagged line carries the id/tenant of the request that wrote it.
    let tagged = 0;
    const perId = new Map();
    for (const line of service.lines) {
      if (line.tag) {
        tagged++;
        const expected = idByTag.get(line.tag);
        assert.equal(line.requestId, expected.id, JSON.stringify(line));
        assert.equal(line.tenantId, expected.tenant, JSON.stringify(line));
      } else {
        assert.ok(ids.has(line.requestId), `untagged line outside a request: ${JSON.stringify(line)}`);
        perId.set(line.requestId, (perId.get(line.requestId) || 0) + 1);
      }
    }
    // start, after-await, in-timer, 3 stream reads per request
    assert.equal(tagged, total * 6);
    // The 'finish' listener and onRequestEnd log once each per request, in its own context.
    await waitFor(() => service.ends.length === total && perId.size === total);
    for (const n of perId.values()) assert.equal(n, 2);
    for (const end of service.ends) {
      const tag = end.path.split('/')[2];
      assert.equal(end.requestId, idByTag.get(tag).id);
      assert.equal(end.tenantId, idByTag.get(tag).tenant);
      assert.equal(end.status, 200);
      assert.equal(end.method, 'POST');
      assert.deepEqual(end.counters, { steps: 3 });
      if (service.kind !== 'http') assert.equal(end.route, '/work/:tag');
    }
    return { idByTag };
  } finally {
    await dispatcher.close();
  }
}

async function waitFor(predicate, what = 'condition') {
  for (let i = 0; i < 2000; i++) {
    if (predicate()) return;
    await sleep(5);
  }
  assert.fail(`timed out waiting for ${what}`);
}

module.exports = { KINDS, startService, runConcurrencyCheck, captureLogger, waitFor };
