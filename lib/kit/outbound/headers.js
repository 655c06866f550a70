'use strict';
// Owns: what ctxframe/outbound adds to a request — the live installations (each with its
// context and header options) and headersToAdd(has, get), which turns the current async context
// (and OpenTelemetry's active span, otel-bridge.js) into [name, value] pairs the request does not
// carry yet, or a `baggage` merged with the one it carries. Every mechanism (channels.js,
// wrap-http.js) asks this file; none decides on its own.

const { isValidTraceId, isValidSpanId, isValidTraceFlags, isValidTracestate } = require('../traceparent.js');
const { isValidRequestId } = require('../../validators.js');
const { warnOnce } = require('../../errors.js');
const { activeSpanFields } = require('../otel-bridge.js');
const { baggageEntries, mergeBaggage } = require('../baggage.js');

const DEFAULT_TRACE_FLAGS = '01';

// Live installations, in install order; each contributes its own headers.
const installations = new Set();

// A context object whose currentOrNull() throws must not break the caller's request (nor, from a
// diagnostics_channel subscriber, crash the process): that installation adds nothing, warns once.
function currentContextOf(inst) {
  try {
    return inst.context.currentOrNull();
  } catch (err) {
    warnOnce('CTXFRAME_OUTBOUND_CONTEXT_ERROR',
      `ctxframe/outbound: options.context.currentOrNull() threw: ${err && err.message}`);
    return null;
  }
}

// The headers to set for the current async context, as [name, value] pairs. `has(lowerName)`
// says whether the request already carries a header, `get(lowerName)` gives its value (for
// `baggage`, which is merged: the pair then replaces the request's header); earlier
// installations' headers count.
function headersToAdd(has, get) {
  let added = null;
  const present = (name) => (added !== null && added.has(name)) || has(name);
  const add = (name, value) => {
    if (added === null) added = new Map();
    added.set(name, value);
  };
  let span; // OpenTelemetry's active span, read once, when an installation sends traceparent
  for (const inst of installations) {
    const ctx = currentContextOf(inst);
    if (ctx === null || ctx === undefined) continue;
    const requestId = ctx.requestId;
    // The same rule ingress applies to an inbound id (validators.js): an id that ingress would
    // refuse is not sent either.
    if (inst.requestIdHeader !== false && isValidRequestId(requestId) && !present(inst.requestIdHeader)) {
      add(inst.requestIdHeader, requestId);
    }
    // traceparent and tracestate travel as a pair: a caller who set either owns both. With
    // OpenTelemetry in the process, its active span is the parent (what its instrumentation would
    // have injected); otherwise the context's trace.
    if (inst.traceparent && !present('traceparent') && !present('tracestate')) {
      let trace = ctx;
      if (inst.openTelemetry) {
        if (span === undefined) span = activeSpanFields();
        if (span !== null) trace = span;
      }
      if (isValidTraceId(trace.traceId) && isValidSpanId(trace.spanId)) {
        const flags = isValidTraceFlags(trace.traceFlags) ? trace.traceFlags : DEFAULT_TRACE_FLAGS;
        add('traceparent', `00-${trace.traceId}-${trace.spanId}-${flags}`);
        if (isValidTracestate(trace.traceState)) add('tracestate', trace.traceState);
      }
    }
    // baggage: the allow-listed fields, merged into a baggage header already there (its members
    // win), or sent as a new one.
    if (inst.baggage !== null) {
      const entries = baggageEntries(ctx, inst.baggage);
      if (entries.length > 0) {
        const existing = added !== null && added.has('baggage') ? added.get('baggage') : (has('baggage') ? get('baggage') : undefined);
        const merged = mergeBaggage(existing, entries);
        if (merged !== undefined && merged !== existing) add('baggage', merged);
      }
    }
  }
  return added === null ? null : [...added];
}

// Sets each [name, value]; a header the client refuses (undici validates like fetch) is
// left out: a propagation header never fails the caller's request.
function setEach(headers, set) {
  for (const [name, value] of headers) {
    try {
      set(name, value);
    } catch {
      // left out, as above
    }
  }
}

module.exports = { installations, headersToAdd, setEach };
