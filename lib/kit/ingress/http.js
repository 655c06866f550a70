'use strict';
// ctxframe/http. Owns: request context ingress for plain node:http servers:
// withRequestContext(handler, options) wraps a request handler, createIngress(options)
// returns a connect-style (req, res, next) function; count()/requestMetrics() are the
// per-request metrics every framework module re-exports.

const { createIngressCore, sendJson } = require('./core.js');
const { count, requestMetrics } = require('./metrics.js');
const { isThenable, isValidRequestId, validateFunction } = require('../../validators.js');
const { emitWarning } = require('../../errors.js');

// A handler that throws or rejects gets a 500 JSON answer if nothing was sent yet,
// otherwise its response is destroyed; the process never crashes.
function handleFailure(core, req, res, err) {
  const { onError } = core.options;
  try {
    if (onError) onError(err, 'handler');
    else emitWarning('CTXFRAME_INGRESS_ERROR', `ctxframe ingress: handler for ${req.method} ${req.url} failed: ${err && err.stack ? err.stack : err}`);
  } catch {
    // a failing reporter must not crash the server
  }
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

// createIngress(options) -> ingress(req, res, next): next() runs inside the request's context.
function createIngress(options) {
  const core = createIngressCore(options);
  const adapter = { proceed: (r) => callGuarded(core, r.req, r.res, r.next) };
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

// withRequestContext(handler, options) -> (req, res) => void, for http.createServer(...).
function withRequestContext(handler, options) {
  validateFunction('handler', handler);
  const ingress = createIngress(options);
  return function requestContextHandler(req, res) {
    ingress(req, res, () => handler.call(this, req, res));
  };
}

module.exports = {
  withRequestContext,
  createIngress,
  count,
  requestMetrics,
  isValidRequestId,
};
