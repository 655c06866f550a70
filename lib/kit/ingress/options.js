'use strict';
// Owns: the ingress options beyond the core's own checks — the list of option names every shape
// accepts (anything else is refused with CTXFRAME_UNKNOWN_OPTION), the error for a middleware
// factory used uncalled (`app.use(requestContextMiddleware)`), and the request-id policy: which
// inbound ids are trusted (`trustRequestId`: true, false, addresses/subnets of trusted proxies,
// or a function) and how new ids are made (`generateRequestId(req)`, default randomUUID()).

const { randomUUID } = require('node:crypto');
const { BlockList, isIP } = require('node:net');
const { invalidArgType, invalidArgValue, withCode } = require('../../errors.js');
const { validateOptions, validateOptionalFunction, isValidRequestId } = require('../../validators.js');

const INGRESS_OPTIONS = Object.freeze([
  'context', 'header', 'responseHeader', 'resolve', 'requireTenant', 'tenantField', 'trace',
  'newTraceFlags', 'openTelemetry', 'traceFrom', 'baggage', 'onRequestEnd', 'metrics', 'onError', 'generateRequestId', 'trustRequestId',
  'warningIntervalMs',
]);

// The options object, checked for unknown names; `extra`: names one shape adds (Fastify's).
function ingressOptions(options, extra) {
  return validateOptions('options', options, extra === undefined ? INGRESS_OPTIONS : [...INGRESS_OPTIONS, ...extra]);
}

// What a framework hands a middleware: Node's IncomingMessage (Express, connect, node:http) or
// Koa's ctx. No options object has a string `method` and an object `headers`.
function looksLikeRequest(value) {
  return value !== null && typeof value === 'object' && typeof value.method === 'string' &&
    value.headers !== null && typeof value.headers === 'object';
}

// `factory` was called by a framework with a request instead of by the app with options: it was
// passed uncalled. `usage` shows the right call.
function checkFactoryCall(factory, first, argCount, usage) {
  if (argCount > 2 || looksLikeRequest(first)) {
    throw withCode(TypeError, 'CTXFRAME_FACTORY_NOT_CALLED',
      `${factory} was called with a request: it makes the middleware and must be called first. ` +
      `Write ${usage}.`, undefined, checkFactoryCall);
  }
}

// trustRequestId -> (req) => boolean, or a constant true/false.
function trustPolicy(value) {
  if (value === undefined || value === true) return true;
  if (value === false) return false;
  if (typeof value === 'function') return value;
  if (!Array.isArray(value)) {
    throw invalidArgType('options.trustRequestId', 'a boolean, a function or an array of addresses and subnets', value);
  }
  const list = new BlockList();
  for (let i = 0; i < value.length; i++) {
    const entry = value[i];
    const [address, prefix, extra] = typeof entry === 'string' ? entry.split('/') : [];
    const family = isIP(address === undefined ? '' : address);
    const bits = family === 4 ? 32 : 128;
    const length = prefix === undefined ? bits : Number(prefix);
    if (family === 0 || extra !== undefined || !/^\d{1,3}$/.test(prefix === undefined ? '0' : prefix) || length > bits) {
      throw invalidArgValue(`options.trustRequestId[${i}]`, entry, 'must be an IPv4 or IPv6 address, or a subnet such as "10.0.0.0/8"');
    }
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (length === bits) list.addAddress(address, type);
    else list.addSubnet(address, length, type);
  }
  return (req) => {
    const socket = req.socket;
    let address = socket ? socket.remoteAddress : undefined;
    if (typeof address !== 'string') return false;
    if (address.startsWith('::ffff:') && isIP(address.slice(7)) === 4) address = address.slice(7);
    const family = isIP(address);
    return family !== 0 && list.check(address, family === 4 ? 'ipv4' : 'ipv6');
  };
}

// requestIdPolicy(options, report) -> idOf(req, inbound): the request's id. `inbound` is the
// header's value when it is one string. A trusted, valid inbound id is kept; otherwise the
// generator makes one. A generator that throws or returns an invalid id is reported
// (report(err, 'generateRequestId')) and the request gets a randomUUID() instead.
function requestIdPolicy(options, report, trust = trustOf(options)) {
  const generate = validateOptionalFunction('options.generateRequestId', options.generateRequestId);
  const fresh = generate === undefined ? () => randomUUID() : (req) => {
    let id;
    try {
      id = generate(req);
    } catch (err) {
      report(err, 'generateRequestId');
      return randomUUID();
    }
    if (isValidRequestId(id)) return id;
    report(invalidArgValue('options.generateRequestId() result', id,
      'must be 1-128 characters from A-Z a-z 0-9 - _ . : / + = @'), 'generateRequestId');
    return randomUUID();
  };
  if (trust === true) return (req, inbound) => (isValidRequestId(inbound) ? inbound : fresh(req));
  if (trust === false) return (req) => fresh(req);
  return (req, inbound) => (isValidRequestId(inbound) && trust(req) ? inbound : fresh(req));
}

// trustRequestId -> true, false, or (req) => boolean asked once per request (its answer is kept
// for that req: the request id, the trace context and the baggage are one decision, and Fastify
// asks for the id before ingress reads the rest).
function trustOf(options) {
  const policy = trustPolicy(options.trustRequestId);
  if (policy === true || policy === false) return policy;
  const answers = new WeakMap();
  return (req) => {
    let trusted = answers.get(req);
    if (trusted === undefined) {
      trusted = policy(req) === true;
      answers.set(req, trusted);
    }
    return trusted;
  };
}

module.exports = { INGRESS_OPTIONS, ingressOptions, checkFactoryCall, looksLikeRequest, requestIdPolicy, trustOf };
