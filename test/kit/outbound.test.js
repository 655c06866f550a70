'use strict';
// Tests for ctxframe/outbound against real local servers (node:http and node:https with a
// certificate made by openssl at test time) that record the headers they receive. Clients:
// http.request/get, https.request/get, Node's global fetch, and the undici package's
// request/fetch. The http suite runs once per mechanism the runtime offers
// (http.client.request.created channel where Node publishes it, wrapping everywhere).

const assert = require('node:assert/strict');
const http = require('node:http');
const https = require('node:https');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { setTimeout: sleep } = require('node:timers/promises');
const undici = require('undici');
const { requestContext, createContext } = require('ctxframe/context');
const { installOutbound, uninstallOutbound, isOutboundInstalled } = require('ctxframe/outbound');

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';
const FULL_CTX = {
  requestId: 'req-full-1',
  tenantId: 't1',
  traceId: TRACE_ID,
  spanId: SPAN_ID,
  traceFlags: '00',
  traceState: 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7',
};
const ORIGINALS = {
  httpRequest: http.request, httpGet: http.get, httpsRequest: https.request, httpsGet: https.get,
};

function httpCreatedChannelAvailable() {
  return /\bonClientRequestCreatedChannel\b/.test(Function.prototype.toString.call(http.ClientRequest));
}

// A server that answers every request with the JSON of the headers it received.
function echoHeaders(req, res) {
  req.resume();
  req.on('end', () => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(req.headers));
  });
}

function listen(server) {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
}

function closeServer(server) {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

function readJson(res) {
  return new Promise((resolve, reject) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (chunk) => { body += chunk; });
    res.on('end', () => {
      try {
        resolve(JSON.parse(body));
      } catch (err) {
        reject(new Error(`status ${res.statusCode}, body ${body}: ${err.message}`));
      }
    });
    res.on('error', reject);
  });
}

// Runs a node:http-style call that takes a response callback; resolves with the echoed headers.
function viaCallback(start) {
  return new Promise((resolve, reject) => {
    const req = start((res) => readJson(res).then(resolve, reject));
    req.on('error', reject);
    if (!req.writableEnded) req.end();
  });
}

function makeCertificate(dir) {
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
  ], { stdio: 'ignore' });
  return { key: fs.readFileSync(key), cert: fs.readFileSync(cert) };
}

describe('kit/outbound', function () {
  let httpServer;
  let httpsServer;
  let base;
  let secureBase;
  let tls;
  let tmpDir;
  let keepAliveAgent;
  let undiciTlsAgent;

  before(async () => {
    httpServer = http.createServer(echoHeaders);
    base = `http://127.0.0.1:${await listen(httpServer)}`;
    tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctxframe-outbound-'));
    tls = makeCertificate(tmpDir);
    httpsServer = https.createServer({ key: tls.key, cert: tls.cert }, echoHeaders);
    secureBase = `https://127.0.0.1:${await listen(httpsServer)}`;
    keepAliveAgent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    undiciTlsAgent = new undici.Agent({ connect: { ca: tls.cert } });
  });

  after(async () => {
    uninstallOutbound();
    keepAliveAgent.destroy();
    await undiciTlsAgent.close();
    await closeServer(httpServer);
    await closeServer(httpsServer);
    fs.rmSync(tmpDir, { recursive: true, force: true });
  });

  afterEach(() => {
    uninstallOutbound();
    assert.equal(isOutboundInstalled(), false);
  });

  // Every client the module must cover, each returning the headers the server received.
  const clients = {
    'http.request(options)': (extra = {}) => viaCallback((cb) => {
      const url = new URL(base);
      return http.request({ host: url.hostname, port: url.port, path: '/a', headers: extra }, cb);
    }),
    'http.request(url, options) over a keep-alive agent': (extra = {}) => viaCallback(
      (cb) => http.request(`${base}/b`, { agent: keepAliveAgent, headers: extra }, cb)),
    'http.get(URL, options)': (extra = {}) => viaCallback((cb) => http.get(new URL(`${base}/c`), { headers: extra }, cb)),
    'https.request(url, options)': (extra = {}) => viaCallback(
      (cb) => https.request(`${secureBase}/d`, { ca: tls.cert, headers: extra }, cb)),
    'https.get(options)': (extra = {}) => viaCallback((cb) => {
      const url = new URL(secureBase);
      return https.get({ host: url.hostname, port: url.port, path: '/e', ca: tls.cert, headers: extra }, cb);
    }),
    'global fetch': async (extra = {}) => (await fetch(`${base}/f`, { headers: extra })).json(),
    'undici.request (https)': async (extra = {}) => {
      const { body } = await undici.request(`${secureBase}/g`, { headers: extra, dispatcher: undiciTlsAgent });
      return body.json();
    },
    'undici.fetch': async (extra = {}) => (await undici.fetch(`${base}/h`, { headers: extra })).json(),
  };

  const modes = httpCreatedChannelAvailable() ? ['channel', 'patch'] : ['patch'];

  for (const mode of modes) {
    describe(`with http mode "${mode}"`, () => {
      let handle;
      beforeEach(() => {
        handle = installOutbound({ mode });
        assert.equal(handle.mechanism.http, mode);
        assert.equal(handle.mechanism.fetch, 'channel');
        if (mode === 'channel') assert.equal(http.request, ORIGINALS.httpRequest, 'channel mode patches nothing');
      });

      for (const [name, call] of Object.entries(clients)) {
        describe(name, () => {
          it('inside a context: x-request-id, traceparent and tracestate from the context', async () => {
            const seen = await requestContext.run(FULL_CTX, () => call());
            assert.equal(seen['x-request-id'], 'req-full-1');
            assert.equal(seen.traceparent, `00-${TRACE_ID}-${SPAN_ID}-00`);
            assert.equal(seen.tracestate, FULL_CTX.traceState);
          });

          it('outside a context: nothing added', async () => {
            const seen = await call();
            assert.equal(seen['x-request-id'], undefined);
            assert.equal(seen.traceparent, undefined);
            assert.equal(seen.tracestate, undefined);
          });

          it('never overrides a header the caller set, whatever its case', async () => {
            const seen = await requestContext.run(FULL_CTX, () => call({
              'X-Request-ID': 'caller-id', TraceParent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`,
            }));
            assert.equal(seen['x-request-id'], 'caller-id');
            assert.equal(seen.traceparent, `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`);
            assert.equal(seen.tracestate, undefined, 'tracestate belongs to the caller\'s traceparent');
          });

          it('a context without trace ids sends x-request-id only', async () => {
            const seen = await requestContext.run({ requestId: 'no-trace' }, () => call());
            assert.equal(seen['x-request-id'], 'no-trace');
            assert.equal(seen.traceparent, undefined);
            assert.equal(seen.tracestate, undefined);
          });
        });
      }

      it('missing traceFlags default to 01; an invalid tracestate is not sent', async () => {
        const ctx = { requestId: 'r', traceId: TRACE_ID, spanId: SPAN_ID, traceState: 'Not Valid!' };
        const seen = await requestContext.run(ctx, () => clients['global fetch']());
        assert.equal(seen.traceparent, `00-${TRACE_ID}-${SPAN_ID}-01`);
        assert.equal(seen.tracestate, undefined);
        const viaHttp = await requestContext.run(ctx, () => clients['http.request(options)']());
        assert.equal(viaHttp.traceparent, `00-${TRACE_ID}-${SPAN_ID}-01`);
      });

      it('a context that lasts across awaits and timers still propagates', async () => {
        const seen = await requestContext.run(FULL_CTX, async () => {
          await sleep(2);
          await new Promise((resolve) => setImmediate(resolve));
          return new Promise((resolve, reject) => {
            setTimeout(() => clients['http.get(URL, options)']().then(resolve, reject), 1);
          });
        });
        assert.equal(seen['x-request-id'], 'req-full-1');
      });

      it('100 concurrent contexts each send their own id (http keep-alive and fetch)', async () => {
        const names = ['http.request(url, options) over a keep-alive agent', 'global fetch', 'http.request(options)'];
        const results = await Promise.all(Array.from({ length: 100 }, (_, i) => requestContext.run(
          { requestId: `concurrent-${i}`, traceId: TRACE_ID, spanId: (i + 1).toString(16).padStart(16, '0') },
          async () => {
            await sleep(Math.floor(Math.random() * 5));
            return clients[names[i % names.length]]();
          })));
        results.forEach((seen, i) => {
          assert.equal(seen['x-request-id'], `concurrent-${i}`);
          assert.equal(seen.traceparent, `00-${TRACE_ID}-${(i + 1).toString(16).padStart(16, '0')}-01`);
        });
      });

      it('the caller\'s options object is never modified; a callback-only call works', async () => {
        const options = { host: '127.0.0.1', port: new URL(base).port, path: '/x', headers: { 'x-a': '1' } };
        const seen = await requestContext.run(FULL_CTX, () => viaCallback((cb) => http.request(options, cb)));
        assert.equal(seen['x-request-id'], 'req-full-1');
        assert.deepEqual(options.headers, { 'x-a': '1' });
        const plain = await requestContext.run(FULL_CTX, () => viaCallback((cb) => http.get(`${base}/y`, cb)));
        assert.equal(plain['x-request-id'], 'req-full-1');
        assert.equal(plain['x-a'], undefined);
      });

      it('raw-array headers: the caller\'s headers always arrive; ours only where Node allows', async () => {
        const { port } = new URL(base);
        const seen = await requestContext.run(FULL_CTX, () => viaCallback((cb) => http.request(
          { host: '127.0.0.1', port, path: '/raw', headers: ['Host', `127.0.0.1:${port}`, 'X-Raw', 'yes'] }, cb)));
        assert.equal(seen['x-raw'], 'yes');
        // Node renders raw-array headers in the ClientRequest constructor, before any channel
        // subscriber runs: only the wrapping mechanism can add to them.
        assert.equal(seen['x-request-id'], mode === 'patch' ? 'req-full-1' : undefined);
      });
    });
  }

  it('uninstall restores http.request/get and https.request/get exactly and adds nothing after', async () => {
    const handle = installOutbound({ mode: 'patch' });
    assert.notEqual(http.request, ORIGINALS.httpRequest);
    assert.notEqual(https.get, ORIGINALS.httpsGet);
    assert.equal(http.request.name, ORIGINALS.httpRequest.name);
    handle.uninstall();
    assert.equal(http.request, ORIGINALS.httpRequest);
    assert.equal(http.get, ORIGINALS.httpGet);
    assert.equal(https.request, ORIGINALS.httpsRequest);
    assert.equal(https.get, ORIGINALS.httpsGet);
    for (const [name, call] of Object.entries(clients)) {
      const seen = await requestContext.run(FULL_CTX, () => call());
      assert.equal(seen['x-request-id'], undefined, name);
      assert.equal(seen.traceparent, undefined, name);
    }
  });

  it('uninstall in auto mode leaves nothing subscribed or patched', async () => {
    const dc = require('node:diagnostics_channel');
    const hadUndiciSubscribers = dc.channel('undici:request:create').hasSubscribers;
    const handle = installOutbound();
    assert.equal(dc.channel('undici:request:create').hasSubscribers, true);
    handle.uninstall();
    assert.equal(dc.channel('undici:request:create').hasSubscribers, hadUndiciSubscribers);
    assert.equal(dc.channel('http.client.request.created').hasSubscribers, false);
    assert.equal(http.request, ORIGINALS.httpRequest);
    const seen = await requestContext.run(FULL_CTX, () => clients['global fetch']());
    assert.equal(seen['x-request-id'], undefined);
  });

  it('installing twice is reference-counted; handle.uninstall() twice counts once', async () => {
    const first = installOutbound();
    const second = installOutbound();
    assert.equal(first.mechanism, second.mechanism);
    const once = await requestContext.run(FULL_CTX, () => clients['http.request(options)']());
    assert.equal(once['x-request-id'], 'req-full-1', 'two installations add the header once');
    first.uninstall();
    first.uninstall();
    assert.equal(isOutboundInstalled(), true);
    const still = await requestContext.run(FULL_CTX, () => clients['global fetch']());
    assert.equal(still['x-request-id'], 'req-full-1');
    second.uninstall();
    assert.equal(isOutboundInstalled(), false);
    const after = await requestContext.run(FULL_CTX, () => clients['global fetch']());
    assert.equal(after['x-request-id'], undefined);
  });

  it('uninstallOutbound() removes every installation at once; old handles become no-ops', async () => {
    const a = installOutbound();
    installOutbound({ requestIdHeader: 'x-correlation-id' });
    uninstallOutbound();
    assert.equal(isOutboundInstalled(), false);
    assert.equal(http.request, ORIGINALS.httpRequest);
    const fresh = installOutbound();
    a.uninstall();
    assert.equal(isOutboundInstalled(), true, 'a stale handle does not remove the new installation');
    fresh.uninstall();
    assert.equal(isOutboundInstalled(), false);
  });

  it('options: header name, traceparent off, another context; each installation adds its own', async () => {
    const jobs = createContext({ name: 'JobContext' });
    installOutbound({ requestIdHeader: 'X-Correlation-Id', traceparent: false });
    installOutbound({ context: jobs, requestIdHeader: 'x-job-id' });
    const seen = await requestContext.run(FULL_CTX, () => jobs.run(
      { requestId: 'job-7', traceId: TRACE_ID, spanId: 'aaaaaaaaaaaaaaaa' }, () => clients['http.get(URL, options)']()));
    assert.equal(seen['x-correlation-id'], 'req-full-1');
    assert.equal(seen['x-job-id'], 'job-7');
    assert.equal(seen['x-request-id'], undefined);
    assert.equal(seen.traceparent, `00-${TRACE_ID}-aaaaaaaaaaaaaaaa-01`, 'only the job installation sends traceparent');
    const onlyRequest = await requestContext.run(FULL_CTX, () => clients['undici.fetch']());
    assert.equal(onlyRequest['x-correlation-id'], 'req-full-1');
    assert.equal(onlyRequest['x-job-id'], undefined);
    assert.equal(onlyRequest.traceparent, undefined);
  });

  it('a request id that is not a safe header value is not sent; the request still succeeds', async () => {
    installOutbound();
    const seen = await requestContext.run({ requestId: 'has space\u00e9' }, () => clients['http.request(options)']());
    assert.equal(seen['x-request-id'], undefined);
    const fetched = await requestContext.run({ requestId: 42 }, () => clients['global fetch']());
    assert.equal(fetched['x-request-id'], undefined);
  });

  it('forwards exactly the request ids ingress accepts (one rule: 1-128 safe characters)', async () => {
    const { isValidRequestId } = require('ctxframe/http');
    installOutbound();
    const cases = ['a', 'x'.repeat(128), 'x'.repeat(129), 'x'.repeat(1024), 'id"quoted', 'id<tag>', 'a/b:c=d@e+f.g_h-i', 'semi;colon'];
    for (const id of cases) {
      const seen = await requestContext.run({ requestId: id }, () => clients['http.request(options)']());
      const fetched = await requestContext.run({ requestId: id }, () => clients['global fetch']());
      const expected = isValidRequestId(id) ? id : undefined;
      assert.equal(seen['x-request-id'], expected, `http: ${id.slice(0, 20)}`);
      assert.equal(fetched['x-request-id'], expected, `fetch: ${id.slice(0, 20)}`);
    }
    assert.equal(isValidRequestId('x'.repeat(128)), true);
    assert.equal(isValidRequestId('x'.repeat(129)), false);
    assert.equal(isValidRequestId('id"quoted'), false);
  });

  it('a context whose currentOrNull() throws adds nothing, warns once and breaks no request', async () => {
    const warnings = [];
    const onWarning = (w) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      installOutbound({ context: { currentOrNull() { throw new Error('broken context'); } } });
      installOutbound();
      const viaFetch = await requestContext.run(FULL_CTX, () => clients['global fetch']());
      const viaHttp = await requestContext.run(FULL_CTX, () => clients['http.request(options)']());
      assert.equal(viaFetch['x-request-id'], 'req-full-1', 'the healthy installation still works');
      assert.equal(viaHttp['x-request-id'], 'req-full-1');
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(warnings.filter((w) => w.code === 'CTXFRAME_OUTBOUND_CONTEXT_ERROR').length, 1);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('bad options throw with stable codes and install nothing', () => {
    assert.throws(() => installOutbound(null), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => installOutbound({ context: {} }), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => installOutbound({ requestIdHeader: 'bad header' }), { code: 'ERR_INVALID_ARG_VALUE' });
    assert.throws(() => installOutbound({ requestIdHeader: 7 }), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => installOutbound({ traceparent: 'yes' }), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => installOutbound({ mode: 'magic' }), { code: 'ERR_INVALID_ARG_VALUE' });
    assert.equal(isOutboundInstalled(), false);
  });

  it('conflicting explicit modes are refused; channel mode is refused where Node lacks the channel', () => {
    const handle = installOutbound({ mode: 'patch' });
    assert.throws(() => installOutbound({ mode: 'channel' }), { code: 'CTXFRAME_OUTBOUND_MODE_CONFLICT' });
    const auto = installOutbound({ mode: 'auto' });
    assert.equal(auto.mechanism.http, 'patch', 'auto joins whatever is installed');
    handle.uninstall();
    auto.uninstall();
    assert.equal(isOutboundInstalled(), false);
    if (httpCreatedChannelAvailable()) {
      assert.equal(installOutbound().mechanism.http, 'channel', 'auto prefers the channel');
    } else {
      assert.throws(() => installOutbound({ mode: 'channel' }), { code: 'CTXFRAME_OUTBOUND_UNSUPPORTED' });
      assert.equal(installOutbound().mechanism.http, 'patch');
    }
  });

  it('patch mode reaches ESM named imports of node:http, and restores them', () => {
    const script = path.join(tmpDir, 'esm-named-import.mjs');
    fs.writeFileSync(script, `
      import { request, createServer } from 'node:http';
      import { createRequire } from 'node:module';
      const require = createRequire(${JSON.stringify(__filename)});
      const { installOutbound } = require('ctxframe/outbound');
      const { requestContext } = require('ctxframe/context');
      const originalRequest = request;
      const handle = installOutbound({ mode: 'patch' });
      const patched = request !== originalRequest;
      const server = createServer((req, res) => res.end(String(req.headers['x-request-id'])));
      server.listen(0, '127.0.0.1', () => requestContext.run({ requestId: 'esm-1' }, () => {
        request({ host: '127.0.0.1', port: server.address().port }, (res) => {
          let body = '';
          res.on('data', (d) => { body += d; });
          res.on('end', () => {
            handle.uninstall();
            console.log(JSON.stringify({ patched, body, restored: request === originalRequest }));
            server.close();
          });
        }).end();
      }));`);
    const out = JSON.parse(execFileSync(process.execPath, [...process.execArgv, script], { encoding: 'utf8', timeout: 20000 }));
    assert.deepEqual(out, { patched: true, body: 'esm-1', restored: true });
  });

  it('end to end with ctxframe/http ingress: the callee continues the caller\'s trace in its own context', async () => {
    const { withRequestContext } = require('ctxframe/http');
    const { Writable } = require('node:stream');
    const pino = require('pino');
    const { pinoMixin } = require('ctxframe/pino');
    const logLines = [];
    const log = pino({ mixin: pinoMixin() }, new Writable({
      write(chunk, _enc, cb) { logLines.push(JSON.parse(chunk)); cb(); },
    }));
    installOutbound();
    const callee = http.createServer(withRequestContext((req, res) => {
      log.info('callee');
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(requestContext.current()));
    }));
    const calleeBase = `http://127.0.0.1:${await listen(callee)}`;
    const caller = http.createServer(withRequestContext(async (req, res) => {
      const viaFetch = await (await fetch(`${calleeBase}/f`)).json();
      const viaHttp = await viaCallback((cb) => http.get(`${calleeBase}/h`, { agent: keepAliveAgent }, cb));
      log.info('caller');
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ own: requestContext.current(), viaFetch, viaHttp }));
    }));
    const callerBase = `http://127.0.0.1:${await listen(caller)}`;
    try {
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => fetch(`${callerBase}/${i}`, {
        headers: { 'x-request-id': `e2e-${i}` },
      }).then((r) => r.json())));
      results.forEach(({ own, viaFetch, viaHttp }, i) => {
        assert.equal(own.requestId, `e2e-${i}`);
        for (const callee of [viaFetch, viaHttp]) {
          assert.equal(callee.requestId, own.requestId);
          assert.equal(callee.traceId, own.traceId);
          assert.equal(callee.parentSpanId, own.spanId);
          assert.notEqual(callee.spanId, own.spanId, 'the callee has its own span, not the caller\'s context');
        }
      });
      assert.equal(logLines.length, 60);
      for (const line of logLines) assert.match(line.requestId, /^e2e-\d+$/);
    } finally {
      await closeServer(caller);
      await closeServer(callee);
    }
  });

  it('a wrapper someone installed on top of ours survives uninstall; ours goes inert', async () => {
    const handle = installOutbound({ mode: 'patch' });
    const ours = http.request;
    let theirsCalls = 0;
    const theirs = function (...args) { theirsCalls++; return ours.apply(this, args); };
    http.request = theirs;
    try {
      handle.uninstall();
      assert.equal(http.request, theirs);
      const seen = await requestContext.run(FULL_CTX, () => clients['http.request(options)']());
      assert.equal(theirsCalls, 1);
      assert.equal(seen['x-request-id'], undefined);
    } finally {
      http.request = ORIGINALS.httpRequest;
    }
  });
});
