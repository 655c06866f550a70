'use strict';
// ctxframe/koa. Owns: request context ingress as a Koa middleware (tested with Koa 3). Does not require koa.
// Use it first: app.use(requestContextMiddleware(options)). resolve() receives Koa's ctx.

const { createIngressCore } = require('./core.js');
const { count, requestMetrics } = require('./metrics.js');
const { isValidRequestId } = require('../../validators.js');
const { checkFactoryCall } = require('./options.js');

// Koa's default error handler clears every header, then sets err.headers: keep the id.
function keepRequestId(ctx, header, err) {
  const requestId = ctx.res.getHeader(header);
  if (requestId !== undefined && err !== null && typeof err === 'object') {
    try {
      err.headers = Object.assign({}, err.headers, { [header]: requestId });
    } catch {
      // a frozen error object keeps its own headers
    }
  }
  throw err;
}

const koaAdapter = (header) => ({
  proceed: (r) => r.next().then(undefined, (err) => keepRequestId(r.request, header, err)),
  reject: (r, status, body) => {
    const ctx = r.request;
    ctx.status = status;
    ctx.type = 'application/json; charset=utf-8';
    ctx.body = JSON.stringify(body);
  },
  // @koa/router sets ctx._matchedRoute (string) and ctx.routerPath
  route: (r) => (typeof r.request._matchedRoute === 'string' ? r.request._matchedRoute : r.request.routerPath),
});

function requestContextMiddleware(options) {
  checkFactoryCall('requestContextMiddleware', options, arguments.length, 'app.use(requestContextMiddleware({ ...options }))');
  const core = createIngressCore(options);
  const adapter = koaAdapter(core.options.header);
  return function ctxframeRequestContext(ctx, next) {
    // Enters the request's context (IngressRequest.run in core.js) and calls proceed() inside it.
    return core.enter(ctx.req, ctx.res, adapter, ctx, next, undefined);
  };
}

module.exports = {
  requestContextMiddleware,
  count,
  requestMetrics,
  isValidRequestId,
};
