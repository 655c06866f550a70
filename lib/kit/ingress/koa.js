'use strict';
// ctxframe/koa. Owns: request context ingress as a Koa middleware (tested with Koa 3). Does not require koa.
// Use it first: app.use(requestContextMiddleware(options)). resolve() receives Koa's ctx.

const { createIngressCore } = require('./core.js');
const { count, requestMetrics } = require('./metrics.js');
const { isValidRequestId } = require('../../validators.js');

function requestContextMiddleware(options) {
  const core = createIngressCore(options);
  const header = core.options.header;
  return function ctxframeRequestContext(ctx, next) {
    // Enters the request's context (IngressRequest.run in core.js) and calls proceed() inside it.
    return core.enter(ctx.req, ctx.res, {
      request: ctx,
      proceed: () => next().then(undefined, (err) => {
        // Koa's default error handler clears every header, then sets err.headers: keep the id.
        const requestId = ctx.res.getHeader(header);
        if (requestId !== undefined && err !== null && typeof err === 'object') {
          try {
            err.headers = Object.assign({}, err.headers, { [header]: requestId });
          } catch {
            // a frozen error object keeps its own headers
          }
        }
        throw err;
      }),
      reject: (status, body) => {
        ctx.status = status;
        ctx.type = 'application/json; charset=utf-8';
        ctx.body = JSON.stringify(body);
      },
      // @koa/router sets ctx._matchedRoute (string) and ctx.routerPath
      route: () => (typeof ctx._matchedRoute === 'string' ? ctx._matchedRoute : ctx.routerPath),
    });
  };
}

module.exports = {
  requestContextMiddleware,
  count,
  requestMetrics,
  isValidRequestId,
};
