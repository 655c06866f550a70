'use strict';
// Owns: fuzzing what ingress (ctxframe/http) reads from outside: inbound x-request-id,
// traceparent and tracestate headers (any string, repeated headers). Properties: no exception, the handler runs once inside a context
// whose request id follows the rule, nothing with CR/LF reaches a header, a valid inbound id and
// trace are kept. (What outbound sends: outbound.fuzz.js.)

const assert = require('node:assert');
const http = require('node:http');
const { EventEmitter } = require('node:events');
const { fc, check, hostileString, CRLF } = require('./support.js');
const { createIngress, isValidRequestId } = require('ctxframe/http');
const { requestContext } = require('ctxframe/context');
const { parseTraceparent, isValidTracestate } = require('ctxframe/traceparent');

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const validId = fc.string({ unit: fc.constantFrom(...'ABCxyz0189-_.:/+=@'.split('')), minLength: 1, maxLength: 128 });
const traceparent = fc.oneof(
  hostileString(80),
  fc.constant('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'),
  fc.tuple(fc.constantFrom('00', '01', 'ff', 'zz'), fc.string({ unit: fc.constantFrom(...'0123456789abcdefA-'), minLength: 49, maxLength: 53 }))
    .map(([v, rest]) => `${v}-${rest}`),
);
const headerValue = (arb) => fc.oneof({ weight: 4, arbitrary: arb }, { weight: 1, arbitrary: fc.array(arb, { minLength: 2, maxLength: 3 }) }, { weight: 1, arbitrary: fc.constant(undefined) });

function fakeExchange(headers) {
  const req = new EventEmitter();
  req.headers = headers;
  req.method = 'GET';
  req.url = '/fuzz';
  const res = new EventEmitter();
  res.headers = {};
  res.headersSent = false;
  res.statusCode = 200;
  res.setHeader = (name, value) => {
    http.validateHeaderName(name);
    http.validateHeaderValue(name, value); // throws on CR/LF and other invalid characters
    assert.ok(!CRLF.test(String(value)));
    res.headers[name.toLowerCase()] = value;
  };
  res.end = () => { res.writableEnded = true; };
  return { req, res };
}

describe('fuzz: ingress headers', function () {
  const ingress = createIngress();

  it('any x-request-id/traceparent/tracestate: next() runs once in a context with a valid id and trace', function () {
    const headers = fc.record({
      'x-request-id': headerValue(fc.oneof(hostileString(200), validId)),
      traceparent: headerValue(traceparent),
      tracestate: headerValue(fc.oneof(hostileString(100), fc.constant('rojo=00f067aa0ba902b7'))),
    }, { requiredKeys: [] });
    check(fc.property(headers, (h) => {
      const { req, res } = fakeExchange(h);
      let calls = 0;
      let ctx;
      ingress(req, res, () => { calls++; ctx = requestContext.current(); });
      assert.strictEqual(calls, 1);
      assert.ok(isValidRequestId(ctx.requestId), ctx.requestId);
      const inbound = h['x-request-id'];
      if (typeof inbound === 'string' && isValidRequestId(inbound)) assert.strictEqual(ctx.requestId, inbound);
      else assert.match(ctx.requestId, UUID);
      assert.strictEqual(res.headers['x-request-id'], ctx.requestId);
      assert.match(ctx.traceId, /^[0-9a-f]{32}$/);
      assert.match(ctx.spanId, /^[0-9a-f]{16}$/);
      const parent = typeof h.traceparent === 'string' ? parseTraceparent(h.traceparent) : null;
      if (parent !== null) {
        assert.strictEqual(ctx.traceId, parent.traceId);
        assert.strictEqual(ctx.parentSpanId, parent.parentId);
        if (ctx.traceState !== undefined) assert.strictEqual(ctx.traceState, h.tracestate);
      } else {
        assert.strictEqual(ctx.parentSpanId, undefined);
      }
      if (ctx.traceState !== undefined) assert.ok(isValidTracestate(ctx.traceState));
      assert.strictEqual(requestContext.currentOrNull(), null);
    }), 3000);
  });

  it('isValidRequestId accepts exactly 1-128 characters of A-Z a-z 0-9 - _ . : / + = @', function () {
    check(fc.property(fc.oneof(hostileString(200), validId, fc.anything()), (value) => {
      const expected = typeof value === 'string' && /^[A-Za-z0-9\-_.:/+=@]{1,128}$/.test(value);
      assert.strictEqual(isValidRequestId(value), expected);
    }), 3000);
  });
});
