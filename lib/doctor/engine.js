'use strict';
// Owns: doctor's watching. An async_hooks init hook records, for every async resource, the
// request context it was created in and the stack that created it (that capture is where
// doctor's cost goes); writes on sockets record which requests used each connection; the HTTP
// server's 'request' event tells which response belongs to which request, so a response written
// in another request's context is a conflation whatever path led there. When a read finds no
// context where one is expected, or finds a request's context where it does not belong,
// analyze() names the boundary and report.js groups it by site. Work marked as outside requests
// on purpose (outsideRequests()) and a framework's own work before the request entered its
// context are counted apart, not reported as findings.

const { createHook, executionAsyncId, executionAsyncResource } = require('node:async_hooks');
const { capture, framesOf, where } = require('./stack.js');
const { Findings } = require('./report.js');
const { kObservingGetStore } = require('../storage-api.js');
const { analyze, requestIdOf, hasAppFrame, packageOf, HANDLE_TYPES, SERVER_TYPES, PARENT_LINKS } = require('./classify.js');

const ENDED_KEPT = 10000;
// Writes remembered per connection: enough to find the call a reply answers among the calls
// waiting on a shared client.
const USES_KEPT = 16;
// Reads without a context kept until it is known whether a request starts in the same run.
const PROVISIONAL_KEPT = 64;

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
  const uses = new WeakMap(); // connection handle -> [{ ctx, stack, parent }] its latest writes
  const owners = new WeakMap(); // http.ServerResponse -> { id, store } of the request it answers
  const flagged = new WeakSet(); // responses already reported as written in another's context
  let dispatching = null; // the response whose server 'request' event is being emitted
  let provisional = []; // reads without a context that a request start may still claim
  let flushQueued = false;
  const beforeIngress = new Map(); // site -> { site, library, count } of framework-owned reads
  const marked = new Map(); // finding key -> { ...finding summary, count } of marked work
  const markedSites = []; // { spec, file, line } from outsideRequests('file:line') and the env
  let markedDepth = 0; // > 0 while a function marked with outsideRequests(fn) runs
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
    // A promise made outside any request by code running in the reaction of another such
    // promise (an async loop started at startup, a client's promise chain) shares that
    // promise's record: the chain began at the parent's creation site, which is where doctor
    // reports it, and one stack per chain instead of one per promise is most of what keeps
    // doctor's cost down where a loop outside requests starts the work.
    if (type === 'PROMISE' && parent !== undefined && parent.type === 'PROMISE' && ctx === parent.ctx &&
        markedDepth === 0) {
      records.set(resource, parent);
      return;
    }
    const links = parent === undefined ? 0 : parent.links + 1;
    // What a server accepted is created by Node's own connection code: no site to report.
    const accepted = parent !== undefined && SERVER_TYPES.has(parent.type);
    const rec = {
      type,
      ctx,
      stack: accepted ? null : capture(init),
      repeat,
      // Created by work marked as outside requests on purpose: its reads are marked too.
      marked: markedDepth > 0 || (parent !== undefined && parent.marked),
      // What a server creates for a connection it accepted (the socket, its TLS layer, its
      // HTTP parser) serves the requests that arrive on it, one after the other: neither a
      // leak nor a conflation. Only direct children of the server's own callback count.
      accepted,
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
          let list = uses.get(handle);
          if (list === undefined) { list = []; uses.set(handle, list); }
          if (list.length === USES_KEPT) list.shift();
          list.push({
            type: 'write', ctx: readPrimary(), stack: capture(_writeGeneric),
            parent: records.get(current()), links: 0,
          });
        }
        return original.call(this, writev, data, encoding, cb);
      },
    });
  }

  function lastUseOf(resource) {
    const list = uses.get(resource);
    return list === undefined ? undefined : list[list.length - 1];
  }

  // Which response belongs to which request: the server's 'request' event hands the response
  // to the application, and the ingress enters the request's context inside that event (for
  // the frameworks it supports, before any await). An own emit on http(s).Server.prototype that
  // notes the response and calls the inherited emit with the same arguments and result.
  function instrumentServers() {
    for (const name of ['node:http', 'node:https']) {
      const proto = require(name).Server.prototype;
      if (Object.prototype.hasOwnProperty.call(proto, 'emit')) continue;
      const parent = Object.getPrototypeOf(proto);
      Object.defineProperty(proto, 'emit', {
        value: function emit(event, req, res) {
          if (event !== 'request' || res === null || typeof res !== 'object') {
            return Reflect.apply(parent.emit, this, arguments);
          }
          const saved = dispatching;
          dispatching = res;
          try {
            return Reflect.apply(parent.emit, this, arguments);
          } finally {
            dispatching = saved;
          }
        },
        writable: true, configurable: true, enumerable: false,
      });
    }
    // Writes to a response: own write/end on ServerResponse.prototype calling the inherited
    // ones with the same arguments and result.
    const proto = require('node:http').ServerResponse.prototype;
    for (const method of ['write', 'end']) {
      if (Object.prototype.hasOwnProperty.call(proto, method)) continue;
      const parent = Object.getPrototypeOf(proto);
      const wrapper = {
        [method]: function () {
          if (!busy) {
            try { checkWrite(this, method, wrapper); } catch { internal.errors++; }
          }
          return Reflect.apply(parent[method], this, arguments);
        },
      }[method];
      Object.defineProperty(proto, method, {
        value: wrapper, writable: true, configurable: true, enumerable: false,
      });
    }
  }

  // A request's response written while another request's context is current: that request's
  // context runs this request's work. Reported once per response.
  function checkWrite(res, method, skip) {
    const owner = owners.get(res);
    if (owner === undefined || flagged.has(res)) return;
    const store = readPrimary();
    const id = requestIdOf(store);
    if (id === null || id === owner.id) return;
    flagged.add(res);
    record(ended.has(id) ? 'leaked' : 'conflated', { context: primary.name, api: `res.${method}()` },
      skip, store, undefined, owner.id);
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
    const use = lastUseOf(resource);
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
    record('lost', info, skip, undefined, lastUseOf(current()));
  }

  // Never lets doctor's own failure reach the application: the read it observes goes on.
  function record(type, info, skip, store, use, other) {
    if (busy) return;
    busy = true;
    try {
      analyzeAndAdd(type, info, skip, store, use, other);
    } catch (err) {
      internal.errors++;
      if (internal.lastError === null) internal.lastError = String(err && err.stack ? err.stack : err);
    } finally {
      busy = false;
    }
  }

  function analyzeAndAdd(type, info, skip, store, use, other) {
    const resource = current();
    const eid = running.length !== 0 ? -1 : executionAsyncId();
    const rec = eid === 0 ? undefined : records.get(resource);
    const frames = framesOf(capture(skip, 64));
    // A built-in storage reading itself (its run() calls getStore()) is not a read by
    // the application.
    if (info.api === 'getStore()') {
      const caller = frames.find((f) => f.origin !== 'ctxframe');
      if (caller !== undefined && /^node:(?:async_hooks$|internal\/async_local_storage\/)/.test(caller.file)) return;
    }
    const finding = analyze(type, eid, rec, frames, use, uses.get(resource));
    finding.context = info.context;
    finding.api = info.api;
    finding.requestId = requestIdOf(store); // the context that was read (null: none)
    if (other !== undefined) finding.usedBy = other;
    if (finding.usedBy === undefined) finding.usedBy = use === undefined ? null : requestIdOf(use.ctx);
    if (markedDepth > 0 || (rec !== undefined && rec.marked) || matchesMarkedSite(finding, frames)) {
      addMarked(finding);
      return;
    }
    // A read without a context, in code a request is about to enter its context for: the
    // framework's own work before the ingress (or a hook registered before it). Kept aside
    // until this synchronous run either starts a request (then it is that) or ends (then it is
    // a loss: a tick queued now runs after the run).
    if (type === 'lost') {
      if (provisional.length === PROVISIONAL_KEPT) findings.add(provisional.shift().finding);
      provisional.push({ finding, frames, app: hasAppFrame(frames) });
      if (!flushQueued) {
        flushQueued = true;
        process.nextTick(flushProvisional);
      }
      return;
    }
    findings.add(finding);
  }

  // The run ended without starting a request: the reads kept aside are losses.
  function flushProvisional() {
    flushQueued = false;
    const list = provisional;
    provisional = [];
    try {
      for (const p of list) findings.add(p.finding);
    } catch {
      internal.errors++;
    }
  }

  // A request starts: the reads without a context made earlier in this same run were made for
  // it before it had one.
  function claimProvisional(id) {
    for (const p of provisional) {
      if (p.app) {
        // Application code (a hook or middleware registered before the ingress) read it.
        const f = p.finding;
        f.kind = 'before-ingress';
        f.library = null;
        f.usedBy = id;
        if (f.callback !== null) f.site = f.callback;
        findings.add(f);
      } else {
        const { site, library } = frameworkSite(p.frames, p.finding);
        let entry = beforeIngress.get(site);
        if (entry === undefined) {
          entry = { site, library, apis: [], count: 0 };
          beforeIngress.set(site, entry);
        }
        entry.count++;
        if (!entry.apis.includes(p.finding.api)) entry.apis.push(p.finding.api);
      }
    }
    provisional = [];
  }

  // The framework's frame that did the read: the first dependency outside the package that
  // read (a logger called by the framework names the framework's line that logged).
  function frameworkSite(frames, finding) {
    let reader = null;
    for (const f of frames) {
      if (f.origin !== 'dependency') continue;
      const name = packageOf(f);
      if (reader === null) { reader = name; continue; }
      if (name !== reader) return { site: where(f, false).site, library: name };
    }
    return { site: finding.site.site, library: reader };
  }

  function matchesMarkedSite(finding, frames) {
    if (markedSites.length === 0) return false;
    for (const mark of markedSites) {
      for (const w of [finding.site, finding.read, finding.callback]) {
        if (w !== null && w !== undefined && siteMatches(mark, w.file, w.line)) return true;
      }
      for (const f of frames) {
        if (siteMatches(mark, f.file, f.line) || (f.defLine && siteMatches(mark, f.file, f.defLine))) return true;
      }
    }
    return false;
  }

  function siteMatches(mark, file, line) {
    if (!file || (mark.line !== 0 && mark.line !== line)) return false;
    return file === mark.file || file.endsWith(`/${mark.file}`);
  }

  function addMarked(finding) {
    const key = `${finding.type}\0${finding.kind}\0${finding.site.site}`;
    let entry = marked.get(key);
    if (entry === undefined) {
      entry = { type: finding.type, kind: finding.kind, site: finding.site.site, context: finding.context, count: 0 };
      marked.set(key, entry);
    }
    entry.count++;
  }

  // outsideRequests(fn): fn and the async work it starts run outside requests on purpose.
  function markFunction(fn) {
    return function outsideRequests(...args) {
      markedDepth++;
      try {
        return Reflect.apply(fn, this, args);
      } finally {
        markedDepth--;
      }
    };
  }

  // outsideRequests('file:line' | 'file'): reads whose site, read, callback or any frame is
  // there. The file matches by path suffix (relative to the working directory or absolute).
  function markSite(spec) {
    const m = /^(.*?)(?::(\d+))?$/.exec(spec);
    markedSites.push({ spec, file: m[1].replace(/^\.\//, ''), line: m[2] === undefined ? 0 : Number(m[2]) });
  }

  function takeFindings() {
    if (provisional.length !== 0) flushProvisional();
    return findings;
  }

  function requestStarted(store) {
    const id = requestIdOf(store);
    if (id === null) return;
    requests.started++;
    inFlight.set(id, store);
    if (dispatching !== null && !owners.has(dispatching)) owners.set(dispatching, { id, store });
    if (provisional.length !== 0) {
      busy = true;
      try { claimProvisional(id); } catch { internal.errors++; } finally { busy = false; }
    }
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
      instrumentServers();
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
    markFunction,
    markSite,
    inFlightCount() { return inFlight.size; },
    takeFindings,
    beforeIngress,
    marked,
    requests,
    internal,
  };
}

module.exports = { createEngine };
