'use strict';
// W3C Baggage in the kit: the `baggage` option of ingress and outbound (validated like every
// option), what an inbound header gives (spec limits, token keys, percent-decoded values, refused
// values left out and never echoed), resolve() over baggage, outbound merging into a header the
// caller set; and the `openTelemetry` option: ingress takes an active OpenTelemetry span only when
// OpenTelemetry has one and the option is on. Real servers on loopback; OpenTelemetry's API and
// SDK in-process (the instrumented case is otel-one-trace.test.js).

const assert = require('node:assert/strict');
const http = require('node:http');
const api = require('@opentelemetry/api');
const { BasicTracerProvider } = require('@opentelemetry/sdk-trace-base');
const { AsyncLocalStorageContextManager } = require('@opentelemetry/context-async-hooks');
const { withRequestContext } = require('ctxframe/http');
const { installOutbound } = require('ctxframe/outbound');
const { requestContext } = require('ctxframe/context');
const { CtxframeContextManager } = require('ctxframe/otel');

const BAGGAGE = { tenantId: 'tenant', userId: 'user.id', plan: 'plan' };

function listen(server) {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${server.address().port}`)));
}

function close(server) {
  return new Promise((resolve) => { server.close(resolve); server.closeAllConnections(); });
}

// A service answering with its context; `get(headers)` -> the context of one request.
async function contextService(options) {
  const server = http.createServer(withRequestContext((req, res) => {
    res.end(JSON.stringify(requestContext.current()));
  }, options));
  const url = await listen(server);
  return {
    get: async (headers) => (await fetch(url, { headers })).json(),
    close: () => close(server),
  };
}

describe('baggage: options', () => {
  const bad = [
    [42, 'ERR_INVALID_ARG_TYPE'],
    ['tenantId', 'ERR_INVALID_ARG_TYPE'],
    [[7], 'ERR_INVALID_ARG_TYPE'],
    [{ tenantId: 7 }, 'ERR_INVALID_ARG_TYPE'],
    [[''], 'ERR_INVALID_ARG_VALUE'],
    [['traceId'], 'ERR_INVALID_ARG_VALUE'],
    [['requestId'], 'ERR_INVALID_ARG_VALUE'],
    [{ tenantId: 'bad key' }, 'ERR_INVALID_ARG_VALUE'],
    [{ tenantId: 'a=b' }, 'ERR_INVALID_ARG_VALUE'],
    [['tenantId', 'tenantId'], 'ERR_INVALID_ARG_VALUE'],
    [{ tenantId: 'k', userId: 'k' }, 'ERR_INVALID_ARG_VALUE'],
  ];
  for (const [value, code] of bad) {
    it(`ingress and outbound refuse baggage: ${JSON.stringify(value)} (${code})`, () => {
      assert.throws(() => withRequestContext(() => {}, { baggage: value }), { code });
      assert.throws(() => installOutbound({ baggage: value }), { code });
    });
  }

  it('openTelemetry must be a boolean', () => {
    assert.throws(() => withRequestContext(() => {}, { openTelemetry: 'yes' }), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => installOutbound({ openTelemetry: 1 }), { code: 'ERR_INVALID_ARG_TYPE' });
  });

  it('an array names fields sent under their own names; an empty one is no baggage', async () => {
    const svc = await contextService({ baggage: ['tenantId'] });
    try {
      assert.equal((await svc.get({ baggage: 'tenantId=acme' })).tenantId, 'acme');
    } finally {
      await svc.close();
    }
    const none = await contextService({ baggage: [] });
    try {
      assert.equal((await none.get({ baggage: 'tenantId=acme' })).tenantId, undefined);
    } finally {
      await none.close();
    }
  });
});

describe('baggage: ingress', () => {
  let svc;
  before(async () => {
    svc = await contextService({
      baggage: BAGGAGE,
      resolve: (req) => (req.headers['x-user'] ? { userId: req.headers['x-user'] } : undefined),
    });
  });
  after(() => svc.close());

  const fieldsOf = (ctx) => ({ tenantId: ctx.tenantId, userId: ctx.userId, plan: ctx.plan });
  const cases = [
    ['allow-listed members, decoded; properties and other keys ignored; OWS trimmed',
      'tenant=acme%20%C3%A9, user.id = u%2C1 ;prop=1;flag ,other=x', { tenantId: 'acme é', userId: 'u,1', plan: undefined }],
    ['an undecodable value (%ZZ, invalid UTF-8) is left out', 'tenant=%ZZ,user.id=%FF%FE,plan=pro',
      { tenantId: undefined, userId: undefined, plan: 'pro' }],
    ['a value outside baggage-octets (quote, backslash) is left out', 'tenant="acme",user.id=a\\b,plan=pro',
      { tenantId: undefined, userId: undefined, plan: 'pro' }],
    ['control characters (CR, LF, NUL) are left out', 'tenant=a%0D%0Ab,user.id=%00,plan=pro',
      { tenantId: undefined, userId: undefined, plan: 'pro' }],
    ['an empty value or one over 256 characters is left out', `tenant=,user.id=${'u'.repeat(257)},plan=${'p'.repeat(256)}`,
      { tenantId: undefined, userId: undefined, plan: 'p'.repeat(256) }],
    ['a key given twice is ambiguous: no field', 'tenant=a,plan=pro,tenant=b', { tenantId: undefined, userId: undefined, plan: 'pro' }],
    ['more than 180 members: the header is ignored',
      `tenant=acme,${Array.from({ length: 180 }, (_, i) => `k${i}=v`).join(',')}`, { tenantId: undefined, userId: undefined, plan: undefined }],
    ['more than 8192 bytes: the header is ignored', `tenant=acme,pad=${'x'.repeat(8192)}`,
      { tenantId: undefined, userId: undefined, plan: undefined }],
  ];
  for (const [title, header, expected] of cases) {
    it(title, async () => {
      const ctx = await svc.get({ baggage: header });
      assert.deepEqual(fieldsOf(ctx), expected);
    });
  }

  it('180 members within 8192 bytes are read', async () => {
    const header = `${Array.from({ length: 179 }, (_, i) => `k${i}=v`).join(',')},tenant=acme`;
    assert.equal((await svc.get({ baggage: header })).tenantId, 'acme');
  });

  it('resolve() wins over baggage; baggage never replaces request id or trace fields', async () => {
    const ctx = await svc.get({ baggage: 'tenant=acme,user.id=claimed', 'x-user': 'u-real', 'x-request-id': 'r-1' });
    assert.equal(ctx.tenantId, 'acme');
    assert.equal(ctx.userId, 'u-real');
    assert.equal(ctx.requestId, 'r-1');
  });

  it('without the option, baggage is not read', async () => {
    const plain = await contextService({});
    try {
      assert.equal((await plain.get({ baggage: 'tenantId=acme,tenant=acme' })).tenantId, undefined);
    } finally {
      await plain.close();
    }
  });

  it('a tenant from baggage satisfies requireTenant', async () => {
    const strict = await contextService({ baggage: { tenantId: 'tenant' }, requireTenant: true });
    try {
      assert.equal((await strict.get({ baggage: 'tenant=acme' })).tenantId, 'acme');
    } finally {
      await strict.close();
    }
  });

  it('baggage fields that would make the context too large are left out, the request goes on', async () => {
    const { createContext } = require('ctxframe/context');
    const small = createContext({ name: 'Small', maxBytes: 300 });
    const server = http.createServer(withRequestContext((req, res) => res.end(JSON.stringify(small.current())),
      { context: small, baggage: ['plan'] }));
    const url = await listen(server);
    try {
      const res = await fetch(url, { headers: { baggage: `plan=${'p'.repeat(250)}` } });
      assert.equal(res.status, 200);
      const ctx = await res.json();
      assert.equal(ctx.plan, undefined);
      assert.ok(ctx.requestId);
      assert.equal((await (await fetch(url, { headers: { baggage: 'plan=pro' } })).json()).plan, 'pro');
    } finally {
      await close(server);
    }
  });
});

describe('baggage: outbound', () => {
  let downstream;
  let url;
  let outbound;
  before(async () => {
    downstream = http.createServer((req, res) => {
      const got = [];
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        if (req.rawHeaders[i].toLowerCase() === 'baggage') got.push(req.rawHeaders[i + 1]);
      }
      res.end(JSON.stringify(got));
    });
    url = await listen(downstream);
    outbound = installOutbound({ baggage: BAGGAGE, requestIdHeader: false, traceparent: false });
  });
  after(async () => {
    outbound.uninstall();
    await close(downstream);
  });

  const viaFetch = (headers) => fetch(url, { headers }).then((r) => r.json());
  const viaHttp = (headers) => new Promise((resolve, reject) => {
    http.get(url, { headers }, (res) => {
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve(JSON.parse(body)));
    }).on('error', reject);
  });

  for (const [name, call] of [['fetch', viaFetch], ['http.get', viaHttp]]) {
    it(`${name}: the allow-listed fields, percent-encoded; numbers and booleans as text`, async () => {
      const got = await requestContext.run({ requestId: 'r', tenantId: 'acme co', userId: 42, plan: true, secret: 's' },
        () => call({}));
      assert.deepEqual(got, ['tenant=acme%20co,user.id=42,plan=true']);
    });

    it(`${name}: merged into the caller's baggage header, whose members win; never two headers`, async () => {
      const got = await requestContext.run({ requestId: 'r', tenantId: 'acme', userId: 'u1' },
        () => call({ Baggage: 'user.id=caller;p=1,feature=x' }));
      assert.deepEqual(got, ['user.id=caller;p=1,feature=x,tenant=acme']);
    });

    it(`${name}: values that break the rules are not sent; outside a context nothing is`, async () => {
      const got = await requestContext.run({ requestId: 'r', tenantId: 'a\nb', userId: 'u'.repeat(257), plan: 'pro' },
        () => call({}));
      assert.deepEqual(got, ['plan=pro']);
      assert.deepEqual(await call({}), []);
    });

    it(`${name}: the merged header stays within 8192 bytes`, async () => {
      const big = `pad=${'x'.repeat(8185)}`;
      const got = await requestContext.run({ requestId: 'r', tenantId: 'acme' }, () => call({ baggage: big }));
      assert.deepEqual(got, [big]);
    });
  }
});

const managers = {
  CtxframeContextManager: () => new CtxframeContextManager(),
  AsyncLocalStorageContextManager: () => new AsyncLocalStorageContextManager(),
};

for (const [label, makeManager] of Object.entries(managers)) {
  describe(`ingress and OpenTelemetry's active span (no instrumentation): ${label}`, () => {
    let provider;
    let tracer;
    beforeEach(() => {
      assert.equal(api.context.setGlobalContextManager(makeManager().enable()), true);
      provider = new BasicTracerProvider();
      api.trace.setGlobalTracerProvider(provider);
      tracer = api.trace.getTracer('baggage-test');
    });
    afterEach(async () => {
      api.trace.disable();
      api.context.disable();
      await provider.shutdown();
    });

    // A server started inside a span: OpenTelemetry sees that span in every request handler.
    async function serverInSpan(options) {
      let span;
      const server = await tracer.startActiveSpan('startup', async (s) => {
        span = s;
        const srv = http.createServer(withRequestContext((req, res) => {
          res.end(JSON.stringify({ ctx: requestContext.current(), active: api.trace.getActiveSpan().spanContext() }));
        }, options));
        await listen(srv);
        s.end();
        return srv;
      });
      return { server, span, url: `http://127.0.0.1:${server.address().port}` };
    }

    it('takes the span OpenTelemetry has active where the request enters: its ids and flags', async () => {
      const { server, span, url } = await serverInSpan({});
      try {
        const { ctx, active } = await (await fetch(url, {
          headers: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
        })).json();
        assert.equal(active.spanId, span.spanContext().spanId);
        assert.equal(ctx.traceId, span.spanContext().traceId);
        assert.equal(ctx.spanId, span.spanContext().spanId);
        assert.equal(ctx.traceFlags, '01');
        assert.equal(ctx.parentSpanId, undefined); // 'startup' is a root span; the header is another trace
      } finally {
        await close(server);
      }
    });

    it('openTelemetry: false keeps ctxframe\'s own trace', async () => {
      const { server, span, url } = await serverInSpan({ openTelemetry: false });
      try {
        const { ctx } = await (await fetch(url, {
          headers: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
        })).json();
        assert.equal(ctx.traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
        assert.equal(ctx.parentSpanId, '00f067aa0ba902b7');
        assert.notEqual(ctx.spanId, span.spanContext().spanId);
      } finally {
        await close(server);
      }
    });

    it('with no span active, the inbound traceparent is continued as without OpenTelemetry', async () => {
      const svc = await contextService({});
      try {
        const ctx = await svc.get({ traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00' });
        assert.equal(ctx.traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
        assert.equal(ctx.parentSpanId, '00f067aa0ba902b7');
        assert.equal(ctx.traceFlags, '00');
      } finally {
        await svc.close();
      }
    });

    it('outbound: OpenTelemetry\'s active span is the parent; openTelemetry: false sends the context\'s', async () => {
      const seen = [];
      const downstream = http.createServer((req, res) => { seen.push(req.headers.traceparent); res.end(); });
      const url = await listen(downstream);
      const withOtel = installOutbound({ requestIdHeader: false });
      const ctx = { requestId: 'r', traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: '01' };
      try {
        const span = await requestContext.run(ctx, () => tracer.startActiveSpan('work', async (s) => {
          await fetch(url);
          s.end();
          return s;
        }));
        assert.equal(seen[0], `00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`);
        withOtel.uninstall();
        const without = installOutbound({ requestIdHeader: false, openTelemetry: false });
        try {
          await requestContext.run(ctx, () => tracer.startActiveSpan('work', async (s) => { await fetch(url); s.end(); }));
        } finally {
          without.uninstall();
        }
        assert.equal(seen[1], '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
      } finally {
        withOtel.uninstall();
        await close(downstream);
      }
    });
  });
}
