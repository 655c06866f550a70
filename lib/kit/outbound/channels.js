'use strict';
// Owns: the diagnostics_channel subscribers of ctxframe/outbound — `undici:request:create`
// (fetch and undici: the request has addHeader() and runs before anything is written; every
// supported runtime publishes it) and `http.client.request.created` (node:http where Node
// publishes it from the ClientRequest constructor before the headers are rendered: Node 22.23,
// 24, 26 in the test matrix; detected from Node's own ClientRequest, not the version).

const diagnosticsChannel = require('node:diagnostics_channel');
const http = require('node:http');
const { headersToAdd, setEach } = require('./headers.js');

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
