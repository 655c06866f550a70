'use strict';
// Owns: the diagnostics_channel subscribers of ctxframe/outbound — `undici:request:create`
// (fetch and undici: the request has addHeader() and runs before anything is written; every
// supported runtime publishes it) and `http.client.request.created` (node:http where Node
// publishes it from the ClientRequest constructor before the headers are rendered: Node 22.23,
// 24, 26 in the test matrix; detected from Node's own ClientRequest, not the version).

const diagnosticsChannel = require('node:diagnostics_channel');
const http = require('node:http');
const { headersToAdd, setEach } = require('./headers.js');
const { mergeBaggageHeaders } = require('../baggage.js');

const UNDICI_CREATE = 'undici:request:create';
const HTTP_CREATED = 'http.client.request.created';

function httpPublishesCreated() {
  try {
    return /\bonClientRequestCreatedChannel\b/.test(Function.prototype.toString.call(http.ClientRequest));
  } catch {
    return false;
  }
}

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

// Index of a header's name in undici's flat [name, value, ...] array, or -1.
function undiciHeaderIndex(headers, name) {
  for (let i = 0; i < headers.length; i += 2) {
    if (String(headers[i]).toLowerCase() === name) return i;
  }
  return -1;
}

function onUndiciRequestCreate(message) {
  const request = message && message.request;
  if (!request || typeof request.addHeader !== 'function') return;
  let names = null;
  const add = headersToAdd((name) => {
    if (names === null) names = undiciHeaderNames(request.headers);
    return names.has(name);
  }, (name) => {
    const { headers } = request;
    const i = Array.isArray(headers) ? undiciHeaderIndex(headers, name) : -1;
    return i === -1 ? undefined : String(headers[i + 1]);
  });
  if (add === null) return;
  const headers = request.headers;
  setEach(add, (name, value) => {
    const i = Array.isArray(headers) ? undiciHeaderIndex(headers, name) : -1;
    if (i !== -1) headers[i + 1] = value; // baggage, merged with the one there
    else request.addHeader(name, value);
  });
  yieldToLaterInjectors(request, add);
}

// Subscribers of this channel that run after ctxframe's — OpenTelemetry's undici
// instrumentation, APM agents — add their propagation headers with request.addHeader(), which
// appends: the request would carry two traceparents, two baggage headers. This request's
// addHeader() is shadowed so that a later traceparent or tracestate replaces ctxframe's (theirs
// names their client span; ctxframe's tracestate goes with ctxframe's traceparent) and a later
// baggage is merged with ctxframe's (its members win). Everything else is added as before.
function yieldToLaterInjectors(request, added) {
  if (!Array.isArray(request.headers)) return;
  const ours = new Set();
  for (const [name] of added) {
    if (name === 'traceparent' || name === 'tracestate' || name === 'baggage') ours.add(name);
  }
  if (ours.size === 0) return;
  const addHeader = request.addHeader;
  const shadow = function addHeaderAfterCtxframe(name, value) {
    const lower = typeof name === 'string' ? name.toLowerCase() : '';
    const headers = this.headers;
    if (ours.has(lower) && typeof value === 'string' && Array.isArray(headers)) {
      const i = undiciHeaderIndex(headers, lower);
      if (i !== -1) {
        if (lower === 'traceparent') {
          ours.delete('traceparent');
          headers[i + 1] = value;
          if (ours.delete('tracestate')) {
            const j = undiciHeaderIndex(headers, 'tracestate');
            if (j !== -1) headers.splice(j, 2);
          }
          return this;
        }
        if (lower === 'tracestate') {
          ours.delete('tracestate');
          headers[i + 1] = value;
          return this;
        }
        ours.delete('baggage');
        const ctxframeMembers = String(headers[i + 1]);
        headers[i + 1] = mergeBaggageHeaders(value, ctxframeMembers);
        return this;
      }
    }
    return Reflect.apply(addHeader, this, arguments);
  };
  try {
    Object.defineProperty(request, 'addHeader', { value: shadow, writable: true, configurable: true, enumerable: false });
  } catch {
    // a frozen request keeps its own addHeader
  }
}

// --- node:http via http.client.request.created -----------------------------------------------

function onHttpRequestCreated(message) {
  const request = message && message.request;
  // Headers given as a raw array (or with Expect) are rendered in the constructor: too late.
  if (!request || request.headersSent || typeof request.setHeader !== 'function') return;
  const add = headersToAdd((name) => request.hasHeader(name), (name) => request.getHeader(name));
  if (add !== null) setEach(add, (name, value) => request.setHeader(name, value));
}

// Subscribes to the channels; returns the functions that unsubscribe, in subscription order.
function subscribeUndici() {
  diagnosticsChannel.subscribe(UNDICI_CREATE, onUndiciRequestCreate);
  return () => diagnosticsChannel.unsubscribe(UNDICI_CREATE, onUndiciRequestCreate);
}

function subscribeHttpCreated() {
  diagnosticsChannel.subscribe(HTTP_CREATED, onHttpRequestCreated);
  return () => diagnosticsChannel.unsubscribe(HTTP_CREATED, onHttpRequestCreated);
}

module.exports = { HTTP_CREATED, httpPublishesCreated, subscribeUndici, subscribeHttpCreated };
