'use strict';
// Owns: the node:http mechanism for runtimes whose ClientRequest publishes no
// `http.client.request.created` before rendering its headers (Node 20 publishes only
// `http.client.request.start`, too late): http.request/http.get/https.request/https.get are
// wrapped to add the headers to a copy of the options before Node sees them, and restored on
// uninstall. Also mode 'patch' on any runtime. Dropping Node 20 (and mode 'patch') deletes this file.

const http = require('node:http');
const https = require('node:https');
const { syncBuiltinESMExports } = require('node:module');
const { installations, headersToAdd } = require('./headers.js');

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

// The value of header `name` (lowercase) in request options' headers, or undefined.
function headerValueOf(headers, name) {
  if (Array.isArray(headers)) {
    if (headers.length > 0 && Array.isArray(headers[0])) {
      for (const pair of headers) if (String(pair[0]).toLowerCase() === name) return pair[1];
    } else {
      for (let i = 0; i < headers.length; i += 2) if (String(headers[i]).toLowerCase() === name) return headers[i + 1];
    }
  } else if (headers !== null && typeof headers === 'object') {
    for (const key of Object.keys(headers)) if (key.toLowerCase() === name) return headers[key];
  }
  return undefined;
}

// A copy of `headers` with each [name, value] of `add` set: added, or replacing a header of the
// same name (only `baggage` is ever replaced: headersToAdd() merged it with the one there).
function mergeHeaders(headers, add) {
  if (Array.isArray(headers)) {
    const pairs = headers.length > 0 && Array.isArray(headers[0]);
    const merged = headers.filter((entry, i) => {
      const name = pairs ? entry[0] : (i % 2 === 0 ? entry : headers[i - 1]);
      return !add.some(([n]) => n === String(name).toLowerCase());
    });
    for (const [name, value] of add) {
      if (pairs) merged.push([name, value]);
      else merged.push(name, value);
    }
    return merged;
  }
  const merged = headers !== null && typeof headers === 'object' ? { ...headers } : {};
  for (const [name, value] of add) {
    for (const key of Object.keys(merged)) if (key !== name && key.toLowerCase() === name) delete merged[key];
    merged[name] = value;
  }
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
  }, (name) => headerValueOf(options && options.headers, name));
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

// Wraps the four request functions; returns the functions that undo it, to be run last-in
// first-out. ESM named imports of node:http/https see the wrappers too, and the originals after
// the restore (the sync is undone last, after the wrappers are removed).
function wrapHttpRequests() {
  const undo = [syncBuiltinESMExports];
  for (const [target, key] of [[http, 'request'], [http, 'get'], [https, 'request'], [https, 'get']]) {
    undo.push(wrapRequestFunction(target, key));
  }
  syncBuiltinESMExports();
  return undo;
}

module.exports = { wrapHttpRequests };
