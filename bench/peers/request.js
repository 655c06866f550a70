'use strict';
// Owns: what every HTTP request of the peers benchmark carries and what every variant must see.
//
// The load generator (loadHeaders) sends, per request, a distinct valid x-request-id, a tenant, a
// user and a W3C traceparent — what a service behind a gateway receives. A variant's handler
// checks, before and after awaits and inside an added value, that the context it reads holds
// exactly this request's values (check): a variant that shows one request's context to another,
// or loses it, answers 500 and the runner refuses the measurement.

const TENANTS = ['acme', 'globex', 'initech', 'umbrella', 'hooli', 'stark', 'wayne', 'tyrell'];
const ROUTE = '/work';

// autocannon `requests` entry: new headers for every request it sends.
function loadHeaders() {
  let n = 0;
  return [{
    method: 'GET',
    path: ROUTE,
    setupRequest(req) {
      n++;
      const hex = n.toString(16).padStart(16, '0');
      req.headers = {
        'x-request-id': `req-${n}`,
        'x-tenant-id': TENANTS[n & 7],
        'x-user-id': `user-${n % 997}`,
        traceparent: `00-${hex}${hex}-${hex}-01`,
      };
      return req;
    },
  }];
}

// The hand-written equivalent of the kit's defaults (what a peer's hook or middleware does):
// keep a valid inbound request id or make one, tenant and user from the headers.
const { randomUUID } = require('node:crypto');
const REQUEST_ID_RE = /^[A-Za-z0-9\-_.:/+=@]{1,128}$/;

function identify(headers) {
  const inbound = headers['x-request-id'];
  return {
    requestId: typeof inbound === 'string' && REQUEST_ID_RE.test(inbound) ? inbound : randomUUID(),
    tenantId: headers['x-tenant-id'],
    userId: headers['x-user-id'],
  };
}

// `what` is the context a variant reads; `headers` the request's own. Throws on any difference.
function check(what, headers, withRoute) {
  if (what === undefined || what === null ||
      what.requestId !== headers['x-request-id'] ||
      what.tenantId !== headers['x-tenant-id'] ||
      what.userId !== headers['x-user-id'] ||
      (withRoute && what.route !== ROUTE)) {
    throw new Error(`wrong context: saw ${JSON.stringify(what)} for request ${headers['x-request-id']}`);
  }
}

async function step(i) {
  return i;
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

// The handler's work, the same for every variant: read the context, await, read it again, add a
// field for a nested step (the variant's own way: with(), a run() of a shallow copy, set()),
// await inside it (a promise and a macrotask turn, so concurrent requests interleave) and read.
// `api` is { read(), add(fields, fn) }. Returns the response body.
async function work(api, headers) {
  check(api.read(), headers, false);
  await step(1);
  check(api.read(), headers, false);
  return api.add({ route: ROUTE }, async () => {
    await step(2);
    await nextTurn();
    const inner = api.read();
    check(inner, headers, true);
    return `ok ${inner.requestId}`;
  });
}

module.exports = { loadHeaders, identify, check, work, ROUTE, REQUEST_ID_RE };
