'use strict';
// Requests to self: a handler calling its own server (or another in-process server) from
// inside its request context must not leak that context into the inbound side; also a plain
// node:http server without ingress must not see a keep-alive client's context.

const assert = require('node:assert/strict');
const http = require('node:http');
const { KINDS, startService } = require('../support/ingress-harness.js');
const { requestContext } = require('ctxframe/context');

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

async function callFrom(service, target, mode, callerId) {
  const url = `${service.url}/ctx?call=${encodeURIComponent(`${target.url}/ctx`)}&mode=${mode}`;
  const res = await fetch(url, { headers: { 'x-tenant-id': 'caller-tenant', 'x-caller-secret': 'caller-only', 'x-request-id': callerId } });
  assert.equal(res.status, 200);
  return res.json();
}

function assertFresh(outer, callerId, { propagated = false } = {}) {
  assert.equal(outer.ctx.requestId, callerId);
  assert.equal(outer.ctx.secret, 'caller-only');
  assert.deepEqual(outer.after, outer.ctx, 'the caller keeps its own context after the call');
  const ids = new Set();
  for (const { header, body } of outer.called) {
    const inbound = body.ctx;
    assert.equal(inbound.secret, undefined, 'caller-only field leaked into the inbound request');
    assert.equal(inbound.tenantId, undefined, 'caller tenant leaked into the inbound request');
    assert.equal(header, inbound.requestId);
    if (propagated) {
      assert.equal(inbound.requestId, callerId, 'the caller id arrives only as the propagated header');
    } else {
      assert.match(inbound.requestId, UUID_RE);
      assert.notEqual(inbound.requestId, callerId);
      ids.add(inbound.requestId);
    }
    assert.notEqual(inbound.spanId, outer.ctx.spanId);
    assert.deepEqual(body.metrics.counters, {});
  }
  if (!propagated) assert.equal(ids.size, outer.called.length, 'each inbound request has its own id');
}

describe('kit/self-call', () => {
  for (const kind of KINDS) {
    describe(kind, () => {
      let service;
      let other;
      before(async () => {
        service = await startService(kind);
        other = await startService(kind === 'http' ? 'express' : 'http');
      });
      after(async () => {
        await service.close();
        await other.close();
      });

      it('calling its own server with fetch gives the inbound request a fresh context', async () => {
        assertFresh(await callFrom(service, service, 'fetch', 'caller-1'), 'caller-1');
      });

      it('over a keep-alive agent with one socket (sequential and queued calls)', async () => {
        const outer = await callFrom(service, service, 'agent', 'caller-2');
        assert.equal(outer.called.length, 6);
        assertFresh(outer, 'caller-2');
        // run it twice: the second time the agent reuses the socket made inside the first request
        assertFresh(await callFrom(service, service, 'agent', 'caller-3'), 'caller-3');
      });

      it('with the caller id propagated as a header, only the id crosses', async () => {
        assertFresh(await callFrom(service, service, 'header', 'caller-4'), 'caller-4', { propagated: true });
      });

      it('calling another server in the same process', async () => {
        assertFresh(await callFrom(service, other, 'agent', 'caller-5'), 'caller-5');
        assertFresh(await callFrom(service, other, 'fetch', 'caller-6'), 'caller-6');
      });
    });
  }

  it('a plain node:http server without ingress does not see a keep-alive client\'s context', async () => {
    const seen = [];
    const server = http.createServer((req, res) => {
      seen.push({ where: 'handler', ctx: requestContext.currentOrNull() });
      req.on('data', () => {});
      req.on('end', () => {
        seen.push({ where: 'req-end', ctx: requestContext.currentOrNull() });
        setTimeout(() => {
          seen.push({ where: 'timer', ctx: requestContext.currentOrNull() });
          res.end('ok');
        }, 1);
      });
      res.on('finish', () => seen.push({ where: 'finish', ctx: requestContext.currentOrNull() }));
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const url = `http://127.0.0.1:${server.address().port}/`;
    const post = () => new Promise((resolve, reject) => {
      const req = http.request(url, { method: 'POST', agent }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', reject);
      req.end('body');
    });
    try {
      // The socket is created inside the first context, then reused by other contexts.
      for (let i = 0; i < 3; i++) {
        await requestContext.run({ requestId: `client-${i}`, tenantId: 'client' }, async () => {
          await post();
          await Promise.all([post(), post()]);
          assert.equal(requestContext.get('requestId'), `client-${i}`);
        });
      }
      await requestContext.withContext({ tenantId: 'fetch-client' }, async () => {
        const res = await fetch(url, { method: 'POST', body: 'x' });
        await res.text();
      });
      assert.equal(seen.filter((s) => s.where === 'handler').length, 10);
      const leaked = seen.filter((s) => s.ctx !== null);
      assert.deepEqual(leaked, [], `server side saw the client context: ${JSON.stringify(leaked)}`);
    } finally {
      agent.destroy();
      await new Promise((resolve) => { server.close(resolve); server.closeAllConnections(); });
    }
  });
});
