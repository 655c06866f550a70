'use strict';
// ctxframe/fastify. Owns: request context ingress as a Fastify plugin (tested with Fastify 5). Does not require
// fastify: the plugin uses fastify-plugin semantics (Symbol.for('skip-override')) so its
// onRequest hook applies to the whole app. Register it before any other onRequest hook.

const { createIngressCore } = require('./core.js');
const { count, requestMetrics } = require('./metrics.js');
const { isThenable, isValidRequestId, validateBoolean } = require('../../validators.js');
const { invalidArgType, invalidArgValue } = require('../../errors.js');

function fastifyRoute(request) {
  const options = request.routeOptions;
  if (options && typeof options.url === 'string') return options.url;
  return request.routerPath; // Fastify 4
}

const adapter = {
  proceed: (r) => r.next(),
  // Fastify made request.id with the plugin's genReqId (fastifyRequestId): the same id.
  requestId: (r) => (isValidRequestId(r.request.id) ? r.request.id : undefined),
  reject: (r, status, body) => {
    r.reply.code(status).type('application/json; charset=utf-8').send(JSON.stringify(body));
  },
  route: (r) => fastifyRoute(r.request),
};

const ownIdsAdapter = { ...adapter, requestId: undefined };

function fastifyRequestContext(fastify, options, done) {
  if (fastify === null || typeof fastify !== 'object' || typeof fastify.addHook !== 'function') {
    throw invalidArgType('fastify', 'a Fastify instance: fastifyRequestContext is a plugin, ' +
      'register it with app.register(fastifyRequestContext, { ...options }) instead of calling it', fastify);
  }
  let core;
  let oneId;
  try {
    // Fastify passes register() options; drop its own keys before validating ours.
    const { prefix, logLevel, logSerializers, ...ours } = options || {}; // eslint-disable-line no-unused-vars
    const { fastifyRequestId, ...common } = ours;
    oneId = validateBoolean('options.fastifyRequestId', fastifyRequestId, true) &&
      typeof fastify.setGenReqId === 'function'; // Fastify 4.x before setGenReqId: two ids
    core = createIngressCore(common, ['fastifyRequestId']);
    const config = fastify.initialConfig || {};
    if (oneId && config.requestIdHeader) {
      throw invalidArgValue('options.fastifyRequestId', true,
        `cannot be used with Fastify's requestIdHeader (${JSON.stringify(config.requestIdHeader)}), which takes ` +
        'the inbound header unchecked: remove requestIdHeader (ctxframe reads options.header, checked and ' +
        'governed by trustRequestId) or pass fastifyRequestId: false');
    }
  } catch (err) {
    done(err);
    return;
  }
  // One id: Fastify's request.id (reqId in its log lines, "incoming request" included) is the
  // context's requestId, made by the ingress's rules (inbound header, trustRequestId,
  // generateRequestId) when Fastify creates the request.
  if (oneId) fastify.setGenReqId((req) => core.requestIdOf(req));
  const hookAdapter = oneId ? adapter : ownIdsAdapter;
  // Callback-style hook: done() is called inside the request's context, so every later
  // hook, the body parser, the handler, onSend and onResponse are created inside it.
  fastify.addHook('onRequest', function ctxframeOnRequest(request, reply, next) {
    // Enters the request's context (IngressRequest.run in core.js) and calls proceed() inside it.
    const result = core.enter(request.raw, reply.raw, hookAdapter, request, next, reply);
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
