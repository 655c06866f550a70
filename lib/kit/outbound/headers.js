'use strict';
// Owns: what ctxframe/outbound adds to a request — the live installations (each with its
// context and header options) and headersToAdd(has), which turns the current async context
// into [name, value] pairs the request does not carry yet. Every mechanism (channels.js,
// wrap-http.js) asks this file; none decides on its own.

const { isValidTraceId, isValidSpanId, isValidTraceFlags, isValidTracestate } = require('../traceparent.js');
const { isValidRequestId } = require('../../validators.js');
const { warnOnce } = require('../../errors.js');

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

// The headers to add for the current async context, as [name, value] pairs. `has(lowerName)`
// says whether the request already carries a header; earlier installations' headers count.
function headersToAdd(has) {
  let added = null;
  const present = (name) => (added !== null && added.has(name)) || has(name);
  const add = (name, value) => {
    if (added === null) added = new Map();
    added.set(name, value);
  };
  for (const inst of installations) {
    const ctx = currentContextOf(inst);
    if (ctx === null || ctx === undefined) continue;
    const requestId = ctx.requestId;
    // The same rule ingress applies to an inbound id (validators.js): an id that ingress would
    // refuse is not sent either.
    if (inst.requestIdHeader !== false && isValidRequestId(requestId) && !present(inst.requestIdHeader)) {
      add(inst.requestIdHeader, requestId);
    }
    // traceparent and tracestate travel as a pair: a caller who set either owns both.
    if (inst.traceparent && isValidTraceId(ctx.traceId) && isValidSpanId(ctx.spanId) &&
        !present('traceparent') && !present('tracestate')) {
      const flags = isValidTraceFlags(ctx.traceFlags) ? ctx.traceFlags : DEFAULT_TRACE_FLAGS;
      add('traceparent', `00-${ctx.traceId}-${ctx.spanId}-${flags}`);
      if (isValidTracestate(ctx.traceState)) add('tracestate', ctx.traceState);
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
