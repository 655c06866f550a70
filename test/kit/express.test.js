'use strict';
// ctxframe/express ingress, in both forms (the first middleware; withRequestContext around the
// whole app): the shared behaviour suite on a real Express 5 server, the context inside Express's
// error-handling middleware, the route pattern at the end of a request, and the app's argument.

const assert = require('node:assert/strict');
const { ingressSuite } = require('../support/ingress-suite.js');
const { startService, waitFor } = require('../support/ingress-harness.js');

describe('kit/express', () => {
  ingressSuite('express');
  ingressSuite('express-app');

  for (const kind of ['express', 'express-app']) {
    describe(kind, () => {
      it('error-handling middleware runs in the request context', async () => {
        const service = await startService(kind);
        try {
          const results = await Promise.all(Array.from({ length: 20 }, (_, i) => fetch(`${service.url}/boom`, {
            headers: { 'x-tenant-id': 't', 'x-request-id': `err-${i}` },
          }).then(async (res) => ({ i, status: res.status, body: await res.json() }))));
          for (const { i, status, body } of results) {
            assert.equal(status, 500);
            assert.deepEqual(body, { error: 'handler boom', requestId: `err-${i}` });
          }
        } finally {
          await service.close();
        }
      });

      it("onRequestEnd gets Express's route pattern", async () => {
        const service = await startService(kind);
        try {
          const res = await fetch(`${service.url}/work/a7?delay=1`, {
            method: 'POST',
            headers: { 'x-tenant-id': 't', 'x-request-id': 'route-1', 'content-type': 'application/json' },
            body: '{"n":1}',
          });
          assert.equal(res.status, 200);
          await res.text();
          await waitFor(() => service.ends.some((e) => e.requestId === 'route-1'));
          const end = service.ends.find((e) => e.requestId === 'route-1');
          assert.equal(end.route, '/work/:tag');
          assert.equal(end.path, '/work/a7');
          assert.equal(end.status, 200);
        } finally {
          await service.close();
        }
      });
    });
  }

  it('withRequestContext(app) refuses an app that is not a function', () => {
    const { withRequestContext } = require('ctxframe/express');
    for (const app of [undefined, null, {}, 'app']) {
      assert.throws(() => withRequestContext(app), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
    }
  });
});
