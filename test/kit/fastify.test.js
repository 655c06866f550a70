'use strict';
// ctxframe/fastify ingress: the shared behaviour suite on a real Fastify 5 server, plus the
// context in every hook, in body parsing and in encapsulated child plugins.

const assert = require('node:assert/strict');
const { ingressSuite } = require('../support/ingress-suite.js');
const { startService, waitFor } = require('../support/ingress-harness.js');
const { requestContext } = require('ctxframe/context');

describe('kit/fastify', () => {
  ingressSuite('fastify');

  describe('hooks and plugins', () => {
    let service;
    before(async () => { service = await startService('fastify'); });
    after(async () => { await service.close(); });

    it('the context is active in every hook, the body parser and the handler', async () => {
      service.hookLog.length = 0;
      const requests = Array.from({ length: 60 }, (_, i) => (i % 2 === 0
        ? fetch(`${service.url}/work/h${i}?delay=${i % 7}`, {
          method: 'POST', headers: { 'content-type': 'application/json', 'x-tenant-id': `t${i}` }, body: JSON.stringify({ tag: `h${i}` }),
        })
        : fetch(`${service.url}/object?i=${i}`, { headers: { 'x-tenant-id': `t${i}` } })));
      const responses = await Promise.all(requests);
      const byId = new Map();
      for (const res of responses) {
        assert.equal(res.status, 200);
        const id = res.headers.get('x-request-id');
        const text = await res.text();
        byId.set(id, text);
      }
      assert.equal(byId.size, 60);
      // onResponse runs after the response is sent: wait for all of them.
      await waitFor(() => service.hookLog.filter((h) => h.hook === 'onResponse').length === 60, 'onResponse hooks');
      const hooksById = new Map();
      for (const entry of service.hookLog) {
        assert.ok(byId.has(entry.requestId), `${entry.hook} ran outside its request context: ${JSON.stringify(entry)}`);
        if (!hooksById.has(entry.requestId)) hooksById.set(entry.requestId, []);
        hooksById.get(entry.requestId).push(entry);
      }
      let posts = 0;
      for (const [id, entries] of hooksById) {
        const hooks = entries.map((e) => e.hook);
        const tenants = new Set(entries.map((e) => e.tenantId));
        assert.equal(tenants.size, 1, `one tenant per request ${id}`);
        if (hooks.includes('parser')) {
          posts++;
          assert.deepEqual(hooks, ['onRequest', 'preParsing', 'parser', 'preValidation', 'preHandler', 'onSend', 'onResponse']);
          assert.ok(entries.every((e) => e.tag === entries[0].tag && /^h\d+$/.test(e.tag)));
          assert.equal(JSON.parse(byId.get(id).split('\n')[0]).tag, entries[0].tag);
        } else {
          assert.deepEqual(hooks, ['onRequest', 'preParsing', 'preValidation', 'preHandler', 'handler', 'preSerialization', 'onSend', 'onResponse']);
          assert.equal(JSON.parse(byId.get(id)).requestId, id);
        }
      }
      assert.equal(posts, 30);
    });
  });

  describe('encapsulation', () => {
    it('applies to routes in encapsulated child plugins and exposes route patterns', async () => {
      const Fastify = require('fastify');
      const { fastifyRequestContext, count } = require('ctxframe/fastify');
      const ends = [];
      const app = Fastify();
      await app.register(fastifyRequestContext, { onRequestEnd: (s) => ends.push(s), resolve: (request) => ({ tenantId: request.headers['x-tenant-id'] || null }) });
      await app.register(async (child) => {
        child.get('/items/:id', async (request) => {
          count('dbQueries');
          return { requestId: requestContext.get('requestId'), tenantId: requestContext.get('tenantId'), id: request.params.id };
        });
      }, { prefix: '/api' });
      await app.listen({ port: 0, host: '127.0.0.1' });
      try {
        const res = await fetch(`http://127.0.0.1:${app.server.address().port}/api/items/7?x=1`, { headers: { 'x-tenant-id': 'acme', 'x-request-id': 'enc-1' } });
        assert.deepEqual(await res.json(), { requestId: 'enc-1', tenantId: 'acme', id: '7' });
        await waitFor(() => ends.length === 1);
        assert.equal(ends[0].route, '/api/items/:id');
        assert.equal(ends[0].path, '/api/items/7');
        assert.deepEqual(ends[0].counters, { dbQueries: 1 });
        assert.equal(ends[0].tenantId, 'acme');
      } finally {
        await app.close();
      }
    });

    it('rejects invalid options at register time', async () => {
      const Fastify = require('fastify');
      const { fastifyRequestContext } = require('ctxframe/fastify');
      const app = Fastify();
      app.register(fastifyRequestContext, { resolve: 'not a function' });
      await assert.rejects(app.ready(), { code: 'ERR_INVALID_ARG_TYPE' });
      await app.close();
    });
  });
});
