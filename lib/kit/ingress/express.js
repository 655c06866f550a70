'use strict';
// ctxframe/express. Owns: request context ingress as an Express middleware (tested with Express 5). Does not
// require express: the middleware is a plain (req, res, next) function. Mount it first.

const { createIngressCore } = require('./core.js');
const { count, requestMetrics } = require('./metrics.js');
const { isThenable, isValidRequestId } = require('../../validators.js');

// The matched route pattern, e.g. "/api/users/:id"; undefined when no route matched.
function expressRoute(req) {
  const route = req.route;
  if (!route || typeof route.path !== 'string') return undefined;
  return `${req.baseUrl || ''}${route.path}`;
}

const adapter = {
  proceed: (r) => r.next(),
  route: (r) => expressRoute(r.req),
};

function requestContextMiddleware(options) {
  const core = createIngressCore(options);
  return function ctxframeRequestContext(req, res, next) {
    // Enters the request's context (IngressRequest.run in core.js) and calls proceed() inside it.
    const result = core.enter(req, res, adapter, req, next, undefined);
    if (isThenable(result)) {
      result.then(undefined, next);
    }
  };
}

module.exports = {
  requestContextMiddleware,
  count,
  requestMetrics,
  isValidRequestId,
};
