'use strict';
// Example: an Express 5 service with ctxframe request context, pino logs that carry the
// request id and tenant on every line, and an outbound call that propagates x-request-id and
// traceparent. Run: node examples/express-service.js   (PORT, HOST, UPSTREAM_URL optional)
//   curl -H 'x-tenant-id: acme' http://127.0.0.1:3000/orders/42

const http = require('node:http');
const express = require('express');
const pino = require('pino');
const { requestContextMiddleware, count } = require('ctxframe/express');
const { requestContext } = require('ctxframe/context');
const { pinoMixin } = require('ctxframe/pino');
const { installOutbound } = require('ctxframe/outbound');

function createApp({ logger, upstreamUrl }) {
  const app = express();
  app.use(requestContextMiddleware({
    resolve: (req) => ({ tenantId: req.get('x-tenant-id'), userId: req.get('x-user-id') }),
    requireTenant: true,
    onRequestEnd: (summary) => logger.info({ summary }, 'request finished'),
  }));

  // The "stock" endpoint other services (and this one) call.
  app.get('/internal/stock/:sku', (req, res) => {
    logger.info({ sku: req.params.sku }, 'stock lookup');
    res.json({ sku: req.params.sku, available: 7, seenBy: requestContext.current() });
  });

  app.get('/orders/:id', async (req, res) => {
    logger.info({ orderId: req.params.id }, 'loading order');
    count('dbQueries'); // a repository would do this
    // x-request-id, traceparent and the tenant header go out on this call.
    const stockRes = await fetch(`${upstreamUrl()}/internal/stock/sku-${req.params.id}`, {
      headers: { 'x-tenant-id': requestContext.get('tenantId') },
    });
    const stock = await stockRes.json();
    logger.info({ available: stock.available }, 'order loaded');
    res.json({ orderId: req.params.id, stock, context: requestContext.current() });
  });
  return app;
}

// start({ port, host, logStream, upstreamUrl }) -> Promise<{ url, server, close() }>
async function start(options = {}) {
  const logger = pino({ mixin: pinoMixin(), base: { service: 'orders' } }, options.logStream || process.stdout);
  const outbound = installOutbound();
  let url;
  const app = createApp({ logger, upstreamUrl: () => options.upstreamUrl || url });
  const server = http.createServer(app);
  await new Promise((resolve) => server.listen(options.port ?? 3000, options.host || '127.0.0.1', resolve));
  url = `http://${server.address().address}:${server.address().port}`;
  logger.info({ url }, 'listening');
  return {
    url,
    server,
    close: () => new Promise((resolve) => {
      outbound.uninstall();
      server.close(resolve);
      server.closeAllConnections();
    }),
  };
}

if (require.main === module) {
  start({ port: Number(process.env.PORT || 3000), host: process.env.HOST, upstreamUrl: process.env.UPSTREAM_URL })
    .then(({ close }) => {
      for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => close());
    });
}

module.exports = { start };
