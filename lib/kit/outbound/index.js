'use strict';
// ctxframe/outbound — propagates the current request context to outgoing calls: every
// node:http/https request and every fetch/undici request made inside a context gets
// `x-request-id` and W3C `traceparent`/`tracestate`. Calls outside a context are untouched and a
// header the caller set is never overridden. Owns the hooks that do it and their reference count.
//
// Mechanisms, chosen once when the first installation is made:
// - fetch and undici (Node's bundled copy and the `undici` package alike): the
//   `undici:request:create` diagnostics channel; its request has addHeader() and runs before
//   anything is written. Every supported runtime publishes it.
// - node:http/https where Node publishes `http.client.request.created` from the ClientRequest
//   constructor before the headers are rendered (Node 22.23, 24, 26 in the test matrix): that
//   channel, setHeader() on the request. Detected from Node's own ClientRequest, not the version.
// - elsewhere (Node 20: only `http.client.request.start`, published after the headers are
//   rendered): http.request/http.get/https.request/https.get are wrapped to add the headers to
//   the options before Node sees them, and restored on uninstall.

const diagnosticsChannel = require('node:diagnostics_channel');
const http = require('node:http');
const https = require('node:https');
const { syncBuiltinESMExports } = require('node:module');
const { contextOption } = require('../context-option.js');
const { isValidTraceId, isValidSpanId, isValidTraceFlags, isValidTracestate } = require('../traceparent.js');
const { withCode, invalidArgType, invalidArgValue } = require('../../errors.js');

const UNDICI_CREATE = 'undici:request:create';
const HTTP_CREATED = 'http.client.request.created';
const HEADER_NAME_RE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// A request id worth sending: visible ASCII, no spaces, bounded.
const REQUEST_ID_RE = /^[\x21-\x7e]{1,1024}$/;
const DEFAULT_TRACE_FLAGS = '01';

// Live installations, in install order; each contributes its own headers.
const installations = new Set();
// The installed hooks while installations is not empty: { http, undo: [fn] }.
let hooks = null;

function httpPublishesCreated() {
  try {
    return /\bonClientRequestCreatedChannel\b/.test(Function.prototype.toString.call(http.ClientRequest));
  } catch {
    return false;
  }
}

let warnedContextError = false;

// A context object whose currentOrNull() throws must not break the caller's request (nor, from a
// diagnostics_channel subscriber, crash the process): that installation adds nothing, warns once.
function currentContextOf(inst) {
  try {
    return inst.context.currentOrNull();
  } catch (err) {
    if (!warnedContextError) {
      warnedContextError = true;
      process.emitWarning(`ctxframe/outbound: options.context.currentOrNull() threw: ${err && err.message}`,
        { code: 'CTXFRAME_OUTBOUND_CONTEXT_ERROR' });
    }
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
    if (inst.requestIdHeader !== false && typeof requestId === 'string' &&
        REQUEST_ID_RE.test(requestId) && !present(inst.requestIdHeader)) {
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

// --- undici / fetch -------------------------------------------------------------------------

// undici >= 6 keeps request.headers as a flat [name, value, ...] array; undici 5 as raw text.
function undiciHeaderNames(headers) {
  const names = new Set();
  if (Array.isArray(headers)) {
    for (let i = 0; i < headers.length; i += 2) names.add(String(headers[i]).toLowerCase());
  } else if (typeof headers === 'string') {
    for (const line of headers.split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon > 0) names.add(line.slice(0, colon).trim().toLowerCase());
    }
  }
  return names;
}

function onUndiciRequestCreate(message) {
  const request = message && message.request;
  if (!request || typeof request.addHeader !== 'function') return;
  let names = null;
  const add = headersToAdd((name) => {
    if (names === null) names = undiciHeaderNames(request.headers);
    return names.has(name);
  });
  if (add !== null) setEach(add, (name, value) => request.addHeader(name, value));
}

// --- node:http via http.client.request.created -----------------------------------------------

function onHttpRequestCreated(message) {
  const request = message && message.request;
  // Headers given as a raw array (or with Expect) are rendered in the constructor: too late.
  if (!request || request.headersSent || typeof request.setHeader !== 'function') return;
  const add = headersToAdd((name) => request.hasHeader(name));
  if (add !== null) setEach(add, (name, value) => request.setHeader(name, value));
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

// --- node:http via wrapping http.request & co -----------------------------------------------

// Node's own test for "this argument is a URL" (lib/internal/url.js isURL).
function isUrlLike(value) {
  return value !== null && typeof value === 'object' && typeof value.href === 'string' &&
    typeof value.protocol === 'string' && value.auth === undefined && value.path === undefined;
}

function headerNamesOf(headers) {
  const names = new Set();
  if (Array.isArray(headers)) {
    if (headers.length > 0 && Array.isArray(headers[0])) {
      for (const pair of headers) names.add(String(pair[0]).toLowerCase());
    } else {
      for (let i = 0; i < headers.length; i += 2) names.add(String(headers[i]).toLowerCase());
    }
  } else if (headers !== null && typeof headers === 'object') {
    for (const key of Object.keys(headers)) names.add(key.toLowerCase());
  }
  return names;
}

function mergeHeaders(headers, add) {
  if (Array.isArray(headers)) {
    const pairs = headers.length > 0 && Array.isArray(headers[0]);
    const merged = headers.slice();
    for (const [name, value] of add) {
      if (pairs) merged.push([name, value]);
      else merged.push(name, value);
    }
    return merged;
  }
  const merged = headers !== null && typeof headers === 'object' ? { ...headers } : {};
  for (const [name, value] of add) merged[name] = value;
  return merged;
}

// Returns the arguments of http.request(...)/get(...) with the context's headers merged into
// a copy of the options (the caller's object is never modified), or `args` unchanged.
function argsWithContextHeaders(args) {
  const first = args[0];
  let index;
  let options;
  if (typeof first === 'string' || isUrlLike(first)) {
    index = 1;
    options = args[1];
    if (options === null || typeof options !== 'object') options = undefined;
  } else if (first !== null && typeof first === 'object') {
    index = 0;
    options = first;
  } else {
    return args; // Node will throw its own error for this call.
  }
  let names = null;
  const add = headersToAdd((name) => {
    if (names === null) names = headerNamesOf(options && options.headers);
    return names.has(name);
  });
  if (add === null) return args;
  const copy = { ...options, headers: mergeHeaders(options && options.headers, add) };
  const next = args.slice();
  if (index === 1 && options === undefined && typeof args[1] === 'function') {
    next.splice(1, 0, copy); // (url, callback) -> (url, options, callback)
  } else {
    next[index] = copy;
  }
  return next;
}

function wrapRequestFunction(target, key) {
  const original = target[key];
  let active = true;
  const wrapper = function (...args) {
    return Reflect.apply(original, this, active && installations.size !== 0 ? argsWithContextHeaders(args) : args);
  };
  Object.defineProperty(wrapper, 'name', { value: original.name, configurable: true });
  Object.defineProperty(wrapper, 'length', { value: original.length, configurable: true });
  target[key] = wrapper;
  return function restore() {
    active = false;
    // Someone wrapped ours in turn: restoring would drop their wrapper; ours stays, inert.
    if (target[key] === wrapper) target[key] = original;
  };
}

// --- installation -----------------------------------------------------------------------------

function installHooks(mode) {
  const created = httpPublishesCreated();
  if (mode === 'channel' && !created) {
    throw withCode(Error, 'CTXFRAME_OUTBOUND_UNSUPPORTED',
      `Node ${process.version} does not publish "${HTTP_CREATED}" before request headers are sent; ` +
      'use mode "auto" or "patch".');
  }
  const httpMode = mode === 'patch' || !created ? 'patch' : 'channel';
  const undo = [];
  diagnosticsChannel.subscribe(UNDICI_CREATE, onUndiciRequestCreate);
  undo.push(() => diagnosticsChannel.unsubscribe(UNDICI_CREATE, onUndiciRequestCreate));
  if (httpMode === 'channel') {
    diagnosticsChannel.subscribe(HTTP_CREATED, onHttpRequestCreated);
    undo.push(() => diagnosticsChannel.unsubscribe(HTTP_CREATED, onHttpRequestCreated));
  } else {
    // ESM named imports of node:http/https see the wrappers too, and the originals after the
    // restore (undo runs last-in first-out: this sync runs after the wrappers are removed).
    undo.push(syncBuiltinESMExports);
    for (const [target, key] of [[http, 'request'], [http, 'get'], [https, 'request'], [https, 'get']]) {
      undo.push(wrapRequestFunction(target, key));
    }
    syncBuiltinESMExports();
  }
  hooks = { mechanism: Object.freeze({ http: httpMode, fetch: 'channel' }), mode, undo };
}

function removeHooks() {
  if (hooks === null) return;
  const { undo } = hooks;
  hooks = null;
  for (let i = undo.length - 1; i >= 0; i--) undo[i]();
}

function normalizeOptions(options) {
  if (options === undefined) options = {};
  if (options === null || typeof options !== 'object') {
    throw invalidArgType('options', 'of type object', options);
  }
  const context = contextOption(options, ['currentOrNull']);
  let requestIdHeader = options.requestIdHeader === undefined ? 'x-request-id' : options.requestIdHeader;
  if (requestIdHeader !== false) {
    if (typeof requestIdHeader !== 'string') {
      throw invalidArgType('options.requestIdHeader', 'a header name or false', requestIdHeader);
    }
    if (!HEADER_NAME_RE.test(requestIdHeader)) {
      throw invalidArgValue('options.requestIdHeader', requestIdHeader, 'is not a valid HTTP header name');
    }
    requestIdHeader = requestIdHeader.toLowerCase();
  }
  const traceparent = options.traceparent === undefined ? true : options.traceparent;
  if (typeof traceparent !== 'boolean') {
    throw invalidArgType('options.traceparent', 'of type boolean', traceparent);
  }
  const mode = options.mode === undefined ? 'auto' : options.mode;
  if (mode !== 'auto' && mode !== 'channel' && mode !== 'patch') {
    throw invalidArgValue('options.mode', mode, "must be 'auto', 'channel' or 'patch'");
  }
  return { context, requestIdHeader, traceparent, mode };
}

// installOutbound(options?) -> { uninstall(), mechanism }. Each call is one installation; the
// hooks go in with the first and come out with the last (reference counting), so two libraries
// may both install and either may uninstall without breaking the other.
function installOutbound(options) {
  const inst = normalizeOptions(options);
  if (hooks === null) {
    installHooks(inst.mode);
  } else if (inst.mode !== 'auto' && inst.mode !== hooks.mechanism.http) {
    throw withCode(Error, 'CTXFRAME_OUTBOUND_MODE_CONFLICT',
      `Outbound propagation is already installed with http mode "${hooks.mechanism.http}"; ` +
      `cannot also install with mode "${inst.mode}".`);
  }
  installations.add(inst);
  const { mechanism } = hooks;
  let installed = true;
  return {
    mechanism,
    uninstall() {
      if (!installed) return;
      installed = false;
      if (installations.delete(inst) && installations.size === 0) removeHooks();
    },
  };
}

// Removes every installation and all hooks at once (shutdown, tests). Handles already handed
// out become no-ops.
function uninstallOutbound() {
  installations.clear();
  removeHooks();
}

function isOutboundInstalled() {
  return hooks !== null;
}

module.exports = {
  installOutbound,
  uninstallOutbound,
  isOutboundInstalled,
};
