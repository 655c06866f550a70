'use strict';
// Owns: fuzzing the request ids ctxframe/outbound puts on the wire, for any request id a context
// can hold (a job or a worker message may carry one from outside). Properties: a header never
// carries CR/LF; an id goes on the wire exactly when ingress would accept it, and then unchanged.

const assert = require('node:assert');
const http = require('node:http');
const { fc, check, hostileString, CRLF } = require('./support.js');
const { isValidRequestId } = require('ctxframe/http');
const { requestContext } = require('ctxframe/context');

const validId = fc.string({ unit: fc.constantFrom(...'ABCxyz0189-_.:/+=@'.split('')), minLength: 1, maxLength: 128 });

describe('fuzz: outbound request ids', function () {
  let server;
  let port;
  let outbound;
  const seen = [];
  before(async function () {
    const { installOutbound } = require('ctxframe/outbound');
    outbound = installOutbound();
    server = http.createServer((req, res) => { seen.push(req.headers); res.end(); });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = server.address().port;
  });
  after(function () {
    outbound.uninstall();
    server.close();
  });

  function send(ctx) {
    return requestContext.run(ctx, () => new Promise((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, path: '/' }, (res) => { res.resume(); res.on('end', resolve); }).on('error', reject);
    })).then(() => seen.pop());
  }

  it('a context request id reaches the wire only if ingress would accept it, and never with CR/LF', async function () {
    await check(fc.asyncProperty(fc.oneof(hostileString(1100), validId), async (requestId) => {
      const headers = await send({ requestId });
      const sent = headers['x-request-id'];
      if (sent !== undefined) {
        assert.ok(!CRLF.test(sent));
        assert.ok(isValidRequestId(sent), `outbound sent ${JSON.stringify(sent)}, which ingress refuses`);
        assert.strictEqual(sent, requestId);
      } else {
        assert.ok(!isValidRequestId(requestId), `a valid id ${requestId} was not forwarded`);
      }
    }), 300);
  });
});
