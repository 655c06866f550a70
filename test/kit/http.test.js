'use strict';
// ctxframe/http ingress: the shared behaviour suite on a real node:http server, plus options,
// handler failures, and the promise that no framework is loaded by any ingress module.

const assert = require('node:assert/strict');
const http = require('node:http');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { ingressSuite } = require('../support/ingress-suite.js');
const { withRequestContext, createIngress, isValidRequestId } = require('ctxframe/http');
const { requestContext, createContext } = require('ctxframe/context');

async function serve(handler) {
  const server = http.createServer(handler);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((resolve) => { server.close(resolve); server.closeAllConnections(); }),
  };
}

describe('kit/http', () => {
  ingressSuite('http');

  it('isValidRequestId: safe set, 1-128 chars', () => {
    for (const ok of ['a', 'A-Z_a.z:0/9+=@', 'x'.repeat(128)]) assert.equal(isValidRequestId(ok), true, ok);
    for (const bad of ['', 'x'.repeat(129), 'a b', 'a\r\nb', 'a\nb', 'a\rb', 'a\tb', 'caf\u00e9', '\u65e5', 'a,b', 'a;b',
      '"a"', 'a\u0000', undefined, null, 1, ['a']]) {
      assert.equal(isValidRequestId(bad), false, JSON.stringify(bad));
    }
  });

  it('validates options when created', () => {
    const bad = [
      [{ header: 'bad header' }, 'ERR_INVALID_ARG_VALUE'], [{ header: 5 }, 'ERR_INVALID_ARG_VALUE'],
      [{ resolve: 'x' }, 'ERR_INVALID_ARG_TYPE'], [{ onRequestEnd: 1 }, 'ERR_INVALID_ARG_TYPE'],
      [{ onError: {} }, 'ERR_INVALID_ARG_TYPE'], [{ requireTenant: 'yes' }, 'ERR_INVALID_ARG_TYPE'],
      [{ trace: 1 }, 'ERR_INVALID_ARG_TYPE'], [{ context: {} }, 'ERR_INVALID_ARG_TYPE'],
      [{ tenantField: '' }, 'ERR_INVALID_ARG_TYPE'], [{ newTraceFlags: '1' }, 'ERR_INVALID_ARG_VALUE'],
      ['str', 'ERR_INVALID_ARG_TYPE'],
    ];
    for (const [options, code] of bad) assert.throws(() => createIngress(options), { code }, JSON.stringify(options));
    assert.throws(() => withRequestContext('nope'), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => createIngress()({ headers: {} }, {}, 'not a function'), { code: 'ERR_INVALID_ARG_TYPE' });
  });

  it('honours header, responseHeader, trace, tenantField, newTraceFlags and a custom context', async () => {
    const Other = createContext({ name: 'OtherContext' });
    const service = await serve(withRequestContext((req, res) => {
      res.end(JSON.stringify({ other: Other.current(), default: requestContext.currentOrNull() }));
    }, {
      context: Other, header: 'X-Correlation-Id', trace: false, responseHeader: false,
      resolve: (req) => ({ organizationId: req.headers['x-org'] || null }), requireTenant: true, tenantField: 'organizationId',
    }));
    const traced = await serve(withRequestContext((req, res) => res.end(JSON.stringify(requestContext.current())), { newTraceFlags: '00' }));
    try {
      const res = await fetch(`${service.url}/`, { headers: { 'x-correlation-id': 'corr-1', 'x-request-id': 'ignored', 'x-org': 'o1' } });
      const body = await res.json();
      assert.deepEqual(body, { other: { organizationId: 'o1', requestId: 'corr-1' }, default: null });
      assert.equal(res.headers.get('x-correlation-id'), null);
      const denied = await fetch(`${service.url}/`, { headers: { 'x-correlation-id': 'corr-2' } });
      assert.equal(denied.status, 400);
      assert.equal((await denied.json()).requestId, 'corr-2');
      const t = await (await fetch(`${traced.url}/`)).json();
      assert.equal(t.traceFlags, '00');
    } finally {
      await service.close();
      await traced.close();
    }
  });

  it('a handler failing after it started responding gets its response destroyed, no crash', async () => {
    const errors = [];
    const service = await serve(withRequestContext(async (req, res) => {
      if (req.url === '/sync') throw new Error('sync boom');
      res.writeHead(200);
      res.write('partial');
      await new Promise((resolve) => setTimeout(resolve, 1));
      throw new Error('late boom');
    }, { onError: (err, source) => errors.push([source, err.message, requestContext.get('requestId')]) }));
    try {
      const sync = await fetch(`${service.url}/sync`, { headers: { 'x-request-id': 's-1' } });
      assert.equal(sync.status, 500);
      assert.equal((await sync.json()).requestId, 's-1');
      const late = await fetch(`${service.url}/late`, { headers: { 'x-request-id': 'l-1' } });
      assert.equal(late.status, 200);
      await assert.rejects(late.text());
      assert.deepEqual(errors, [['handler', 'sync boom', 's-1'], ['handler', 'late boom', 'l-1']]);
    } finally {
      await service.close();
    }
  });

  it('no ingress module loads a framework', () => {
    const root = path.join(__dirname, '../..');
    const script = `
      for (const m of ['context', 'traceparent', 'http', 'express', 'fastify', 'koa']) require('ctxframe/' + m);
      const loaded = Object.keys(require.cache).filter((f) => /node_modules[\\\\/](express|fastify|koa|pino|undici)[\\\\/]/.test(f));
      process.stdout.write(JSON.stringify(loaded));`;
    const out = execFileSync(process.execPath, [...process.execArgv, '-e', script], { cwd: root, encoding: 'utf8' });
    assert.deepEqual(JSON.parse(out), []);
  });
});
