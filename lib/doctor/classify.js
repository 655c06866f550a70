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

// The package a dependency frame belongs to (`name` or `@scope/name` after the last
// node_modules), or null for any other frame.
function packageOf(frame) {
  if (frame === null || frame.origin !== 'dependency') return null;
  const m = /[\\/]node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/]+)[\\/](?!.*[\\/]node_modules[\\/])/.exec(frame.file);
  return m === null ? null : m[1].replace(/\\/g, '/');
}

function nameOf(frame) {
  return frame.method || frame.fn.replace(/^.*\./, '');
}

function hasAppFrame(frames) {
  for (const f of frames) if (f.origin === 'app') return true;
  return false;
}

// The write on a shared connection made by the call that handed over `frame`'s callback: the
// latest write whose stack has an application frame in the callback's file on its definition
// line or just above it (a call spread over a few lines). When that call ran without a request
// context itself (a callback nested in another's reply), the request is the one that made the
// call the enclosing callback was handed to.
function callOf(writes, frame, depth = 0) {
  if (writes === undefined || frame === null || frame.origin !== 'app' || !frame.defLine) return null;
  for (let i = writes.length - 1; i >= 0; i--) {
    for (const f of framesOf(writes[i].stack)) {
      if (f.origin !== 'app' || f.file !== frame.file) continue;
      if (f.line > frame.defLine || frame.defLine - f.line > 3) continue;
      const write = writes[i];
      if (requestIdOf(write.ctx) === null && depth < 3 && f.defLine && f.defLine !== frame.defLine) {
        const outer = callOf(writes, f, depth + 1);
        if (outer !== null) return { write, ctx: outer.ctx };
      }
      return { write, ctx: write.ctx };
    }
  }
  return null;
}

// Names the boundary: what was running, who called the callback that read, where it was
// registered and in which context.
function analyze(type, eid, rec, frames, use, writes) {
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
  let invokerAt = -1;
  if (callback !== -1) {
    for (let i = callback + 1; i < frames.length; i++) {
      const f = frames[i];
      if (f.origin === 'node') {
        if (f.file === 'node:events') { viaEmit = true; continue; } // emit, once's wrapper
        break;
      }
      if (f.origin === 'ctxframe') continue;
      invoker = f;
      invokerAt = i;
      break;
    }
  }
  // What kind of library called back: the names of its functions between the callback and
  // whatever called into it (a promise library settles through helpers such as tryCatcher).
  const library = packageOf(invoker);
  let role = null;
  if (invoker !== null) {
    for (let i = invokerAt; i < frames.length; i++) {
      const f = frames[i];
      if (f.origin === 'ctxframe') continue;
      if (library !== null ? packageOf(f) !== library : f.file !== invoker.file) break;
      const name = nameOf(f);
      if (POOL_NAMES.test(name)) { role = 'pool'; break; }
      if (THENABLE_NAMES.test(name)) { role = 'thenable'; break; }
    }
  }
  const readFrame = reader === -1 ? null : frames[reader];
  const callbackFrame = callback === -1 ? null : frames[callback];
  const resourceType = rec === undefined ? null : rec.type;

  let kind;
  let call = null;
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
    // The call whose reply this callback is: its line, and the request that made it. Else
    // where the connection was last written to; else the callback that was handed over.
    call = callOf(writes, callbackFrame);
    if (call !== null) {
      siteFrame = callbackFrame; siteFromDefinition = true;
    } else {
      siteFrame = use && siteOf(use);
      if (!siteFrame || siteFrame.origin !== 'app') {
        if (callbackFrame && callbackFrame.origin === 'app') { siteFrame = callbackFrame; siteFromDefinition = true; }
        else siteFrame = siteFrame || siteOf(rec);
      }
    }
  } else if (role === 'pool') {
    kind = 'pool';
    siteFrame = callbackFrame; siteFromDefinition = true;
  } else if (role === 'thenable') {
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
    library,
    ...(call === null ? {} : { usedBy: requestIdOf(call.ctx) }),
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


module.exports = { analyze, requestIdOf, hasAppFrame, packageOf, HANDLE_TYPES, SERVER_TYPES, PARENT_LINKS, POOL_NAMES, THENABLE_NAMES };
