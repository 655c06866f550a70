'use strict';
// Example: a Fastify 5 service with ctxframe request context. Fastify's own pino logger gets
// the context fields through pinoMixin, so request logs and handler logs carry the request id
// and tenant. Run: node examples/fastify-service.js   (PORT, HOST optional)
//   curl -H 'x-tenant-id: acme' http://127.0.0.1:3001/projects/7

const Fastify = require('fastify');
const { fastifyRequestContext, count, requestMetrics } = require('ctxframe/fastify');
const { requestContext } = require('ctxframe/context');
const { pinoMixin } = require('ctxframe/pino');

async function loadProject(id) {
  requestContext.assertContext('loadProject'); // never runs without a tenant
  count('dbQueries');
  await new Promise((resolve) => setTimeout(resolve, 5));
  return { id, tenantId: requestContext.get('tenantId'), name: `project ${id}` };
}

// start({ port, host, logStream }) -> Promise<{ url, app, close() }>
async function start(options = {}) {
  const app = Fastify({
    logger: { mixin: pinoMixin(), base: { service: 'projects' }, stream: options.logStream || process.stdout },
  });
  await app.register(fastifyRequestContext, {
    resolve: (request) => ({ tenantId: request.headers['x-tenant-id'] }),
    requireTenant: true,
    onRequestEnd: (summary) => app.log.info({ summary }, 'request finished'),
  });
  app.addHook('preHandler', async (request) => {
    request.log.info({ route: request.routeOptions.url }, 'authorizing');
  });
  app.get('/projects/:id', async (request) => {
    const project = await loadProject(request.params.id);
    request.log.info({ project: project.id }, 'project loaded');
    return { project, context: requestContext.current(), metrics: requestMetrics() };
  });
  await app.listen({ port: options.port ?? 3001, host: options.host || '127.0.0.1' });
  const { address, port } = app.server.address();
  const url = `http://${address}:${port}`;
  app.log.info({ url }, 'listening');
  return { url, app, close: () => app.close() };
}

if (require.main === module) {
  start({ port: Number(process.env.PORT || 3001), host: process.env.HOST }).then(({ close }) => {
    for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => close());
  });
}

module.exports = { start };
