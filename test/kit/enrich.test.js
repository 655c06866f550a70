'use strict';
// requestContext.enrich(): fields added after the request started (identity after
// authentication), seen by everything later in the same request and by nothing else. The API on
// its own (snapshots, with() scopes, jobs, the context rules), then on real servers the way users
// write it: Fastify behind @fastify/jwt (onRequest) and a preHandler, Express behind Passport's
// bearer strategy, Koa and node:http behind an async auth step — each with concurrent requests
// whose enrichments must never cross.

const assert = require('node:assert/strict');
const http = require('node:http');
const { setTimeout: sleep } = require('node:timers/promises');
const { requestContext, createContext } = require('ctxframe/context');
const { injectContext, extractContext } = require('ctxframe/jobs');
const { AsyncLocalStorage } = require('ctxframe');
const { waitFor } = require('../support/ingress-harness.js');

describe('kit/enrich: requestContext.enrich()', () => {
  it('adds fields from here on; what was read before keeps its snapshot', async () => {
    await requestContext.run({ requestId: 'e-1', tenantId: 'acme' }, async () => {
      const before = requestContext.current();
      let inTimer;
      await sleep(1);
      const timer = new Promise((resolve) => setTimeout(() => { inTimer = requestContext.current(); resolve(); }, 1));
      const bound = AsyncLocalStorage.bind(() => requestContext.get('userId'));
      assert.equal(requestContext.enrich({ userId: 'u-1', roles: ['admin'] }), undefined);
      const after = requestContext.current();
      assert.deepEqual(after, { requestId: 'e-1', tenantId: 'acme', userId: 'u-1', roles: ['admin'] });
      assert.equal(requestContext.current(), after); // made once, then the same snapshot
      assert.ok(Object.isFrozen(after) && Object.isFrozen(after.roles));
      assert.deepEqual(before, { requestId: 'e-1', tenantId: 'acme' }); // a snapshot never changes
      assert.ok(Object.isFrozen(before));
      await timer; // scheduled before the enrichment, runs after it: part of the same run()
      assert.equal(inTimer.userId, 'u-1');
      assert.equal(bound(), 'u-1');
      requestContext.enrich({ flags: { beta: true } });
      assert.deepEqual(requestContext.current().flags, { beta: true });
      assert.equal(requestContext.get('userId'), 'u-1');
    });
  });

  it('is seen by continuations created before it, inside the same run() only', async () => {
    const seen = [];
    await Promise.all(Array.from({ length: 50 }, (_, i) => requestContext.run({ requestId: `c-${i}` }, async () => {
      const later = sleep(15 + (i % 5)).then(() => seen.push([i, requestContext.get('userId')]));
      await sleep(i % 7);
      requestContext.enrich({ userId: `user-${i}` });
      await later;
    })));
    assert.equal(seen.length, 50);
    for (const [i, userId] of seen) assert.equal(userId, `user-${i}`);
  });

  it('with() scopes see enrichments of their run(); their own fields win inside them; enrich() inside one reaches the run()', async () => {
    await requestContext.run({ requestId: 'w-1' }, async () => {
      let inner;
      const scoped = requestContext.with({ op: 'list', userId: 'system' }, async () => {
        await sleep(5);
        inner = requestContext.current();
        requestContext.enrich({ tenantId: 'from-inside' });
        assert.equal(requestContext.get('tenantId'), 'from-inside');
        assert.equal(requestContext.get('op'), 'list');
      });
      requestContext.enrich({ roles: ['reader'], userId: 'u-9' });
      await scoped;
      assert.deepEqual(inner, { requestId: 'w-1', roles: ['reader'], userId: 'system', op: 'list' });
      assert.deepEqual(requestContext.current(), { requestId: 'w-1', roles: ['reader'], userId: 'u-9', tenantId: 'from-inside' });
      requestContext.with({ userId: undefined }, () => {
        requestContext.enrich({ x: 1 });
        assert.deepEqual(requestContext.current(), { requestId: 'w-1', roles: ['reader'], tenantId: 'from-inside', x: 1 });
      });
    });
  });

  it('a nested run() is a new scope: enrichment inside it stays there', () => {
    requestContext.run({ requestId: 'outer' }, () => {
      requestContext.run({ requestId: 'inner' }, () => requestContext.enrich({ userId: 'inner-user' }));
      assert.equal(requestContext.get('userId'), undefined);
    });
  });

  it('a job payload carries the context as it was when the job was made', async () => {
    await requestContext.run({ requestId: 'j-1', tenantId: 't' }, async () => {
      const early = injectContext({ n: 1 });
      requestContext.enrich({ userId: 'u-j' });
      const late = injectContext({ n: 2 });
      assert.equal(extractContext(early).context.userId, undefined);
      assert.equal(extractContext(late).context.userId, 'u-j');
    });
  });

  it('holds every rule of the context for what is added', () => {
    const Small = createContext({ name: 'Small', maxBytes: 64 });
    Small.run({ requestId: 's' }, () => {
      assert.throws(() => Small.enrich({ when: new Date() }), { code: 'CTXFRAME_INVALID_CONTEXT', message: /ctx\.when/ });
      assert.throws(() => Small.enrich({ fn() {} }), { code: 'CTXFRAME_INVALID_CONTEXT' });
      assert.throws(() => Small.enrich({ n: NaN }), { code: 'CTXFRAME_INVALID_CONTEXT' });
      assert.throws(() => Small.enrich('userId'), { code: 'CTXFRAME_INVALID_CONTEXT' });
      assert.throws(() => Small.enrich(new Proxy({}, { ownKeys() { throw new Error('trap ran'); } })), { code: 'CTXFRAME_INVALID_CONTEXT' });
      assert.throws(() => Small.enrich({ big: 'x'.repeat(100) }), { code: 'CTXFRAME_CONTEXT_TOO_LARGE' });
      assert.deepEqual(Small.current(), { requestId: 's' }); // a refused enrichment changes nothing
      const tags = ['a'];
      Small.enrich({ tags });
      tags.push('b');
      assert.deepEqual(Small.current().tags, ['a']);
    });
  });

  it('enrich(field, value) adds one field by name, under the same rules', () => {
    const Small = createContext({ name: 'Small', maxBytes: 96 });
    Small.run({ requestId: 's', plan: 'free' }, () => {
      const before = Small.current();
      assert.equal(Small.enrich('userId', 'u-1'), undefined);
      assert.equal(Small.get('userId'), 'u-1'); // read without making a snapshot
      Small.enrich('userId', 'u-2'); // the same field again: the newest wins
      const roles = ['admin'];
      Small.enrich('roles', roles);
      roles.push('root');
      Small.enrich('plan', undefined); // undefined removes a field
      assert.equal(Small.get('plan'), undefined);
      const now = Small.current();
      assert.deepEqual(now, { requestId: 's', userId: 'u-2', roles: ['admin'] });
      assert.ok(Object.isFrozen(now) && Object.isFrozen(now.roles));
      assert.equal(Small.current(), now);
      assert.deepEqual(before, { requestId: 's', plan: 'free' });
      assert.throws(() => Small.enrich('when', new Date()), { code: 'CTXFRAME_INVALID_CONTEXT', message: /ctx\.when/ });
      assert.throws(() => Small.enrich('n', Infinity), { code: 'CTXFRAME_INVALID_CONTEXT' });
      assert.throws(() => Small.enrich('p', new Proxy({}, { ownKeys() { throw new Error('trap ran'); } })), { code: 'CTXFRAME_INVALID_CONTEXT' });
      assert.throws(() => Small.enrich('big', 'x'.repeat(60)), { code: 'CTXFRAME_CONTEXT_TOO_LARGE' });
      assert.deepEqual(Small.current(), now); // a refused enrichment changes nothing
      for (let i = 0; i < 1000; i++) Small.enrich('userId', `u-${i}`); // rewriting one field never grows it
      assert.equal(Small.current().userId, 'u-999');
      assert.equal(now.userId, 'u-2'); // a snapshot taken before keeps what it had
      const flags = [true, false, null, 3.5, 'on'];
      for (const flag of flags) {
        const snap = Small.current();
        Small.enrich('flag', flag);
        assert.equal(snap.flag, flags[flags.indexOf(flag) - 1]); // what was read before, unchanged
        assert.equal(Small.get('flag'), flag);
        assert.equal(Small.current().flag, flag);
      }
    });
  });

  it('enrich(field, value) with a string, number, boolean or null holds maxBytes to the byte', () => {
    // A control character and a 24-character number are as long in JSON as their size bounds
    // (6 bytes a code unit, 24 a number), so here the cheap bound is the exact size: a field that
    // brings the context to maxBytes is kept, one a byte larger is refused and changes nothing.
    const k = '\u0001'; // "\u0001": 8 bytes; a field costs ',' + key + ':' + value
    const num = -1.2345678901234567e-300;
    assert.equal(String(num).length, 24);
    const cases = [ // [value, maxBytes that fits it exactly, a smaller value to replace]
      ['\u0001'.repeat(10), 17 + 10 + 62, '\u0001'.repeat(9)],
      [num, 17 + 10 + 24, false],
      [false, 17 + 10 + 5, null],
      [null, 17 + 10 + 4],
    ];
    for (const [value, maxBytes, smaller] of cases) {
      const T = createContext({ name: 'Edge', maxBytes });
      T.run({ requestId: 's' }, () => { // {"requestId":"s"}: 17 bytes
        T.enrich(k, value);
        assert.equal(Buffer.byteLength(JSON.stringify(T.current())), maxBytes);
        T.enrich(k, value); // the same field again: counted once
        assert.deepEqual(T.current(), { requestId: 's', [k]: value });
      });
      T.run({ requestId: 'ss' }, () => { // one byte more: refused, nothing changes
        assert.throws(() => T.enrich(k, value), { code: 'CTXFRAME_CONTEXT_TOO_LARGE' }, String(value));
        assert.equal(T.get(k), undefined);
        assert.deepEqual(T.current(), { requestId: 'ss' });
      });
      if (smaller === undefined) continue;
      T.run({ requestId: 'ss' }, () => { // replacing a pending field: its bound is given back exactly
        T.enrich(k, smaller);
        assert.throws(() => T.enrich(k, value), { code: 'CTXFRAME_CONTEXT_TOO_LARGE' }, String(value));
        assert.equal(T.get(k), smaller);
        assert.deepEqual(T.current(), { requestId: 'ss', [k]: smaller });
      });
    }
  });

  it("enrich(field, value): Object.prototype's names are ordinary fields", () => {
    const T = createContext({ name: 'Names', maxBytes: 256 });
    T.run({ requestId: 's' }, () => {
      for (const key of ['toString', 'constructor', 'hasOwnProperty', '__proto__', 'valueOf']) {
        T.enrich(key, 'x');
        T.enrich(key, 'y'); // replaces the pending field (not Object.prototype's)
        assert.equal(T.get(key), 'y');
      }
      T.enrich({ toString: 'z', isPrototypeOf: 'p' }); // the object form, over a pending field and a new one
      assert.equal(T.get('toString'), 'z');
      T.enrich({ toString: 'y' });
      const ctx = T.current();
      assert.deepEqual(Object.keys(ctx), ['requestId', 'toString', 'constructor', 'hasOwnProperty', '__proto__', 'valueOf', 'isPrototypeOf']);
      assert.equal(Object.getPrototypeOf(ctx), Object.prototype);
      assert.equal(ctx.__proto__, 'y'); // eslint-disable-line no-proto
      assert.equal(JSON.parse(JSON.stringify(ctx)).valueOf, 'y');
    });
  });

  it('many small enrichments up to the limit: each refused one changes nothing, the rest are kept', () => {
    const Small = createContext({ name: 'Small', maxBytes: 200 });
    Small.run({ requestId: 's' }, () => {
      let kept = 0;
      for (let i = 0; i < 40; i++) {
        try {
          if (i % 2) Small.enrich(`k${i}`, 'v'.repeat(8)); else Small.enrich({ [`k${i}`]: 'v'.repeat(8) });
          kept++;
        } catch (err) {
          assert.equal(err.code, 'CTXFRAME_CONTEXT_TOO_LARGE');
        }
      }
      const ctx = Small.current();
      assert.equal(Object.keys(ctx).length, kept + 1);
      assert.ok(Buffer.byteLength(JSON.stringify(ctx)) <= 200);
      assert.ok(kept > 5 && kept < 40, `kept ${kept}`);
    });
  });

  it('outside a context it throws CTXFRAME_NO_CONTEXT; a bad partial is named first', () => {
    assert.throws(() => requestContext.enrich({ userId: 'u' }), { code: 'CTXFRAME_NO_CONTEXT', message: /enrich\(\)/ });
    assert.throws(() => requestContext.enrich(null), { code: 'CTXFRAME_INVALID_CONTEXT' });
  });
});

// ---- on real servers ------------------------------------------------------------------------

const USERS = 40;
// Token "tok-<i>" belongs to user "user-<i>" with role "role-<i>".
const userOf = (token) => (/^tok-\d+$/.test(token) ? { id: token.replace('tok', 'user'), role: token.replace('tok', 'role') } : null);

// What every service's handler answers: the context at each point of the request.
function snapshotOf(where) {
  const ctx = requestContext.currentOrNull();
  return { where, requestId: ctx && ctx.requestId, userId: ctx && ctx.userId, roles: ctx && ctx.roles };
}

async function listen(server) {
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${server.address().port}`;
}

function closeServer(server) {
  return new Promise((resolve) => { server.close(resolve); server.closeAllConnections(); });
}

// USERS requests in flight, each with its own token and id (some without a token): each
// response, log line and 'finish' record carries exactly its own user.
async function checkConcurrent(url, service, headersFor) {
  const results = await Promise.all(Array.from({ length: USERS }, async (_, i) => {
    const anonymous = i % 8 === 7;
    const res = await fetch(`${url}/me?delay=${i % 9}`, { headers: headersFor(i, anonymous) });
    const text = await res.text();
    return { i, anonymous, status: res.status, body: res.status === 200 ? JSON.parse(text) : text, header: res.headers.get('x-request-id') };
  }));
  for (const { i, anonymous, status, body, header } of results) {
    if (anonymous) {
      assert.equal(status, 401, JSON.stringify(body));
      continue;
    }
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(header, `rid-${i}`);
    for (const point of body.points) {
      assert.equal(point.requestId, `rid-${i}`, JSON.stringify(point));
      assert.equal(point.userId, `user-${i}`, JSON.stringify(point));
      assert.deepEqual(point.roles, [`role-${i}`], JSON.stringify(point));
    }
    assert.equal(body.beforeAuth.userId, undefined, 'a snapshot read before the enrichment keeps what it had');
    assert.equal(body.job.userId, `user-${i}`);
  }
  const served = results.filter((r) => !r.anonymous).length;
  await waitFor(() => service.finished.length === USERS, 'finish listeners');
  for (const f of service.finished) {
    const i = Number(f.requestId.slice(4));
    assert.equal(f.userId, i % 8 === 7 ? undefined : `user-${i}`, 'a listener registered before the enrichment sees it');
  }
  const handlerLines = service.lines.filter((l) => l.msg === 'handler');
  assert.equal(handlerLines.length, served);
  for (const line of handlerLines) assert.equal(line.userId, `user-${Number(line.requestId.slice(4))}`);
}

// The handler's part, the same on every framework.
async function handle(service, delay, beforeAuth) {
  const points = [snapshotOf('handler')];
  service.logger.info('handler');
  await sleep(delay);
  points.push(snapshotOf('after-await'));
  await new Promise((resolve) => setTimeout(() => { points.push(snapshotOf('timer')); resolve(); }, 1));
  const job = extractContext(JSON.parse(JSON.stringify(injectContext({ send: 'mail' })))).context;
  return { points, beforeAuth, job };
}

// A service's record: pino lines (with requestId and userId from the context) and 'finish' snapshots.
function newService() {
  const pino = require('pino');
  const { Writable } = require('node:stream');
  const lines = [];
  const logger = pino({ base: null, timestamp: false, mixin: () => ({ requestId: requestContext.get('requestId'), userId: requestContext.get('userId') }) },
    new Writable({ write(chunk, _e, cb) { for (const t of chunk.toString().split('\n')) if (t) lines.push(JSON.parse(t)); cb(); } }));
  return { logger, lines, finished: [] };
}

describe('kit/enrich on real servers', () => {
  it('Fastify: @fastify/jwt in an onRequest hook, roles in a preHandler', async () => {
    const Fastify = require('fastify');
    const { fastifyRequestContext } = require('ctxframe/fastify');
    const service = newService();
    const app = Fastify();
    await app.register(fastifyRequestContext);
    await app.register(require('@fastify/jwt'), { secret: 'test-secret' });
    app.decorateRequest('beforeAuth', null);
    app.addHook('onRequest', async (request, reply) => {
      request.beforeAuth = requestContext.current();
      reply.raw.on('finish', () => service.finished.push(snapshotOf('finish')));
      try {
        await request.jwtVerify();
      } catch {
        return reply.code(401).send({ error: 'unauthorized' });
      }
      requestContext.enrich({ userId: request.user.sub });
      return undefined;
    });
    app.addHook('preHandler', async (request) => {
      await sleep(1); // a role lookup
      requestContext.enrich({ roles: [request.user.role] });
    });
    const onSend = [];
    app.addHook('onSend', async (request, reply, payload) => { onSend.push(snapshotOf('onSend')); return payload; });
    app.get('/me', async (request) => handle(service, Number(request.query.delay), request.beforeAuth));
    await app.ready();
    const url = await listen(app.server);
    try {
      const tokens = Array.from({ length: USERS }, (_, i) => app.jwt.sign({ sub: `user-${i}`, role: `role-${i}` }));
      await checkConcurrent(url, service, (i, anonymous) => (anonymous ? { 'x-request-id': `rid-${i}` }
        : { 'x-request-id': `rid-${i}`, authorization: `Bearer ${tokens[i]}` }));
      for (const s of onSend.filter((p) => p.userId)) assert.equal(s.userId, `user-${Number(s.requestId.slice(4))}`);
      assert.equal(onSend.filter((p) => p.userId).length, USERS - USERS / 8);
    } finally {
      await app.close();
    }
  });

  it("Express: Passport's bearer strategy enriches from its verify callback", async () => {
    const express = require('express');
    const passport = require('passport');
    const { Strategy: BearerStrategy } = require('passport-http-bearer');
    const { requestContextMiddleware } = require('ctxframe/express');
    const service = newService();
    const auth = new passport.Passport();
    auth.use(new BearerStrategy((token, done) => {
      setTimeout(() => { // a user lookup
        const user = userOf(token);
        if (user) requestContext.enrich({ userId: user.id });
        done(null, user || false);
      }, 1);
    }));
    const app = express();
    app.use(requestContextMiddleware());
    app.use((req, res, next) => {
      req.beforeAuth = requestContext.current();
      res.on('finish', () => service.finished.push(snapshotOf('finish')));
      next();
    });
    app.use(auth.initialize());
    app.use(auth.authenticate('bearer', { session: false }));
    app.use((req, res, next) => { requestContext.enrich({ roles: [req.user.role] }); next(); });
    app.get('/me', async (req, res) => res.json(await handle(service, Number(req.query.delay), req.beforeAuth)));
    const server = http.createServer(app);
    const url = await listen(server);
    try {
      await checkConcurrent(url, service, (i, anonymous) => ({ 'x-request-id': `rid-${i}`, authorization: `Bearer ${anonymous ? 'nope' : `tok-${i}`}` }));
    } finally {
      await closeServer(server);
    }
  });

  it('Koa: an auth middleware enriches after an async lookup', async () => {
    const Koa = require('koa');
    const { requestContextMiddleware } = require('ctxframe/koa');
    const service = newService();
    const app = new Koa();
    app.use(requestContextMiddleware());
    app.use(async (ctx, next) => {
      ctx.state.beforeAuth = requestContext.current();
      ctx.res.on('finish', () => service.finished.push(snapshotOf('finish')));
      await sleep(1);
      const user = userOf(String(ctx.get('authorization')).replace(/^Bearer /, ''));
      if (!user) { ctx.status = 401; ctx.body = { error: 'unauthorized' }; return; }
      requestContext.enrich({ userId: user.id, roles: [user.role] });
      await next();
    });
    app.use(async (ctx) => { ctx.body = await handle(service, Number(ctx.query.delay), ctx.state.beforeAuth); });
    const server = http.createServer(app.callback());
    const url = await listen(server);
    try {
      await checkConcurrent(url, service, (i, anonymous) => ({ 'x-request-id': `rid-${i}`, authorization: `Bearer ${anonymous ? 'nope' : `tok-${i}`}` }));
    } finally {
      await closeServer(server);
    }
  });

  it('node:http: the handler enriches after authenticating', async () => {
    const { withRequestContext } = require('ctxframe/http');
    const service = newService();
    const server = http.createServer(withRequestContext(async (req, res) => {
      const beforeAuth = requestContext.current();
      res.on('finish', () => service.finished.push(snapshotOf('finish')));
      await sleep(1);
      const user = userOf(String(req.headers.authorization).replace(/^Bearer /, ''));
      res.setHeader('content-type', 'application/json');
      if (!user) { res.statusCode = 401; res.end('{"error":"unauthorized"}'); return; }
      requestContext.enrich({ userId: user.id, roles: [user.role] });
      const delay = Number(new URL(req.url, 'http://x').searchParams.get('delay'));
      res.end(JSON.stringify(await handle(service, delay, beforeAuth)));
    }));
    const url = await listen(server);
    try {
      await checkConcurrent(url, service, (i, anonymous) => ({ 'x-request-id': `rid-${i}`, authorization: `Bearer ${anonymous ? 'nope' : `tok-${i}`}` }));
    } finally {
      await closeServer(server);
    }
  });

  it('after resolve(): enrich() adds to the fields resolve() merged, on every shape', async () => {
    const { KINDS, startService } = require('../support/ingress-harness.js');
    for (const kind of KINDS) {
      const service = await startService(kind, {
        resolve: (req) => ({ tenantId: req.headers['x-tenant-id'] || null, plan: 'free' }),
      });
      try {
        const res = await fetch(`${service.url}/ctx?enrich=1`, { headers: { 'x-tenant-id': 'acme', 'x-request-id': `res-${kind}` } });
        const body = await res.json();
        assert.equal(res.status, 200, JSON.stringify(body));
        assert.deepEqual({ ...body.ctx, traceId: undefined, spanId: undefined, traceFlags: undefined },
          { requestId: `res-${kind}`, tenantId: 'acme', plan: 'pro', userId: 'u-enriched', traceId: undefined, spanId: undefined, traceFlags: undefined }, kind);
      } finally {
        await service.close();
      }
    }
  });

  it('ingress-owned fields cannot be changed; onRequestEnd reports the enriched tenant', async () => {
    const { withRequestContext } = require('ctxframe/http');
    const ends = [];
    const server = http.createServer(withRequestContext((req, res) => {
      assert.throws(() => requestContext.enrich({ requestId: 'spoofed' }), { code: 'CTXFRAME_INVALID_CONTEXT', message: /ctx\.requestId/ });
      assert.throws(() => requestContext.enrich({ traceId: 'f'.repeat(32) }), { code: 'CTXFRAME_INVALID_CONTEXT' });
      assert.throws(() => requestContext.enrich('requestId', 'spoofed'), { code: 'CTXFRAME_INVALID_CONTEXT', message: /ctx\.requestId/ });
      assert.throws(() => requestContext.enrich('traceId', undefined), { code: 'CTXFRAME_INVALID_CONTEXT' });
      requestContext.enrich({ requestId: requestContext.get('requestId'), tenantId: 'late-tenant' }); // unchanged: allowed
      requestContext.enrich('requestId', requestContext.get('requestId')); // unchanged: allowed
      assert.throws(() => requestContext.enrich('spanId', '0'.repeat(16)), { code: 'CTXFRAME_INVALID_CONTEXT', message: /ctx\.spanId/ });
      res.end(JSON.stringify(requestContext.current()));
    }, { onRequestEnd: (s) => ends.push(s) }));
    const url = await listen(server);
    try {
      const body = await (await fetch(url, { headers: { 'x-request-id': 'own-1' } })).json();
      assert.equal(body.requestId, 'own-1');
      assert.equal(body.tenantId, 'late-tenant');
      await waitFor(() => ends.length === 1);
      assert.equal(ends[0].tenantId, 'late-tenant');
    } finally {
      await closeServer(server);
    }
  });
});
