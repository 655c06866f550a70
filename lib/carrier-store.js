'use strict';
// The carrier: the one built-in AsyncLocalStorage that carries the carrier
// backend's current entries, and how to read and write its value on an async
// resource as cheaply as the built-in itself does.
//
// Node 20 and 22 keep a built-in storage's value on the resource itself,
// Node 24 --no-async-context-frame in a holder object under an internal
// symbol; a layout we do not recognise goes through the public API. The
// layout is found by looking, once, when the carrier starts, and `carrier`
// then takes that layout's prototype: run() and getStore() cost one
// executionAsyncResource() and one or two property loads, with no branch on
// the layout.
//
// The carrier starts on the first write, not at load: a built-in storage
// switches Node's async_hooks on (on Node 24 --no-async-context-frame already
// in its constructor), which a process that never enters a ctxframe context
// should not pay for.

const {
  AsyncLocalStorage: BuiltinAsyncLocalStorage,
  executionAsyncResource,
} = require('node:async_hooks');

// Where `builtin` keeps its value on the current resource: { key, holder }
// (resource[holder][key], or resource[key] when holder is null), or
// key === null when neither is found.
function locate(builtin) {
  let key = builtin.kResourceStore;
  const resource = executionAsyncResource();
  const prior = builtin.getStore();
  const probe = { ctxframeProbe: true };
  builtin.enterWith(probe);
  let holder = null;
  if (resource[key] !== probe) {
    for (const symbol of Object.getOwnPropertySymbols(resource)) {
      const value = resource[symbol];
      if (value !== null && typeof value === 'object' && value[key] === probe) {
        holder = symbol;
        break;
      }
    }
    if (holder === null) key = null;
  }
  builtin.enterWith(prior);
  return { key, holder };
}

// Not started: nothing carries a value yet.
class Carrier {
  constructor() {
    this.builtin = null;
    this.key = null;
    this.holder = null;
    this.writes = 0;
  }

  // The current resource, for read() and write(); starts the carrier.
  resource() {
    const builtin = new BuiltinAsyncLocalStorage();
    const { key, holder } = locate(builtin);
    this.builtin = builtin;
    this.key = key;
    this.holder = holder;
    this.writes = 0;
    Object.setPrototypeOf(this, key === null ? PublicApi.prototype :
      holder === null ? OwnProperty.prototype : InHolder.prototype);
    return executionAsyncResource();
  }

  read() { return undefined; }
}

// resource[key]
class OwnProperty {
  resource() { return executionAsyncResource(); }
  read(resource) { return resource[this.key]; }
  write(resource, entries) { resource[this.key] = entries; }
}

// resource[holder][key]; the built-in creates the holder on its first write
// to a resource.
class InHolder {
  resource() { return executionAsyncResource(); }
  read(resource) {
    const holder = resource[this.holder];
    return holder === undefined ? undefined : holder[this.key];
  }
  write(resource, entries) {
    const holder = resource[this.holder];
    if (holder !== undefined) holder[this.key] = entries;
    else this.builtin.enterWith(entries);
  }
}

// A layout we do not know: the built-in's own API.
// run() goes through the built-in's run() (carrier.js): `writes` counts enterWith()s, so run()
// knows whether fn wrote without a call.
class PublicApi {
  resource() { return executionAsyncResource(); }
  read() { return this.builtin.getStore(); }
  write(resource, entries) {
    this.builtin.enterWith(entries);
    this.writes++;
  }
}

// run() asks this (carrier.js) once the carrier has started.
OwnProperty.prototype.viaApi = false;
InHolder.prototype.viaApi = false;
PublicApi.prototype.viaApi = true;

module.exports = { carrier: new Carrier() };
