'use strict';
// Owns: doctor's watching. An async_hooks init hook records, for every async resource, the
// request context it was created in and the stack that created it (that capture is where
// doctor's cost goes); writes on sockets record which request last used each connection.
// When a read finds no context where one is expected, or finds a request's context where it
// does not belong, analyze() names the boundary and report.js groups it by site.

const { createHook, executionAsyncId, executionAsyncResource } = require('node:async_hooks');
const { capture, framesOf } = require('./stack.js');
const { Findings } = require('./report.js');
const { kObservingGetStore } = require('../storage-api.js');
const { analyze, requestIdOf, HANDLE_TYPES, SERVER_TYPES, PARENT_LINKS } = require('./classify.js');

const ENDED_KEPT = 10000;

// Node 24.9+ can leave promises out of async_hooks (`trackPromises: false`). Probed, not guessed
// from the version: a hook that still sees a promise created while it is enabled does not.
function canSkipPromises() {
  let seen = false;
  const probe = createHook({ init(id, type) { if (type === 'PROMISE') seen = true; }, trackPromises: false });
  probe.enable();
  Promise.resolve();
  probe.disable();
  return !seen;
}

// options.ownPromiseHooks: follow promises with V8's promise hooks instead of async_hooks'.
// Worth it where nothing else tracks promises (the frame backend): async_hooks would then turn
// on its own promise tracking (async ids, a resource stack) for every promise in the process.
function createEngine(options = {}) {
  const ownPromiseHooks = options.ownPromiseHooks === true && canSkipPromises();
  const running = []; // ownPromiseHooks: the promise reactions running now (innermost last)
  const records = new WeakMap(); // async resource -> { type, ctx, stack, repeat, parent, links }
  const lastUse = new WeakMap(); // connection handle -> { ctx, stack } of the last write on it
  const watched = []; // { storage, original, name, expected }
  const inFlight = new Map(); // requestId -> store
  const ended = new Map(); // requestId -> executionAsyncId of the end (bounded, oldest first)
  const requests = { started: 0, ended: 0 };
  const findings = new Findings();
  const internal = { errors: 0, lastError: null };
  let primary = null;
  let busy = false;

  function readPrimary() {
    return primary === null ? undefined : primary.original.call(primary.storage);
  }


  function init(asyncId, type, triggerAsyncId, resource) {
    if (busy) return;
    const ctx = readPrimary();
    const repeat = type === 'Timeout' && resource._repeat != null;
    // Work created inside a request runs in that request: it can neither lose the context nor
    // carry another's, unless it outlives the request (an interval) or is shared (a
    // connection). Not recording the rest is most of what keeps doctor affordable under load.
    if (ctx !== undefined && !repeat && !HANDLE_TYPES.has(type)) return;
    const parent = records.get(current());
    const links = parent === undefined ? 0 : parent.links + 1;
    const rec = {
      type,
      ctx,
      stack: capture(init),
      repeat,
      // What a server creates for a connection it accepted (the socket, its TLS layer, its
      // HTTP parser) serves the requests that arrive on it, one after the other: neither a
      // leak nor a conflation. Only direct children of the server's own callback count.
      accepted: parent !== undefined && SERVER_TYPES.has(parent.type),
      parent: links < PARENT_LINKS ? parent : undefined,
      links: links < PARENT_LINKS ? links : 0,
    };
    records.set(resource, rec);
  }

  const hook = createHook(ownPromiseHooks ? { init, trackPromises: false } : { init });
  let promiseHooks = null;

  // The async resource whose callback is running: a promise reaction when doctor follows
  // promises itself, else what async_hooks says.
  function current() {
    return running.length !== 0 ? running[running.length - 1] : executionAsyncResource();
  }
  function onPromiseInit(promise) {
    init(0, 'PROMISE', 0, promise);
  }
  function onPromiseBefore(promise) { running.push(promise); }
  function onPromiseAfter() { running.pop(); }

  // Node emits no async resource for a socket write, so doctor notes who wrote last on each
  // connection by wrapping net.Socket's one internal write path (same arguments, same result).
  function instrumentSockets() {
    const proto = require('node:net').Socket.prototype;
    const descriptor = Object.getOwnPropertyDescriptor(proto, '_writeGeneric');
    if (descriptor === undefined || typeof descriptor.value !== 'function') return;
    const original = descriptor.value;
    Object.defineProperty(proto, '_writeGeneric', {
      ...descriptor,
      value: function _writeGeneric(writev, data, encoding, cb) {
        const handle = this._handle;
        if (!busy && handle !== null && typeof handle === 'object' && !isAccepted(handle)) {
          lastUse.set(handle, {
            type: 'write', ctx: readPrimary(), stack: capture(_writeGeneric),
            parent: records.get(current()), links: 0,
          });
        }
        return original.call(this, writev, data, encoding, cb);
      },
    });
  }

  function watch(storage, name, expected) {
    for (const entry of watched) {
      if (entry.storage === storage) {
        if (expected) entry.expected = true;
        return entry;
      }
    }
    const original = storage.getStore;
    const entry = { storage, original, name, expected };
    watched.push(entry);
    // An own, non-enumerable getStore that returns exactly what the storage's own returns.
    // Marked as only observing, so ctxframe's run() does not read through it (see storage-api.js).
    const observing = function getStore() {
      const store = original.call(this);
      if (!busy) {
        try { checkRead(entry, store); } catch { internal.errors++; }
      }
      return store;
    };
    observing[kObservingGetStore] = true;
    try {
      Object.defineProperty(storage, 'getStore', {
        value: observing,
        writable: true, configurable: true, enumerable: false,
      });
    } catch {
      internal.errors++; // a frozen storage: its reads are not watched
    }
    return entry;
  }

  function isAccepted(handle) {
    const rec = records.get(handle);
    return rec !== undefined && rec.accepted;
  }

  function setPrimary(storage, name) {
    primary = watch(storage, name, false);
  }

  function checkRead(entry, store) {
    if (store === undefined) {
      if (entry.expected) lost({ context: entry.name, api: 'getStore()' }, checkRead);
      return;
    }
    const id = requestIdOf(store);
    if (id === null) return;
    const resource = current();
    const use = lastUse.get(resource);
    const usedBy = use === undefined ? null : requestIdOf(use.ctx);
    if (usedBy !== null && usedBy !== id) {
      record('conflated', { context: entry.name, api: 'read' }, checkRead, store, use);
      return;
    }
    if (ended.has(id) && ended.get(id) !== executionAsyncId()) {
      const rec = records.get(resource);
      if (rec !== undefined && !rec.accepted && (HANDLE_TYPES.has(rec.type) || rec.repeat)) {
        record('leaked', { context: entry.name, api: 'read' }, checkRead, store, use);
      }
    }
  }

  function lost(info, skip) {
    record('lost', info, skip, undefined, lastUse.get(current()));
  }

  // Never lets doctor's own failure reach the application: the read it observes goes on.
  function record(type, info, skip, store, use) {
    if (busy) return;
    busy = true;
    try {
      analyzeAndAdd(type, info, skip, store, use);
    } catch (err) {
      internal.errors++;
      if (internal.lastError === null) internal.lastError = String(err && err.stack ? err.stack : err);
    } finally {
      busy = false;
    }
  }

  function analyzeAndAdd(type, info, skip, store, use) {
    const resource = current();
    const eid = running.length !== 0 ? -1 : executionAsyncId();
    const rec = eid === 0 ? undefined : records.get(resource);
    const frames = framesOf(capture(skip, 64));
    const finding = analyze(type, eid, rec, frames, use);
    finding.context = info.context;
    finding.api = info.api;
    finding.requestId = requestIdOf(store); // the context that was read (null: none)
    if (finding.usedBy === undefined) finding.usedBy = use === undefined ? null : requestIdOf(use.ctx);
    findings.add(finding);
  }

  function requestStarted(store) {
    const id = requestIdOf(store);
    if (id === null) return;
    requests.started++;
    inFlight.set(id, store);
  }

  function requestEnded(store) {
    const id = requestIdOf(store);
    if (id === null || !inFlight.has(id)) return;
    requests.ended++;
    inFlight.delete(id);
    ended.set(id, executionAsyncId());
    if (ended.size > ENDED_KEPT) ended.delete(ended.keys().next().value);
  }

  return {
    enable() {
      hook.enable();
      if (ownPromiseHooks) {
        promiseHooks = require('node:v8').promiseHooks.createHook({
          init: onPromiseInit, before: onPromiseBefore, after: onPromiseAfter,
        });
      }
      instrumentSockets();
    },
    disable() {
      hook.disable();
      if (promiseHooks !== null) promiseHooks();
    },
    ownPromiseHooks,
    watch,
    setPrimary,
    lost,
    requestStarted,
    requestEnded,
    inFlightCount() { return inFlight.size; },
    findings,
    requests,
    internal,
  };
}

module.exports = { createEngine };
