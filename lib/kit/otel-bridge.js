'use strict';
// Owns: what the kit reads from (and gives to) OpenTelemetry when it runs in the process,
// without ever loading @opentelemetry/api. The API keeps its registered globals (context manager,
// tracer provider, propagator) on one object at globalThis[Symbol.for('opentelemetry.js.api.1')],
// and its context keys are Symbol.for() of fixed descriptions, so the span and baggage of the
// active OpenTelemetry context are one property read away — whichever copy of the API, context
// manager (ctxframe/otel's or OpenTelemetry's own) or agent registered them. Without OpenTelemetry
// every function here costs one property read on globalThis and returns "nothing".

const { isValidTraceId, isValidSpanId, isValidTracestate } = require('./traceparent.js');

const API_KEY = Symbol.for('opentelemetry.js.api.1');
const SPAN_KEY = Symbol.for('OpenTelemetry Context Key SPAN');
const BAGGAGE_KEY = Symbol.for('OpenTelemetry Baggage Key');
// @opentelemetry/core's RPC metadata ({ type, span }): the http instrumentation puts its server
// span there for the whole request; framework instrumentations (Express's) read it to name the
// route, and make their own spans for middleware — ctxframe's middleware among them.
const RPC_METADATA_KEY = Symbol.for('OpenTelemetry SDK Context Key RPC_METADATA');

const HEX_FLAGS = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

// The registered context manager, or undefined (no OpenTelemetry, or none registered).
function contextManager() {
  const api = globalThis[API_KEY];
  if (api === undefined || api === null) return undefined;
  const manager = api.context;
  return manager !== null && typeof manager === 'object' && typeof manager.active === 'function' ? manager : undefined;
}

function activeContext(manager) {
  const ctx = manager.active();
  return ctx !== null && typeof ctx === 'object' && typeof ctx.getValue === 'function' ? ctx : undefined;
}

function validSpanContext(span) {
  if (span === null || typeof span !== 'object' || typeof span.spanContext !== 'function') return null;
  const sc = span.spanContext();
  if (sc === null || typeof sc !== 'object' || !isValidTraceId(sc.traceId) || !isValidSpanId(sc.spanId)) return null;
  return sc;
}

// The active OpenTelemetry span as trace fields:
// { traceId, spanId, traceFlags ('01'...), traceState?, parentSpanId? } or null when OpenTelemetry
// is absent, has no context manager or no valid span is active. serverSpan: the request's server
// span instead, when the context's RPC metadata names one in the same trace (inside a middleware
// span of a framework instrumentation). A misbehaving span or manager counts as none: reading
// never throws.
function activeSpanFields(serverSpan) {
  const manager = contextManager();
  if (manager === undefined) return null;
  try {
    const ctx = activeContext(manager);
    let span = ctx === undefined ? undefined : ctx.getValue(SPAN_KEY);
    let sc = validSpanContext(span);
    if (sc === null) return null;
    if (serverSpan === true) {
      const meta = ctx.getValue(RPC_METADATA_KEY);
      const server = meta !== null && typeof meta === 'object' ? meta.span : undefined;
      const serverContext = server === span ? null : validSpanContext(server);
      if (serverContext !== null && serverContext.traceId === sc.traceId) {
        span = server;
        sc = serverContext;
      }
    }
    const flags = sc.traceFlags;
    const fields = {
      traceId: sc.traceId,
      spanId: sc.spanId,
      traceFlags: Number.isInteger(flags) && flags >= 0 && flags <= 255 ? HEX_FLAGS[flags] : '00',
      traceState: undefined,
      parentSpanId: undefined,
    };
    const state = sc.traceState;
    if (state !== null && typeof state === 'object' && typeof state.serialize === 'function') {
      const serialized = state.serialize();
      if (isValidTracestate(serialized)) fields.traceState = serialized;
    }
    // The SDK's spans name their parent: parentSpanContext (SDK 2.x) or parentSpanId (1.x).
    const parent = span.parentSpanContext;
    const parentId = parent !== null && typeof parent === 'object' ? parent.spanId : span.parentSpanId;
    if (isValidSpanId(parentId)) fields.parentSpanId = parentId;
    return fields;
  } catch {
    return null;
  }
}

// An APM agent's span for the request, as options.traceFrom returned it -- a span context
// ({ traceId, spanId, traceFlags? }: Sentry's and OpenTelemetry's spanContext(), New Relic's
// getTraceMetadata(), ...) or a span whose spanContext() gives one -- as trace fields, or null
// when it is none of these or its ids are not W3C ids. traceFlags: a number or two hex
// characters; absent, `defaultFlags`.
function agentSpanFields(value, defaultFlags) {
  if (value === null || typeof value !== 'object') return null;
  const sc = typeof value.spanContext === 'function' ? value.spanContext() : value;
  if (sc === null || typeof sc !== 'object' || !isValidTraceId(sc.traceId) || !isValidSpanId(sc.spanId)) return null;
  const flags = sc.traceFlags;
  let traceFlags = defaultFlags;
  if (Number.isInteger(flags) && flags >= 0 && flags <= 255) traceFlags = HEX_FLAGS[flags];
  else if (typeof flags === 'string' && /^[0-9a-f]{2}$/.test(flags)) traceFlags = flags;
  return { traceId: sc.traceId, spanId: sc.spanId, traceFlags, traceState: undefined, parentSpanId: undefined };
}

// A Baggage (the API's interface: getEntry, getAllEntries, setEntry, removeEntry, removeEntries,
// clear), immutable like the API's own, for when the active context has none to extend.
class KitBaggage {
  constructor(entries) {
    this._entries = new Map(entries);
  }

  getEntry(key) {
    const entry = this._entries.get(key);
    return entry === undefined ? undefined : { ...entry };
  }

  getAllEntries() {
    return [...this._entries];
  }

  setEntry(key, entry) {
    const next = new KitBaggage(this._entries);
    next._entries.set(key, entry);
    return next;
  }

  removeEntry(key) {
    const next = new KitBaggage(this._entries);
    next._entries.delete(key);
    return next;
  }

  removeEntries(...keys) {
    const next = new KitBaggage(this._entries);
    for (const key of keys) next._entries.delete(key);
    return next;
  }

  clear() {
    return new KitBaggage();
  }
}

// Runs fn(arg) in the active OpenTelemetry context with the entries getEntries() gives ([key,
// value] string pairs) set in its baggage (kept entries, metadata included, when the value is
// already the same). Without a context manager (getEntries() is not called), or with nothing to
// set, fn(arg) runs as it is.
function runWithBaggage(getEntries, fn, arg) {
  const manager = contextManager();
  if (manager === undefined) return fn(arg);
  const entries = getEntries(arg);
  if (entries.length === 0) return fn(arg);
  let ctx;
  let baggage;
  try {
    ctx = activeContext(manager);
    if (ctx === undefined || typeof ctx.setValue !== 'function') return fn(arg);
    const current = ctx.getValue(BAGGAGE_KEY);
    baggage = current !== null && typeof current === 'object' && typeof current.setEntry === 'function' &&
      typeof current.getEntry === 'function' ? current : new KitBaggage();
    for (const [key, value] of entries) {
      const entry = baggage.getEntry(key);
      if (entry === undefined || entry.value !== value) baggage = baggage.setEntry(key, { value });
    }
  } catch {
    return fn(arg);
  }
  return manager.with(ctx.setValue(BAGGAGE_KEY, baggage), fn, undefined, arg);
}

module.exports = { activeSpanFields, agentSpanFields, runWithBaggage, contextManager };
