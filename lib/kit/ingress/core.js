'use strict';
// The one ingress behaviour shared by ctxframe/http, /express, /fastify and /koa:
// request id (validated inbound header or randomUUID), W3C trace continuation, resolve(req)
// fields, requireTenant, the request's context around everything it does, and per-request
// metrics (count/requestMetrics/onRequestEnd). Framework modules only adapt its shape.

const { randomUUID } = require('node:crypto');
const { performance } = require('node:perf_hooks');
const { AsyncLocalStorage } = require('../../index.js');
const { requestContext } = require('../context.js');
const { parseTraceparent, newTraceId, newSpanId, isValidTracestate } = require('../traceparent.js');
const { invalidArgType, invalidArgValue } = require('../../errors.js');
const { requestStart, requestEnd } = require('../../channels.js');

// 1-128 chars from a safe set: no spaces, no CR/LF, no unicode, nothing a log or header can misread.
const REQUEST_ID_RE = /^[A-Za-z0-9\-_.:/+=@]{1,128}$/;
const HEADER_NAME_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function isValidRequestId(value) {
  return typeof value === 'string' && REQUEST_ID_RE.test(value);
}

// Per-request metrics live in their own storage, never inside the frozen context:
// a record is { startTime, start, counters } and is shared by every Ctx.with() copy.
const metricsStorage = new AsyncLocalStorage({ name: 'ctxframe.requestMetrics' });

function count(name, n = 1) {
  if (typeof name !== 'string' || name.length === 0) throw invalidArgType('name', 'a non-empty string', name);
  if (typeof n !== 'number' || !Number.isFinite(n)) throw invalidArgType('n', 'a finite number', n);
  const record = metricsStorage.getStore();
  if (record === undefined) return undefined; // outside a request: nothing to count into
  const counters = record.counters;
  counters[name] = (counters[name] || 0) + n;
  return counters[name];
}

function snapshotCounters(record) {
  return Object.assign({}, record.counters);
}

function requestMetrics() {
  const record = metricsStorage.getStore();
  if (record === undefined) return null;
  return {
    startTime: record.startTime,
    durationMs: performance.now() - record.start,
    counters: snapshotCounters(record),
  };
}

function isContextType(value) {
  return value !== null && typeof value === 'object' && typeof value.run === 'function' &&
    typeof value.freeze === 'function' && value.storage && typeof value.storage.run === 'function';
}

function normalizeOptions(options) {
  if (options === undefined || options === null) options = {};
  if (typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
  const {
    context = requestContext, header = 'x-request-id', resolve, requireTenant = false,
    tenantField = 'tenantId', onRequestEnd, onError, trace = true, responseHeader = true,
    newTraceFlags = '00',
  } = options;
  if (!isContextType(context)) throw invalidArgType('options.context', 'a context created by createContext()', context);
  if (typeof header !== 'string' || !HEADER_NAME_RE.test(header)) {
    throw invalidArgValue('options.header', header, 'must be a valid HTTP header name');
  }
  for (const [name, value] of [['options.resolve', resolve], ['options.onRequestEnd', onRequestEnd],
    ['options.onError', onError]]) {
    if (value !== undefined && typeof value !== 'function') throw invalidArgType(name, 'of type function', value);
  }
  for (const [name, value] of [['options.requireTenant', requireTenant], ['options.trace', trace],
    ['options.responseHeader', responseHeader]]) {
    if (typeof value !== 'boolean') throw invalidArgType(name, 'of type boolean', value);
  }
  if (typeof tenantField !== 'string' || tenantField.length === 0) {
    throw invalidArgType('options.tenantField', 'a non-empty string', tenantField);
  }
  if (typeof newTraceFlags !== 'string' || !/^[0-9a-f]{2}$/.test(newTraceFlags)) {
    throw invalidArgValue('options.newTraceFlags', newTraceFlags, 'must be two lowercase hex characters');
  }
  return {
    Ctx: context, header: header.toLowerCase(), resolve, requireTenant, tenantField,
    onRequestEnd, onError, trace, responseHeader, newTraceFlags,
  };
}

function singleHeader(value) {
  return typeof value === 'string' ? value : undefined;
}

// The fields ingress owns: requestId and trace context. resolve() cannot override them.
function ingressFields(opts, headers) {
  const inboundId = singleHeader(headers[opts.header]);
  const fields = { requestId: isValidRequestId(inboundId) ? inboundId : randomUUID() };
  if (!opts.trace) return fields;
  const parent = parseTraceparent(singleHeader(headers.traceparent));
  if (parent) {
    fields.traceId = parent.traceId;
    fields.spanId = newSpanId();
    fields.parentSpanId = parent.parentId;
    fields.traceFlags = parent.traceFlags;
    const state = singleHeader(headers.tracestate);
    if (state !== undefined && isValidTracestate(state)) fields.traceState = state;
  } else {
    fields.traceId = newTraceId();
    fields.spanId = newSpanId();
    fields.traceFlags = opts.newTraceFlags;
  }
  return fields;
}

function errorBody(error, requestId, message) {
  return { error, message, requestId };
}

// Default response for a rejected request on a raw node:http response.
function sendJson(res, status, body) {
  if (res.headersSent || res.writableEnded || res.destroyed) {
    if (!res.writableEnded) res.destroy();
    return;
  }
  const json = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(json));
  res.end(json);
}

function reportError(opts, err, where) {
  if (opts.onError) {
    try {
      opts.onError(err, where);
      return;
    } catch {
      // fall through to a warning: a failing error reporter must not crash the server
    }
  }
  process.emitWarning(`ctxframe ingress: ${where} failed: ${err && err.stack ? err.stack : err}`,
    { code: 'CTXFRAME_INGRESS_ERROR' });
}

// Makes every event a request/response emits run in the snapshot taken inside the request's
// context: body 'data'/'end', 'finish', 'close' and the listeners frameworks attach to them.
function bindEmitter(emitter, runInContext) {
  const originalEmit = emitter.emit;
  emitter.emit = function emitInRequestContext(...args) {
    return runInContext(originalEmit.bind(this), ...args);
  };
}

// createIngressCore(options) -> enter(req, res, adapter)
// adapter: {
//   request:  what resolve() receives (node req, Fastify request, Koa ctx),
//   proceed(): continue the chain (called inside the context; its result is returned),
//   reject(status, body): send an error response (default: raw JSON on res),
//   route(): the route pattern when the response ends (default: the path),
// }
function createIngressCore(options) {
  const opts = normalizeOptions(options);
  const { Ctx } = opts;
  const storage = Ctx.storage;

  function runIn(ctx, record, fn, ...args) {
    return storage.run(ctx, () => metricsStorage.run(record, fn, ...args));
  }

  function enter(req, res, adapter) {
    const record = { start: performance.now(), startTime: Date.now(), counters: Object.create(null) };
    const base = Ctx.freeze(ingressFields(opts, req.headers));
    let ctx = base;
    if (opts.responseHeader && !res.headersSent) res.setHeader(opts.header, base.requestId);

    let ended = false;
    const onEnd = (aborted) => {
      if (ended) return;
      ended = true;
      if (requestEnd.hasSubscribers) requestEnd.publish({ context: Ctx, store: ctx, aborted });
      if (!opts.onRequestEnd) return;
      const summary = {
        method: req.method,
        route: routeOf(adapter, req),
        path: pathOf(typeof req.originalUrl === 'string' ? req.originalUrl : req.url), // Express rewrites req.url
        status: res.statusCode,
        durationMs: performance.now() - record.start,
        requestId: ctx.requestId,
        tenantId: ctx[opts.tenantField] === undefined ? null : ctx[opts.tenantField],
        counters: snapshotCounters(record),
        aborted,
      };
      runIn(ctx, record, () => {
        try {
          opts.onRequestEnd(summary);
        } catch (err) {
          reportError(opts, err, 'onRequestEnd');
        }
      });
    };
    res.once('finish', () => onEnd(false));
    res.once('close', () => onEnd(true)); // only counts when 'finish' never came

    const reject = (status, body) => runIn(ctx, record, () => (adapter.reject
      ? adapter.reject(status, body) : sendJson(res, status, body)));

    const fail = (err, where) => {
      runIn(ctx, record, reportError, opts, err, where);
      return reject(500, errorBody('internal_error', ctx.requestId, 'The request could not be processed.'));
    };

    const start = (fields) => {
      if (fields !== undefined && fields !== null) {
        if (typeof fields !== 'object' || Array.isArray(fields)) {
          return fail(invalidArgType('resolve() result', 'an object, null or undefined', fields), 'resolve');
        }
        try {
          // Ingress-owned fields win over resolved ones.
          ctx = Ctx.freeze(Object.assign(Object.create(null), fields, base));
        } catch (err) {
          return fail(err, 'resolve');
        }
      }
      if (opts.requireTenant) {
        const tenant = ctx[opts.tenantField];
        if (tenant === undefined || tenant === null || tenant === '') {
          return reject(400, errorBody('tenant_required', ctx.requestId, 'This request needs a tenant.'));
        }
      }
      if (requestStart.hasSubscribers) requestStart.publish({ context: Ctx, store: ctx });
      return runIn(ctx, record, () => {
        const runInContext = AsyncLocalStorage.snapshot();
        bindEmitter(req, runInContext);
        bindEmitter(res, runInContext);
        return adapter.proceed();
      });
    };

    if (!opts.resolve) return start(undefined);
    let resolved;
    try {
      resolved = runIn(base, record, opts.resolve, adapter.request === undefined ? req : adapter.request);
    } catch (err) {
      return fail(err, 'resolve');
    }
    if (resolved !== null && typeof resolved === 'object' && typeof resolved.then === 'function') {
      return Promise.resolve(resolved).then(start, (err) => fail(err, 'resolve'));
    }
    return start(resolved);
  }

  return { enter, options: opts };
}

function pathOf(url) {
  if (typeof url !== 'string') return '';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

function routeOf(adapter, req) {
  if (adapter.route) {
    try {
      const route = adapter.route();
      if (typeof route === 'string' && route.length > 0) return route;
    } catch {
      // a framework without route info: fall back to the path
    }
  }
  return pathOf(typeof req.originalUrl === 'string' ? req.originalUrl : req.url);
}

module.exports = {
  createIngressCore,
  count,
  requestMetrics,
  isValidRequestId,
  sendJson,
  metricsStorage,
  REQUEST_ID_RE,
};
