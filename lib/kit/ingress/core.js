'use strict';
// Owns: the one ingress behaviour shared by ctxframe/http, /express, /fastify and /koa —
// the request id (a trusted, valid inbound header, or a new one: options.js), W3C trace continuation
// (or OpenTelemetry's active span, otel-bridge.js), allow-listed W3C baggage fields (baggage.js), resolve(req)
// fields, requireTenant, and IngressRequest, whose run() is the one place a request enters its
// context (the context type's storage and, with metrics on, the metrics storage). Framework adapters
// only adapt their shapes to enter(req, res, adapter).

const { isArray: ArrayIsArray } = Array;
const { performance } = require('node:perf_hooks');
const { contextHere, bindEmitterTo } = require('../../context-here.js');
const { byType, stringBound } = require('../context-values.js');
const { ContextScope } = require('../context-scope.js');
const { parseTraceparent, newTraceId, newSpanId, isValidTracestate } = require('../traceparent.js');
const { invalidArgType, invalidArgValue } = require('../../errors.js');
const { validateInteger, validateHeaderName, validateOptionalFunction, validateBoolean,
  validateNonEmptyString, contextOption, isThenable } = require('../../validators.js');
const { requestStart, requestEnd } = require('../../channels.js');
const { metricsStorage, newRecord, snapshotCounters } = require('./metrics.js');
const { ingressOptions, requestIdPolicy, trustOf } = require('./options.js');
const { createReporter, refusalOf } = require('./warnings.js');
const { activeSpanFields, agentSpanFields, runWithBaggage } = require('../otel-bridge.js');
const { normalizeBaggageOption, readBaggageFields, baggageEntries } = require('../baggage.js');

function normalizeOptions(options, extraOptions) {
  options = ingressOptions(options, extraOptions);
  const header = options.header === undefined ? 'x-request-id' : options.header;
  const newTraceFlags = options.newTraceFlags === undefined ? '01' : options.newTraceFlags; // sampled: docs/ingress.md
  if (typeof newTraceFlags !== 'string' || !/^[0-9a-f]{2}$/.test(newTraceFlags)) {
    throw invalidArgValue('options.newTraceFlags', newTraceFlags, 'must be two lowercase hex characters');
  }
  const context = contextOption(options, ['run', 'freeze', 'storage.run']);
  const onRequestEnd = validateOptionalFunction('options.onRequestEnd', options.onRequestEnd);
  const metrics = validateBoolean('options.metrics', options.metrics, onRequestEnd !== undefined);
  if (onRequestEnd !== undefined && !metrics) {
    throw invalidArgValue('options.metrics', metrics, 'must be true (or left out) when options.onRequestEnd is given');
  }
  // How contexts are made: a context type from createContext() shares the fields it already
  // checked (see context-values.js); any other context type goes through its public freeze().
  const values = byType.get(context);
  const onError = validateOptionalFunction('options.onError', options.onError);
  const trust = trustOf(options);
  const report = createReporter(onError, validateInteger('options.warningIntervalMs', options.warningIntervalMs, 0, 60000));
  return {
    context,
    header: validateHeaderName('options.header', header).toLowerCase(),
    resolve: validateOptionalFunction('options.resolve', options.resolve),
    onRequestEnd,
    onError,
    report,
    // (req, inbound header value) -> the request's id: trustRequestId, generateRequestId.
    // trustRequestId: true, false or (req) => boolean. An untrusted request's id, traceparent,
    // tracestate and baggage are all ignored.
    trust,
    requestIdOf: requestIdPolicy(options, (err, where) => reportError({ report }, err, where), trust),
    requireTenant: validateBoolean('options.requireTenant', options.requireTenant, false),
    trace: validateBoolean('options.trace', options.trace, true),
    responseHeader: validateBoolean('options.responseHeader', options.responseHeader, true),
    tenantField: validateNonEmptyString('options.tenantField', options.tenantField, 'tenantId'),
    newTraceFlags,
    metrics,
    openTelemetry: validateBoolean('options.openTelemetry', options.openTelemetry, true),
    traceFrom: validateOptionalFunction('options.traceFrom', options.traceFrom),
    baggage: normalizeBaggageOption('options.baggage', options.baggage),
    adopt: values ? values.adopt : context.freeze,
    // What the storage holds for a request: a scope (context-scope.js) that enrich() can add to,
    // its ingress-owned fields protected; a context type of its own gets the context itself.
    scope: values ? (base, owned) => ContextScope.root(base, values, owned) : (base) => base,
    replace: values ? ContextScope.replace : (store, ctx) => ctx,
    read: values ? ContextScope.read : (store) => store,
    // own: a new copy of the ingress fields, not frozen; its fields win over resolve()'s. A
    // context type of its own merges onto the base its freeze() made, as it always did.
    merge: values ? values.merge :
      (own, ownBound, fields) => context.freeze(Object.assign(Object.create(null), fields, own)),
    // Baggage fields go under everything else: ingress's own fields and resolve()'s win.
    underlay: values ? (ctx, fields) => values.extend(ctx, fields, true) :
      (ctx, fields) => context.freeze(Object.assign(Object.create(null), fields, ctx)),
  };
}

function singleHeader(value) {
  return typeof value === 'string' ? value : undefined;
}

// The fields ingress owns: requestId and trace context. resolve() cannot override them.
// IngressRequest reads the headers once (readIngress) and builds the fields object from what it
// read (newFields) as often as it needs one: the base context and, when resolve() adds fields,
// the merged one; each is one object literal of a fixed shape, its size bound summed once.
const REQUEST_ID_BOUND = stringBound('requestId') + 2; // + the id's own bound
const NEW_TRACE_BOUND = fieldBound('traceId', 32) + fieldBound('spanId', 16) + fieldBound('traceFlags', 2);
const CONTINUED_TRACE_BOUND = NEW_TRACE_BOUND + fieldBound('parentSpanId', 16);
const TRACE_STATE_BOUND = stringBound('traceState') + 2; // + the state's own bound

function fieldBound(key, length) {
  return stringBound(key) + 2 + 6 * length + 2;
}

const NO_HEADERS = Object.freeze({ __proto__: null });

function readIngress(request, opts, headers) {
  const { adapter } = request;
  // A framework with an id of its own made from ours (Fastify's request.id): the same value.
  const own = adapter.requestId === undefined ? undefined : adapter.requestId(request);
  const requestId = own !== undefined ? own : opts.requestIdOf(request.req, singleHeader(headers[opts.header]));
  request.requestId = requestId;
  let bound = 2 + REQUEST_ID_BOUND + stringBound(requestId);
  // An agent's span (options.traceFrom) or, with OpenTelemetry in the process, its span for this
  // request gives the trace (one property read on globalThis when it is absent). Trust decides
  // whether the inbound trace context and baggage are used at all (options.js).
  const trust = opts.trust;
  const trusted = trust === true || (trust !== false && trust(request.req));
  let span = opts.trace && opts.traceFrom !== undefined ? tracedByAgent(request, opts) : null;
  if (span === null && opts.trace && opts.openTelemetry) span = activeSpanFields(true);
  if (span !== null) {
    bound += adoptSpan(request, span, trusted ? headers : NO_HEADERS);
  } else if (opts.trace) {
    const parent = trusted ? parseTraceparent(singleHeader(headers.traceparent)) : null;
    if (parent) {
      request.traceId = parent.traceId;
      request.spanId = newSpanId();
      request.parentSpanId = parent.parentId;
      request.traceFlags = parent.traceFlags;
      bound += CONTINUED_TRACE_BOUND;
      const state = singleHeader(headers.tracestate);
      if (state !== undefined && isValidTracestate(state)) {
        request.traceState = state;
        bound += TRACE_STATE_BOUND + stringBound(state);
      }
    } else {
      request.traceId = newTraceId();
      request.spanId = newSpanId();
      request.traceFlags = opts.newTraceFlags;
      bound += NEW_TRACE_BOUND;
    }
  }
  if (opts.baggage !== null && trusted) {
    const fields = readBaggageFields(singleHeader(headers.baggage), opts.baggage);
    if (fields !== undefined) {
      request.baggage = fields;
      for (const key of Object.keys(fields)) bound += stringBound(key) + 2 + stringBound(fields[key]);
    }
  }
  request.bound = bound;
}

// The OpenTelemetry span where ingress enters the request (the http instrumentation's server
// span, also from inside a framework instrumentation's middleware span, or whatever span is
// active there): the context takes its ids, sampled flag and trace state, so
// logs and jobs carry the trace OpenTelemetry records; its parent is the span's own parent or,
// for a span that does not name it, the inbound traceparent's parent when that is the same trace.
function adoptSpan(request, span, headers) {
  request.traceId = span.traceId;
  request.spanId = span.spanId;
  request.traceFlags = span.traceFlags;
  let parentSpanId = span.parentSpanId;
  if (parentSpanId === undefined) {
    const parent = parseTraceparent(singleHeader(headers.traceparent));
    if (parent !== null && parent.traceId === span.traceId) parentSpanId = parent.parentId;
  }
  if (parentSpanId === undefined) return NEW_TRACE_BOUND;
  request.parentSpanId = parentSpanId;
  if (span.traceState === undefined) return CONTINUED_TRACE_BOUND;
  request.traceState = span.traceState;
  return CONTINUED_TRACE_BOUND + TRACE_STATE_BOUND + stringBound(span.traceState);
}

// options.traceFrom(req): the APM agent's span where ingress runs, as trace fields; null when
// it has none (or returns something that is not a span), and when it throws (reported as
// 'traceFrom').
function tracedByAgent(request, opts) {
  try {
    return agentSpanFields(opts.traceFrom(request.req), opts.newTraceFlags);
  } catch (err) {
    reportError(opts, err, 'traceFrom');
    return null;
  }
}

// With options.baggage, proceed() runs this inside OpenTelemetry's context with the context's
// baggage fields set in OpenTelemetry's baggage (otel-bridge.js), so that
// propagation.getBaggage(context.active()) in a handler sees what the context holds.
function proceedWithBaggage(request) {
  return request.run(bindAndProceed, request);
}

function baggageOf(request) {
  return baggageEntries(request.ctx, request.opts.baggage);
}


function newFields(r) {
  if (r.traceId === undefined) return { requestId: r.requestId };
  if (r.parentSpanId === undefined) {
    return { requestId: r.requestId, traceId: r.traceId, spanId: r.spanId, traceFlags: r.traceFlags };
  }
  if (r.traceState === undefined) {
    return { requestId: r.requestId, traceId: r.traceId, spanId: r.spanId, parentSpanId: r.parentSpanId,
      traceFlags: r.traceFlags };
  }
  return { requestId: r.requestId, traceId: r.traceId, spanId: r.spanId, parentSpanId: r.parentSpanId,
    traceFlags: r.traceFlags, traceState: r.traceState };
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

// onError(err, where), else a CTXFRAME_INGRESS_ERROR warning (rate-limited: warnings.js).
function reportError(opts, err, where) {
  opts.report('CTXFRAME_INGRESS_ERROR', err, where,
    () => `ctxframe ingress: ${where} failed: ${err && err.stack ? err.stack : err}`);
}

// Every event a request/response emits with listeners runs in the context captured inside the
// request's (what AsyncLocalStorage.snapshot() captures, shared by both; on the frame backend with
// the native bridge the continuation's value, put current around the emit without an
// AsyncResource: lib/context-here.js): body 'data'/'end', 'finish', 'close' and the listeners
// frameworks attach to them. Most of the ~14 events a request emits have no listener and are
// emitted as they are. Inside the request's context: bind its events to it, then continue the
// chain.
function bindAndProceed(request) {
  const context = contextHere();
  bindEmitterTo(request.req, context);
  bindEmitterTo(request.res, context);
  return request.adapter.proceed(request);
}

// One request on its way in: its context, its metrics record and what ends it. `request`, `next`
// and `reply` are the framework's own (what resolve() receives, what continues the chain, Fastify's
// reply), read by the adapter's methods.
class IngressRequest {
  constructor(opts, req, res, adapter, request, next, reply) {
    this.opts = opts;
    this.req = req;
    this.res = res;
    this.adapter = adapter;
    this.request = request;
    this.next = next;
    this.reply = reply;
    this.record = opts.metrics ? newRecord() : null; // metrics only when asked for
    this.requestId = undefined;
    this.traceId = undefined;
    this.spanId = undefined;
    this.parentSpanId = undefined;
    this.traceFlags = undefined;
    this.traceState = undefined;
    this.baggage = undefined;
    this.bound = 0;
    readIngress(this, opts, req.headers);
    const own = opts.adopt(newFields(this), this.bound); // ingress-owned fields
    this.base = own; // and the allow-listed baggage fields under them
    if (this.baggage !== undefined) this.underlayBaggage();
    // What the storage holds: the request's scope, whose snapshot is base, then base +
    // resolve()'s fields, then whatever enrich() adds (never to ingress's own fields).
    this.store = opts.scope(this.base, own);
    this.ended = false;
  }

  // Baggage fields that would make the context too large for its type are left out, as an
  // invalid value is: a caller's baggage never fails the request.
  underlayBaggage() {
    try {
      this.base = this.opts.underlay(this.base, this.baggage);
    } catch {
      this.baggage = undefined;
    }
  }

  // The request's current snapshot.
  get ctx() {
    return this.opts.read(this.store);
  }

  // The one place a request enters its context: fn(arg) runs with `ctx` in the context type's
  // storage and, when metrics are on, the request's record in the metrics storage.
  run(fn, arg) {
    const { record, store } = this;
    if (record === null) return this.opts.context.storage.run(store, fn, arg);
    return this.opts.context.storage.run(store, () => metricsStorage.run(record, fn, arg));
  }

  // After resolve(): merge its fields (ingress-owned ones win), check the tenant, then run the
  // rest of the chain inside the context, with the request's and response's events bound to it.
  proceed(fields) {
    const { opts } = this;
    if (fields !== undefined && fields !== null) {
      if (typeof fields !== 'object' || ArrayIsArray(fields)) {
        return this.fail(invalidArgType('resolve() result', 'an object, null or undefined', fields), 'resolve');
      }
      try {
        // A new copy of the ingress fields plus resolve()'s, which alone are validated.
        this.store = opts.replace(this.store, opts.merge(newFields(this), this.bound, fields, this.base));
      } catch (err) {
        const refusal = refusalOf(err);
        if (refusal !== undefined) return this.refuse(refusal, err);
        return this.fail(err, 'resolve');
      }
      if (this.baggage !== undefined) {
        try {
          this.store = opts.replace(this.store, opts.underlay(this.ctx, this.baggage));
        } catch {
          // too large with the baggage fields: the context goes without them, as underlayBaggage()
        }
      }
    }
    if (opts.requireTenant) {
      const tenant = this.ctx[opts.tenantField];
      if (tenant === undefined || tenant === null || tenant === '') {
        return this.reject(400, errorBody('tenant_required', this.ctx.requestId, 'This request needs a tenant.'));
      }
    }
    if (requestStart.hasSubscribers) requestStart.publish({ context: opts.context, store: this.ctx });
    if (opts.baggage !== null) return runWithBaggage(baggageOf, proceedWithBaggage, this);
    return this.run(bindAndProceed, this);
  }

  reject(status, body) {
    const { adapter, res } = this;
    return this.run(() => (adapter.reject ? adapter.reject(this, status, body) : sendJson(res, status, body)));
  }

  // The request's own data was refused (too large, not a context value): 4xx, reported as
  // CTXFRAME_INGRESS_REFUSED (rate-limited) or to onError(err, 'request'); the handler never runs.
  refuse(refusal, err) {
    const { opts } = this;
    this.run(() => opts.report('CTXFRAME_INGRESS_REFUSED', err, 'request',
      () => `ctxframe ingress: request ${this.ctx.requestId} refused with ${refusal.status} ${refusal.error}: ${err && err.message}`));
    return this.reject(refusal.status, errorBody(refusal.error, this.ctx.requestId,
      refusal.status === 431 ? 'The request carries more context data than this service accepts.'
        : 'The request carries a value this service cannot accept.'));
  }

  fail(err, where) {
    this.run(() => reportError(this.opts, err, where));
    return this.reject(500, errorBody('internal_error', this.ctx.requestId, 'The request could not be processed.'));
  }

  // 'finish' (aborted false) or 'close' without 'finish' (aborted true): onRequestEnd once.
  end(aborted) {
    if (this.ended) return;
    this.ended = true;
    const { opts, req, res, ctx, record } = this;
    if (requestEnd.hasSubscribers) requestEnd.publish({ context: opts.context, store: ctx, aborted });
    if (!opts.onRequestEnd) return;
    const summary = {
      method: req.method,
      route: routeOf(this),
      path: pathOf(typeof req.originalUrl === 'string' ? req.originalUrl : req.url), // Express rewrites req.url
      status: res.statusCode,
      durationMs: performance.now() - record.start,
      requestId: ctx.requestId,
      tenantId: ctx[opts.tenantField] === undefined ? null : ctx[opts.tenantField],
      counters: snapshotCounters(record),
      aborted,
    };
    this.run(() => {
      try {
        opts.onRequestEnd(summary);
      } catch (err) {
        reportError(opts, err, 'onRequestEnd');
      }
    });
  }
}

// createIngressCore(options) -> { enter(req, res, adapter, request, next, reply), options }
// adapter (one per integration, shared by its requests; each method gets the IngressRequest):
// {
//   proceed(r): continue the chain (called inside the context; its result is returned),
//   reject(r, status, body): send an error response (default: raw JSON on res),
//   route(r): the route pattern when the response ends (default: the path),
// }
// request: what resolve() receives (Fastify request, Koa ctx; default: req); next, reply: kept
// on the IngressRequest for the adapter.
function createIngressCore(options, extraOptions) {
  const opts = normalizeOptions(options, extraOptions);

  function enter(req, res, adapter, request, next, reply) {
    const r = new IngressRequest(opts, req, res, adapter, request, next, reply);
    if (opts.responseHeader && !res.headersSent) res.setHeader(opts.header, r.requestId);
    // The end of a request matters to onRequestEnd and to requestEnd's subscribers (present
    // when the request starts) only: no listeners otherwise.
    if (opts.onRequestEnd || requestEnd.hasSubscribers) {
      res.once('finish', () => r.end(false));
      res.once('close', () => r.end(true)); // only counts when 'finish' never came
    }

    if (!opts.resolve) return r.proceed(undefined);
    let resolved;
    try {
      resolved = r.run(opts.resolve, request === undefined ? req : request);
    } catch (err) {
      return r.fail(err, 'resolve');
    }
    if (isThenable(resolved)) {
      return Promise.resolve(resolved).then((fields) => r.proceed(fields), (err) => r.fail(err, 'resolve'));
    }
    return r.proceed(resolved);
  }

  return {
    enter,
    options: opts,
    report: (err, where) => reportError(opts, err, where),
    // The id a request gets (trustRequestId, generateRequestId), for a framework that makes its
    // own id first (Fastify's genReqId).
    requestIdOf: (req) => opts.requestIdOf(req, singleHeader(req.headers[opts.header])),
  };
}

function pathOf(url) {
  if (typeof url !== 'string') return '';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

function routeOf(request) {
  const { adapter, req } = request;
  if (adapter.route) {
    try {
      const route = adapter.route(request);
      if (typeof route === 'string' && route.length > 0) return route;
    } catch {
      // a framework without route info: fall back to the path
    }
  }
  return pathOf(typeof req.originalUrl === 'string' ? req.originalUrl : req.url);
}

module.exports = { createIngressCore, sendJson };
