'use strict';
// Owns: ingress around a whole node:http request handler — ctxframe/http's withRequestContext and
// createIngress, and ctxframe/express's withRequestContext(app): the handler (or next) runs inside
// the request's context, and one that throws or rejects gets a 500 JSON answer if nothing was sent
// yet, its response destroyed otherwise; the process never crashes.

const { createIngressCore, sendJson } = require('./core.js');
const { isThenable, validateFunction } = require('../../validators.js');

function handleFailure(core, req, res, err) {
  core.report(err, 'handler'); // onError, else a rate-limited CTXFRAME_INGRESS_ERROR warning
  if (!res.headersSent && !res.writableEnded) {
    const requestId = res.getHeader(core.options.header);
    sendJson(res, 500, { error: 'internal_error', message: 'The request could not be processed.', requestId });
  } else if (!res.writableEnded) {
    res.destroy();
  }
}

function callGuarded(core, req, res, fn) {
  let result;
  try {
    result = fn();
  } catch (err) {
    handleFailure(core, req, res, err);
    return undefined;
  }
  if (isThenable(result)) {
    return Promise.resolve(result).then(undefined, (err) => handleFailure(core, req, res, err));
  }
  return result;
}

// createServerIngress(options, route) -> ingress(req, res, next): next() runs inside the request's
// context. route(r): the route pattern at the end of the request (core.js's adapter.route), or
// undefined for the path.
function createServerIngress(options, route) {
  const core = createIngressCore(options);
  const adapter = { proceed: (r) => callGuarded(core, r.req, r.res, r.next), route };
  function ingress(req, res, next) {
    validateFunction('next', next);
    // Enters the request's context (IngressRequest.run in core.js) and calls proceed() inside it.
    const result = core.enter(req, res, adapter, undefined, next, undefined);
    if (isThenable(result)) {
      result.then(undefined, (err) => handleFailure(core, req, res, err));
    }
  }
  ingress.options = core.options;
  return ingress;
}

// wrapRequestHandler(handler, options, route) -> (req, res) => void, for http.createServer(...).
function wrapRequestHandler(handler, options, route) {
  const ingress = createServerIngress(options, route);
  return function requestContextHandler(req, res) {
    ingress(req, res, () => handler.call(this, req, res));
  };
}

module.exports = { createServerIngress, wrapRequestHandler };
