'use strict';
// ctxframe/express ingress: the shared behaviour suite on a real Express 5 server, plus the
// context inside Express's error-handling middleware.

const assert = require('node:assert/strict');
const { ingressSuite } = require('../support/ingress-suite.js');
const { startService } = require('../support/ingress-harness.js');

describe('kit/express', () => {
  ingressSuite('express');

  it('error-handling middleware runs in the request context', async () => {
    const service = await startService('express');
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
});
