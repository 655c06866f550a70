'use strict';
// Example: a bare node:http service with ctxframe request context, a tiny JSON logger that
// reads the context, and per-request metrics reported when each response ends.
// Run: node examples/http-service.js   (PORT, HOST optional)
//   curl -H 'x-tenant-id: acme' -H 'content-type: application/json' -d '{"n":1}' http://127.0.0.1:3002/events

const http = require('node:http');
const { withRequestContext, count } = require('ctxframe/http');
const { requestContext } = require('ctxframe/context');

function createLogger(stream) {
  return (msg, fields = {}) => {
    const ctx = requestContext.currentOrNull();
    const line = { msg, ...fields, requestId: ctx ? ctx.requestId : undefined, tenantId: ctx ? ctx.tenantId : undefined };
    stream.write(`${JSON.stringify(line)}\n`);
  };
}

function readJson(req) {
  return new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => { text += chunk; });
    req.on('end', () => {
      try { resolve(text ? JSON.parse(text) : null); } catch (err) { reject(err); }
    });
    req.on('error', reject);
  });
}

// start({ port, host, logStream }) -> Promise<{ url, server, close() }>
async function start(options = {}) {
  const log = createLogger(options.logStream || process.stdout);
  const handler = withRequestContext(async (req, res) => {
    if (req.method !== 'POST' || req.url !== '/events') {
      res.statusCode = 404;
      res.end();
      return;
    }
    const event = await readJson(req); // 'data'/'end' run in the request's context too
    log('event received', { event });
    count('eventsStored');
    await new Promise((resolve) => setTimeout(resolve, 2)); // a write to storage
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ stored: true, context: requestContext.current() }));
  }, {
    resolve: (req) => ({ tenantId: req.headers['x-tenant-id'] }),
    requireTenant: true,
    onRequestEnd: (summary) => log('request finished', { summary }),
  });
  const server = http.createServer(handler);
  await new Promise((resolve) => server.listen(options.port ?? 3002, options.host || '127.0.0.1', resolve));
  const url = `http://${server.address().address}:${server.address().port}`;
  log('listening', { url });
  return {
    url,
    server,
    close: () => new Promise((resolve) => {
      server.close(resolve);
      server.closeAllConnections();
    }),
  };
}

if (require.main === module) {
  start({ port: Number(process.env.PORT || 3002), host: process.env.HOST }).then(({ close }) => {
    for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => close());
  });
}

module.exports = { start };
