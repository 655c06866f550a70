'use strict';
// ctxframe/http. Owns: request context ingress for plain node:http servers:
// withRequestContext(handler, options) wraps a request handler, createIngress(options)
// returns a connect-style (req, res, next) function (both made by server.js);
// count()/requestMetrics() are the per-request metrics every framework module re-exports.

const { createServerIngress, wrapRequestHandler } = require('./server.js');
const { count, requestMetrics } = require('./metrics.js');
const { isValidRequestId, validateFunction } = require('../../validators.js');
const { checkFactoryCall } = require('./options.js');

// createIngress(options) -> ingress(req, res, next): next() runs inside the request's context.
// A next() that throws or rejects gets a 500 JSON answer (server.js).
function createIngress(options) {
  checkFactoryCall('createIngress', options, arguments.length, 'app.use(createIngress({ ...options }))');
  return createServerIngress(options, undefined);
}

// withRequestContext(handler, options) -> (req, res) => void, for http.createServer(...).
function withRequestContext(handler, options) {
  checkFactoryCall('withRequestContext', handler, arguments.length, 'http.createServer(withRequestContext(handler, { ...options }))');
  validateFunction('handler', handler);
  return wrapRequestHandler(handler, options, undefined);
}

module.exports = {
  withRequestContext,
  createIngress,
  count,
  requestMetrics,
  isValidRequestId,
};
