'use strict';
// The Frame: what the frame backend puts in the continuation (V8's
// continuation-preserved embedder data), an immutable map from storage key to
// store. Its stores live in an entries array (entries.js).
//
// On AsyncContextFrame runtimes Node's own code reads whatever frame is
// current, so a Frame speaks Node's frame protocol: has/get/iteration/disable
// (lib/internal/async_context_frame.js). Entries Node adds (built-in
// storages) live in `foreign`, a Map shared copy-on-write between frames.
//
// Without the native part (lib/js-continuation.js) one more key speaks to the
// frames: the reader, a built-in storage whose store in one of our frames is
// the frame itself, so its getStore() finds the current frame. A frame that
// Node copies into one of its own Maps (a built-in enterWith inside our
// context) gives the reader a Stale holding the frame: the copy's stores for
// our storages are that frame's, its other entries its own.

const {
  MapPrototypeDelete,
  MapPrototypeGet,
  MapPrototypeHas,
  SafeMap,
} = require('../primordials');
const { StorageKey, isLiveKey } = require('./keys');
const { storeIn, hasEntry, entriesWith, entriesWithout, livePairs } = require('./entries');

// Private to this copy of ctxframe: another copy's frames look foreign here.
const kEntries = Symbol('ctxframe.entries');
const kForeign = Symbol('ctxframe.foreign');

// Set once, at load, when the frame backend runs without its native part.
let reader = null;

// Counts what can make a continuation that held one of our frames hold something else without
// our code setting it: Node copying the frame into one of its Maps (a built-in's enterWith(), run()
// or the reader's) and a disable() in place. lib/js-continuation.js's run() skips reading the
// continuation back when the count did not move during fn.
const changes = { count: 0 };

// What a copy of one of our frames gives the reader: the frame it was copied
// from. `raw` and `imported` cache the frame made from the Node Map that holds
// it (lib/js-continuation.js).
class Stale {
  constructor(frame) {
    this.frame = frame;
    this.raw = null;
    this.size = -1;
    this.imported = null;
  }
}

class Frame {
  constructor(entries, foreign) {
    this[kEntries] = entries;
    this[kForeign] = foreign;
  }

  has(key) {
    if (key === reader) return true;
    if (key instanceof StorageKey) return hasEntry(this[kEntries], key);
    const foreign = this[kForeign];
    return foreign !== null && MapPrototypeHas(foreign, key);
  }

  get(key) {
    if (key === reader) return this;
    if (key instanceof StorageKey) return storeIn(this[kEntries], key, undefined);
    const foreign = this[kForeign];
    return foreign === null ? undefined : MapPrototypeGet(foreign, key);
  }

  // Node's built-in disable() deletes from the current frame in place, and
  // whoever captured this frame object sees it. So do we -- for this Frame
  // object only: its arrays and maps may be shared with other frames, so
  // they are replaced, never written.
  disable(key) {
    changes.count++;
    if (key instanceof StorageKey) {
      const entries = this[kEntries];
      if (hasEntry(entries, key)) this[kEntries] = entriesWithout(entries, key);
      return;
    }
    const foreign = this[kForeign];
    if (foreign !== null && MapPrototypeHas(foreign, key)) {
      const copy = new SafeMap(foreign);
      MapPrototypeDelete(copy, key);
      this[kForeign] = copy.size === 0 ? null : copy;
    }
  }

  // Keys, not storages: Node copies these pairs into its own Maps, which
  // must not keep a storage alive.
  // Without the native part our stores travel in the reader's Stale.
  * [Symbol.iterator]() {
    changes.count++;
    if (reader !== null) yield [reader, new Stale(this)];
    else yield* livePairs(this[kEntries]);
    const foreign = this[kForeign];
    if (foreign !== null) yield* foreign;
  }
}

function setReader(storage) {
  reader = storage;
}

// A Map-like frame of Node's (or of another copy of ctxframe) as parts of
// ours: our live keys into entries, everything else into foreign.
function importFrame(frame) {
  let entries = [];
  let foreign = null;
  for (const { 0: key, 1: value } of frame) {
    if (isLiveKey(key)) {
      entries = entriesWith(entries, key, value);
    } else {
      if (foreign === null) foreign = new SafeMap();
      foreign.set(key, value);
    }
  }
  return new Frame(entries, foreign);
}

// The store of `key` in the continuation's frame (ours or Node's), `absent`
// when it has none.
function storeInFrame(frame, key, absent) {
  if (frame === undefined) return absent;
  const entries = frame[kEntries];
  if (entries !== undefined) return storeIn(entries, key, absent);
  return frame.has(key) ? frame.get(key) : absent;
}

// A new frame: `frame` (the continuation's value) with key -> value. The hot
// path of run() and enterWith().
function frameWith(frame, key, value) {
  if (frame === undefined || frame === null) {
    return new Frame(entriesWith(undefined, key, value), null);
  }
  if (frame[kEntries] === undefined) frame = importFrame(frame);
  return new Frame(entriesWith(frame[kEntries], key, value), frame[kForeign]);
}

// A new Frame object with the contents of `frame` (one of ours, or nothing):
// what a finished run() leaves current. Not `frame` itself, because the
// built-in's disable() changes the current frame object in place and must
// not reach continuations that captured `frame` earlier.
function restored(frame) {
  return frame === undefined ? undefined : new Frame(frame[kEntries], frame[kForeign]);
}

module.exports = {
  kEntries, kForeign, Frame, Stale, storeInFrame, frameWith, restored, setReader, changes,
};
