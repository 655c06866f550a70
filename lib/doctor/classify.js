'use strict';
// Owns: naming a boundary. Given what was running when a read went wrong (the async resource's
// record, the read's frames, the connection's last use), decides the kind, the site to report
// and the evidence around it. Pure: no hooks, no state.

const { ContextScope } = require('../kit/context-scope.js');
const { framesOf, firstUserFrame, where } = require('./stack.js');

// Resource types that are long-lived connections: their callbacks run in whichever context
// opened them, whoever used them last.
const HANDLE_TYPES = new Set([
  'TCPWRAP', 'TLSWRAP', 'PIPEWRAP', 'UDPWRAP', 'TCPCONNECTWRAP', 'PIPECONNECTWRAP',
  'HTTPCLIENTREQUEST', 'HTTPINCOMINGMESSAGE', 'JSSTREAM', 'HTTP2SESSION', 'QUIC_SESSION',
]);
const POOL_NAMES = /^(?:_?release|_?dispense|_?acquire|_?checkout|_?checkin|_?pulseQueue|_?returnToPool)$/;
const SERVER_TYPES = new Set(['TCPSERVERWRAP', 'PIPESERVERWRAP']);
const THENABLE_NAMES = /^(?:then|_?resolve|_?reject|_?settle|_?fulfill|_?fulfil|_?notify|_?settlePromises?)$/;
// How many async parents a record keeps, and siteOf() looks through.
const PARENT_LINKS = 4;

// A request context's id (ingress sets requestId), or null for anything else. A context type's
// storage holds a scope per run() (kit/context-scope.js): its current snapshot has the id.
function requestIdOf(store) {
  if (store === null || typeof store !== 'object') return null;
  const id = ContextScope.read(store).requestId;
  return typeof id === 'string' || typeof id === 'number' ? id : null;
}

// Names the boundary: what was running, who called the callback that read, where it was
// registered and in which context.
function analyze(type, eid, rec, frames, use) {
  let reader = -1;
  for (let i = 0; i < frames.length; i++) {
    if (frames[i].origin === 'app') { reader = i; break; }
  }
  if (reader === -1) {
    for (let i = 0; i < frames.length; i++) {
      if (frames[i].origin === 'dependency') { reader = i; break; }
    }
  }
  // The callback: the reading function and its callers in the same file, down to whatever
  // called into that file.
  let callback = reader;
  if (reader !== -1) {
    const file = frames[reader].file;
    while (callback + 1 < frames.length && frames[callback + 1].origin === frames[reader].origin &&
           frames[callback + 1].file === file) callback++;
  }
  let invoker = null;
  let viaEmit = false;
  if (callback !== -1) {
    for (let i = callback + 1; i < frames.length; i++) {
      const f = frames[i];
      if (f.origin === 'node') {
        if (f.file === 'node:events') { viaEmit = true; continue; } // emit, once's wrapper
        break;
      }
      if (f.origin === 'ctxframe') continue;
      invoker = f;
      break;
    }
  }
  const readFrame = reader === -1 ? null : frames[reader];
  const callbackFrame = callback === -1 ? null : frames[callback];
  const resourceType = rec === undefined ? null : rec.type;

  let kind;
  let siteFrame = null;
  let siteFromDefinition = false;
  if (eid === 0) {
    kind = 'native-callback';
    siteFrame = callbackFrame; siteFromDefinition = true;
  } else if (viaEmit) {
    kind = 'emitter';
    siteFrame = callbackFrame; siteFromDefinition = true;
  } else if (rec !== undefined && HANDLE_TYPES.has(rec.type)) {
    kind = 'pool';
    // Where this request handed its work to the connection; else the callback it handed over.
    siteFrame = use && siteOf(use);
    if (!siteFrame || siteFrame.origin !== 'app') {
      if (callbackFrame && callbackFrame.origin === 'app') { siteFrame = callbackFrame; siteFromDefinition = true; }
      else siteFrame = siteFrame || siteOf(rec);
    }
  } else if (invoker !== null && POOL_NAMES.test(invoker.method || invoker.fn.replace(/^.*\./, ''))) {
    kind = 'pool';
    siteFrame = callbackFrame; siteFromDefinition = true;
  } else if (invoker !== null && THENABLE_NAMES.test(invoker.method || invoker.fn.replace(/^.*\./, ''))) {
    kind = 'thenable';
    siteFrame = callbackFrame; siteFromDefinition = true;
  } else if (invoker !== null) {
    kind = 'queue';
    siteFrame = callbackFrame; siteFromDefinition = true;
  } else if (rec !== undefined && (rec.type === 'Timeout' || rec.type === 'Immediate')) {
    kind = 'timer';
    siteFrame = siteOf(rec);
  } else if (rec !== undefined && rec.type === 'PROMISE') {
    kind = 'stored-resolve';
    siteFrame = siteOf(rec);
  } else {
    kind = 'async-resource';
    siteFrame = (rec && siteOf(rec)) || callbackFrame;
  }
  if (siteFrame === null) siteFrame = readFrame;
  const site = where(siteFrame, siteFromDefinition) ||
    { site: '<unknown>', file: null, line: 0, column: 0, fn: null };
  const createdFrame = rec === undefined ? null : siteOf(rec);
  return {
    type,
    kind,
    site,
    read: where(readFrame, false),
    callback: where(callbackFrame, true),
    invokedBy: invoker === null ? (viaEmit ? { site: 'EventEmitter.emit', file: 'node:events', line: 0, column: 0, fn: 'emit' } : null) : where(invoker, false),
    resource: eid === 0 ? { type: null, asyncId: 0, createdAt: null, createdIn: null } : {
      type: resourceType,
      asyncId: eid === -1 ? null : eid,
      createdAt: createdFrame === null ? null : where(createdFrame, false),
      createdIn: rec === undefined ? null : requestIdOf(rec.ctx),
      interval: rec !== undefined && rec.repeat,
    },
    lastUse: use === undefined ? null : {
      at: siteOf(use) === null ? null : where(siteOf(use), false),
      in: requestIdOf(use.ctx),
    },
  };
}

// The application frame that created a record, looking through up to PARENT_LINKS async
// parents when the record was created deep inside a library.
function siteOf(rec) {
  for (let r = rec, n = 0; r !== undefined && n <= PARENT_LINKS; r = r.parent, n++) {
    const frame = firstUserFrame(framesOf(r.stack));
    if (frame !== null && frame.origin === 'app') return frame;
  }
  return firstUserFrame(framesOf(rec.stack));
}


module.exports = { analyze, requestIdOf, HANDLE_TYPES, SERVER_TYPES, PARENT_LINKS, POOL_NAMES, THENABLE_NAMES };
