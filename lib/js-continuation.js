'use strict';
// Owns: the frame backend's way to the continuation without native code (no build for this
// platform, a bundle, a Node release newer than the prebuilds), through Node's public API only,
// and the load-time probe that checks Node still behaves as it relies on.
//
// Reading: `reader`, one built-in AsyncLocalStorage. Its getStore() asks the current frame
// has(reader)/get(reader); one of our frames answers with itself (frame.js), a Map Node copied from
// one of ours with the Stale that the copy got from our iterator, a frame with none of ours with
// nothing.
//
// Switching for run(): an AsyncResource's runInAsyncScope() puts `this[context_frame]` in the
// continuation and the prior value back in its `finally`. Called on a holder object whose
// async_id/trigger_async_id are the caller's executionAsyncId()/triggerAsyncId() and whose
// resource_symbol is the caller's executionAsyncResource(), ids, trigger ids of resources created
// inside and executionAsyncResource() stay what they are outside, as with the built-in's run().
//
// The exact current value (a Map of Node's after a built-in or our own enterWith, or nothing at
// all) is needed only when the reader does not find one of our frames there: a `new
// AsyncResource('')` keeps it in its context_frame and, with no init hook installed, emits nothing
// (with one, the empty type makes the constructor throw before emitting; then a constructor that
// stops at the context_frame write is used instead).
//
// enterWith(): the reader's own enterWith(), whose Map copy of the current value keeps every entry
// Node's storages have there, with a Stale of our new frame for the reader.

const asyncHooks = require('node:async_hooks');
const {
  AsyncResource,
  AsyncLocalStorage: BuiltinStorage,
  executionAsyncId,
  triggerAsyncId,
  executionAsyncResource,
} = asyncHooks;
const { isMap } = require('node:util/types'); // Node's frames are Maps from another prototype chain
const { ReflectApply, SafeMap } = require('./primordials');
const { kEntries, kForeign, Frame, Stale, frameWith, setReader, changes } = require('./frame/frame');

const uncurryThis = Function.prototype.bind.bind(Function.prototype.call);
const runInAsyncScope = uncurryThis(AsyncResource.prototype.runInAsyncScope);
const FunctionPrototypeCall = uncurryThis(Function.prototype.call);
const readerGetStore = uncurryThis(BuiltinStorage.prototype.getStore);
const readerEnterWith = uncurryThis(BuiltinStorage.prototype.enterWith);
const MapPrototypeGet = uncurryThis(Map.prototype.get);
const MapPrototypeSet = uncurryThis(Map.prototype.set);
const MapPrototypeClear = uncurryThis(Map.prototype.clear);
const MapPrototypeGetSize = uncurryThis(Object.getOwnPropertyDescriptor(Map.prototype, 'size').get);
const ReflectConstruct = Reflect.construct;

let reader = null;
let kFrame; // AsyncResource's context_frame
let kAsyncId;
let kTriggerId;
let kResource; // what executionAsyncResource() returns for a resource on the stack

const kNoArgs = Object.freeze([]);
const CAPTURE = Object.freeze({ triggerAsyncId: 0, requireManualDestroy: true });
const STOP = Object.freeze({ ctxframeStop: true });
let stopped;
function Quiet() {}

// Whether an init hook made a capture throw once: from then on captures stop in the constructor
// (captureQuietly()) instead of throwing twice.
let hooked = false;

// The exact read: an AsyncResource whose context_frame and ids land in setters of its prototype
// (install()) instead of three new symbol-named properties of a new object (callgrind, Node 24:
// about 30 instructions fewer per run() than `new AsyncResource('')[context_frame]`); with the
// empty type and no init hook installed its constructor emits nothing, as `new AsyncResource('')`
// does.
let captured;
class Capture extends AsyncResource {
  constructor() {
    super('', CAPTURE);
  }
}

// The continuation's exact value: what an AsyncResource's constructor writes to its context_frame,
// here through a setter of Capture's prototype. With a valid type string and options, the one way
// the constructor throws is the empty type with an init hook installed, before it emits; from then
// on `hooked` says so.
function capture() {
  if (hooked) return captureQuietly();
  try {
    captured = undefined;
    new Capture(); // eslint-disable-line no-new
    const value = captured;
    captured = undefined;
    return value;
  } catch {
    captured = undefined;
    hooked = true;
    return captureQuietly();
  }
}

// With an init hook installed: a constructor that stops when it writes context_frame, before it
// takes an id or emits anything.
function captureQuietly() {
  stopped = undefined;
  try {
    ReflectConstruct(AsyncResource, ['CTXFRAME', CAPTURE], Quiet);
  } catch (err) {
    if (err !== STOP) throw err;
  }
  const value = stopped;
  stopped = undefined;
  return value;
}

// What the reader finds: one of our frames (the continuation holds it), a Stale (a Map of Node's
// copied from one of ours holds it), or undefined (none of ours there).
function read() {
  return readerGetStore(reader);
}

// The frame whose stores our storages see.
function ours(value) {
  if (value instanceof Frame) return value;
  return value instanceof Stale ? value.frame : undefined;
}

function current() {
  return ours(readerGetStore(reader));
}

// One of our frames with everything the continuation's value `raw` holds: itself when it is one,
// else our stores from its Stale and the entries of Node's storages beside them.
function frameOf(raw) {
  if (raw === undefined || raw === null || raw instanceof Frame) return raw === null ? undefined : raw;
  const map = isMap(raw);
  let stale = map ? MapPrototypeGet(raw, reader) : raw.get(reader);
  if (!(stale instanceof Stale)) stale = null;
  else if (map && stale.raw === raw && stale.size === MapPrototypeGetSize(raw)) return stale.imported;
  let foreign = null;
  for (const pair of raw) {
    const key = pair[0];
    if (key === reader) continue;
    if (foreign === null) foreign = new SafeMap();
    foreign.set(key, pair[1]);
  }
  const frame = new Frame(stale === null ? [] : stale.frame[kEntries], foreign);
  if (map && stale !== null) {
    stale.raw = raw;
    stale.size = MapPrototypeGetSize(raw);
    stale.imported = frame;
  }
  return frame;
}

// The frame run() starts from: the reader's when the continuation holds one of ours (a run()
// inside another run(), most of a server's), else the exact value's. At the top level the reader
// answers undefined both when nothing is current and when a Map of Node's without our entry is
// (a built-in storage's enterWith()), so only a capture tells them apart (callgrind, Node 24, per
// run() with a fresh store: nested 1299 → 982 instructions, top level 1066 → 1095).
function outerFrame() {
  const raw = readerGetStore(reader);
  if (raw instanceof Frame) return raw;
  return frameOf(capture());
}

// executionAsyncResource() for the execution whose id is `id`, remembered for the last non-zero
// id: one execution keeps one resource, and in an execution Node entered before anything asked for
// resources (the main module's top level) each executionAsyncResource() is a call into C++.
let lastId = 0;
let lastResource;
function resourceOf(id) {
  if (id !== lastId || id === 0) {
    lastResource = executionAsyncResource();
    lastId = id;
  }
  return lastResource;
}

// What run() hands runInAsyncScope(): `inner` as the frame to put current, and the caller's ids
// and resource, so that inside fn they read as outside (executionAsyncResource() asks a resource
// on the stack for the public one it stands for). `next`: what fn left, if it changed the frame.
// Node reads the holder through its symbols; they are getters on the prototype (install()) over
// string-named fields, which a new object takes more cheaply than symbol-named ones (callgrind,
// Node 24: about 30 instructions fewer per run()). `entries`/`foreign`: what frameWith() gave
// `inner`, to tell an in-place disable() of it afterwards.
class Holder {
  constructor(inner, key, prior, fn, args) {
    const id = executionAsyncId();
    this.inner = inner;
    this.entries = inner[kEntries];
    this.foreign = inner[kForeign];
    this.asyncId = id;
    this.triggerId = triggerAsyncId();
    this.resource = resourceOf(id);
    this.key = key;
    this.prior = prior;
    this.fn = fn;
    this.args = args;
    this.next = undefined;
  }
}

// holder.enter(body, holder) runs the holder's fn with the holder's frame current and puts the
// caller's value back; when fn changed the frame (an enterWith or disable of any storage), body
// leaves in holder.next that change with the holder's key set back to its prior store, as the
// built-in's run() does, for run() to make current (persist). Few frames per run(): the stack a
// recursion of run()s may use is what the built-in's allows, give or take.
//
// Whatever makes the continuation hold something other than `inner` during fn starts from `inner`:
// Node copies it (its iterator) or it is disabled in place (its disable()); both move
// changes.count (frame.js), so the continuation is read back only when the count moved. Our own
// runs inside fn put `inner` back, as runInAsyncScope() does.
function body() {
  const count = changes.count;
  try {
    const args = this.args;
    return args.length === 0 ? FunctionPrototypeCall(this.fn, null) : ReflectApply(this.fn, null, args);
  } finally {
    if (changes.count !== count) left(this);
  }
}

// After fn moved changes.count, still inside the holder's scope: whether the continuation holds
// something else than the holder's frame as made (its entries and foreign part are the ones
// frameWith() gave it, kept by the holder), and if so what run() must persist.
function left(holder) {
  const inner = holder.inner;
  if (readerGetStore(reader) !== inner || inner[kEntries] !== holder.entries ||
      inner[kForeign] !== holder.foreign) {
    holder.next = frameWith(outerFrame(), holder.key, holder.prior);
  }
}

// Makes `frame` the continuation's value for the rest of the current execution: the reader's
// enterWith() makes a Map of Node's current, which then gets exactly the frame's entries.
function persist(frame) {
  const stale = new Stale(frame);
  readerEnterWith(reader, stale);
  const map = capture();
  if (!isMap(map) || MapPrototypeGet(map, reader) !== stale) return;
  MapPrototypeClear(map);
  const foreign = frame[kForeign];
  if (foreign !== null) for (const pair of foreign) MapPrototypeSet(map, pair[0], pair[1]);
  MapPrototypeSet(map, reader, stale);
  stale.raw = map;
  stale.size = MapPrototypeGetSize(map);
  stale.imported = frame;
}

// enterWith(): a Map copy of the current value, whose entry for the reader is our new frame.
function enterFrame(frame) {
  readerEnterWith(reader, new Stale(frame));
}

// disable(): in place, in the current value, as the built-in's.
function disableIn(key) {
  const value = readerGetStore(reader);
  if (value instanceof Frame) {
    value.disable(key);
    return;
  }
  if (!(value instanceof Stale)) return;
  const copy = new Frame(value.frame[kEntries], value.frame[kForeign]);
  copy.disable(key);
  if (copy[kEntries] === value.frame[kEntries]) return;
  const raw = capture();
  if (isMap(raw) && MapPrototypeGet(raw, reader) === value) {
    MapPrototypeSet(raw, reader, new Stale(copy));
  } else {
    value.frame = copy;
  }
}

function symbolNamed(object, description) {
  return Object.getOwnPropertySymbols(object).find((s) => s.description === description);
}

// Finds Node's internals this relies on and checks, once, that they behave as relied on. Returns
// null when everything holds, else what did not (then nothing stays installed).
function install() {
  let why = null;
  try {
    why = probe();
  } catch (err) {
    why = `probe threw ${err && err.message}`;
  }
  if (why !== null) {
    setReader(null);
    reader = null;
  }
  return why;
}

function probe() {
  const resource = new AsyncResource('CTXFRAME_PROBE', { requireManualDestroy: true });
  kFrame = symbolNamed(resource, 'context_frame');
  kAsyncId = symbolNamed(resource, 'async_id_symbol');
  kTriggerId = symbolNamed(resource, 'trigger_async_id_symbol');
  if (!kFrame || !kAsyncId || !kTriggerId) return 'AsyncResource has no context_frame/async ids';
  if (resource[kAsyncId] !== resource.asyncId() || resource[kTriggerId] !== resource.triggerAsyncId()) {
    return 'AsyncResource keeps its ids elsewhere';
  }
  Object.defineProperties(Capture.prototype, {
    [kFrame]: { set(value) { captured = value; }, configurable: false },
    [kAsyncId]: { set(value) {}, configurable: false },
    [kTriggerId]: { set(value) {}, configurable: false },
  });
  Object.defineProperty(Quiet.prototype, kFrame, {
    set(value) {
      stopped = value;
      throw STOP;
    },
    configurable: false,
  });

  // Which key executionAsyncResource() reads on a resource to find the one it stands for.
  const eid = executionAsyncId();
  const tid = triggerAsyncId();
  const outerResource = executionAsyncResource();
  let found;
  const spy = new Proxy({ [kFrame]: undefined, [kAsyncId]: eid, [kTriggerId]: tid }, {
    get(target, property) {
      if (typeof property === 'symbol' && !(property in target) &&
          property.description === 'resource_symbol') {
        found = property;
      }
      return target[property];
    },
  });
  runInAsyncScope(spy, executionAsyncResource);
  if (found === undefined) return 'executionAsyncResource() does not ask for resource_symbol';
  kResource = found;
  Object.defineProperties(Holder.prototype, {
    enter: { value: AsyncResource.prototype.runInAsyncScope, writable: false, configurable: false },
    [kFrame]: { get() { return this.inner; }, configurable: false },
    [kAsyncId]: { get() { return this.asyncId; }, configurable: false },
    [kTriggerId]: { get() { return this.triggerId; }, configurable: false },
    [kResource]: { get() { return this.resource; }, configurable: false },
  });

  reader = new BuiltinStorage();
  setReader(reader);
  const before = capture();
  const frame = new Frame([], null);
  const stale = new Stale(frame);
  let seen = null;
  const probeHolder = new Holder(frame, null, undefined, null, kNoArgs);
  if (probeHolder[kAsyncId] !== eid || probeHolder[kTriggerId] !== tid) return 'a holder does not give the caller\'s ids';
  probeHolder.enter(() => {
    seen = {
      read: read(),
      raw: capture(),
      quiet: captureQuietly(),
      ids: executionAsyncId() === eid && triggerAsyncId() === tid,
      resource: executionAsyncResource() === outerResource,
    };
    readerEnterWith(reader, stale);
    const map = capture();
    seen.entered = isMap(map) && MapPrototypeGet(map, reader) === stale && read() === stale;
  });
  if (seen === null || seen.read !== frame) return 'the reader does not find the frame';
  if (seen.raw !== frame || seen.quiet !== frame) return 'a new AsyncResource does not capture the frame';
  if (!seen.ids) return 'a holder changes the async ids';
  if (!seen.resource) return 'a holder changes executionAsyncResource()';
  if (!seen.entered) return 'enterWith() does not make a Map with the reader';
  if (capture() !== before) return 'runInAsyncScope() does not put the prior value back';
  if (executionAsyncId() !== eid) return 'runInAsyncScope() does not put the async ids back';
  return null;
}

module.exports = {
  install, read, ours, current, outerFrame, Holder, body, persist, enterFrame, disableIn, capture,
};
