'use strict';
// ctxframe/express. Owns: request context ingress for Express (tested with Express 5), as its
// first middleware or around the whole app at the server. Does not require express: the
// middleware is a plain (req, res, next) function, the app a plain (req, res) handler.

const { createIngressCore } = require('./core.js');
const { wrapRequestHandler } = require('./server.js');
const { count, requestMetrics } = require('./metrics.js');
const { isThenable, isValidRequestId, validateFunction } = require('../../validators.js');
const { checkFactoryCall } = require('./options.js');

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
  checkFactoryCall('requestContextMiddleware', options, arguments.length, 'app.use(requestContextMiddleware({ ...options }))');
  const core = createIngressCore(options);
  return function ctxframeRequestContext(req, res, next) {
    // Enters the request's context (IngressRequest.run in core.js) and calls proceed() inside it.
    const result = core.enter(req, res, adapter, req, next, undefined);
    if (isThenable(result)) {
      result.then(undefined, next);
    }
  };
}

// withRequestContext(app, options) -> (req, res) => void, for http.createServer(...): the same
// ingress around the whole app. The request's context is entered before Express gives req and
// res prototypes of its own, and Express runs one middleware fewer: on Node 20 and 22, where
// adding a property to an object whose prototype was replaced costs microseconds, this is the
// cheaper form (docs/ingress.md). resolve() receives Node's req (Express's helpers such as
// req.get() come later); a failing resolve() or app answers 500 as ctxframe/http does.
function withRequestContext(app, options) {
  checkFactoryCall('withRequestContext', app, arguments.length, 'http.createServer(withRequestContext(app, { ...options }))');
  validateFunction('app', app);
  return wrapRequestHandler(app, options, adapter.route);
}

module.exports = {
  requestContextMiddleware,
  withRequestContext,
  count,
  requestMetrics,
  isValidRequestId,
};
