'use strict';
// ctxframe/fastify. Owns: request context ingress as a Fastify plugin (tested with Fastify 5). Does not require
// fastify: the plugin uses fastify-plugin semantics (Symbol.for('skip-override')) so its
// onRequest hook applies to the whole app. Register it before any other onRequest hook.

const { createIngressCore } = require('./core.js');
const { count, requestMetrics } = require('./metrics.js');
const { isThenable, isValidRequestId } = require('../../validators.js');

function fastifyRoute(request) {
  const options = request.routeOptions;
  if (options && typeof options.url === 'string') return options.url;
  return request.routerPath; // Fastify 4
}

const adapter = {
  proceed: (r) => r.next(),
  reject: (r, status, body) => {
    r.reply.code(status).type('application/json; charset=utf-8').send(JSON.stringify(body));
  },
  route: (r) => fastifyRoute(r.request),
};

function fastifyRequestContext(fastify, options, done) {
  let core;
  try {
    // Fastify passes register() options; drop its own keys before validating ours.
    const { prefix, logLevel, logSerializers, ...ours } = options || {}; // eslint-disable-line no-unused-vars
    core = createIngressCore(ours);
  } catch (err) {
    done(err);
    return;
  }
  // Callback-style hook: done() is called inside the request's context, so every later
  // hook, the body parser, the handler, onSend and onResponse are created inside it.
  fastify.addHook('onRequest', function ctxframeOnRequest(request, reply, next) {
    // Enters the request's context (IngressRequest.run in core.js) and calls proceed() inside it.
    const result = core.enter(request.raw, reply.raw, adapter, request, next, reply);
    if (isThenable(result)) {
      result.then(undefined, next);
    }
  });
  done();
}

fastifyRequestContext[Symbol.for('skip-override')] = true;
fastifyRequestContext[Symbol.for('fastify.display-name')] = 'ctxframe-request-context';
fastifyRequestContext[Symbol.for('plugin-meta')] = { name: 'ctxframe-request-context', fastify: '>=4' };

module.exports = {
  fastifyRequestContext,
  default: fastifyRequestContext,
  count,
  requestMetrics,
  isValidRequestId,
};
