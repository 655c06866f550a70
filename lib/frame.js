'use strict';
// Frames: the immutable maps from storage to store that ctxframe puts in the
// current async context, and the slots that make a lookup an array index.
//
// A storage owns a StorageKey; the key owns a slot. A frame keeps its entries
// in one array, the key at [2 * slot] and the store at [2 * slot + 1], so
// `getStore()` is an index and an identity check. The key, not the storage,
// is what frames hold: a frame never keeps a storage alive, and when a
// collected storage's slot is handed to a new storage, the identity check
// keeps the new one from seeing the old one's stores.
//
// On AsyncContextFrame runtimes Node's own code reads whatever frame is
// current, so a Frame also speaks Node's frame protocol: has/get/iteration/
// disable. Entries Node adds (built-in storages) live in `foreign`, a Map
// shared copy-on-write between frames.

const {
  FinalizationRegistry,
  MapPrototypeDelete,
  MapPrototypeGet,
  MapPrototypeHas,
  SafeMap,
} = require('./primordials');

// Private to this copy of ctxframe: another copy's frames look foreign here.
const kEntries = Symbol('ctxframe.entries');
const kForeign = Symbol('ctxframe.foreign');

class StorageKey {
  constructor(slot, name) {
    this.slot = slot;
    this.name = name;
  }
}

// slot -> the StorageKey that owns it now (undefined when free).
const slotOwners = [];
const freeSlots = [];
const reclaimer = new FinalizationRegistry((key) => {
  slotOwners[key.slot] = undefined;
  freeSlots.push(key.slot);
});

function createKey(storage, name) {
  const slot = freeSlots.length > 0 ? freeSlots.pop() : slotOwners.length;
  const key = new StorageKey(slot, name);
  slotOwners[slot] = key;
  reclaimer.register(storage, key);
  return key;
}

function isLiveKey(key) {
  return key instanceof StorageKey && slotOwners[key.slot] === key;
}

class Frame {
  constructor(entries, foreign) {
    this[kEntries] = entries;
    this[kForeign] = foreign;
  }

  // --- Node's frame protocol (lib/internal/async_context_frame.js) ---
  has(key) {
    if (key instanceof StorageKey) return this[kEntries][key.slot << 1] === key;
    const foreign = this[kForeign];
    return foreign !== null && MapPrototypeHas(foreign, key);
  }

  get(key) {
    if (key instanceof StorageKey) {
      const entries = this[kEntries];
      const index = key.slot << 1;
      return entries[index] === key ? entries[index + 1] : undefined;
    }
    const foreign = this[kForeign];
    return foreign === null ? undefined : MapPrototypeGet(foreign, key);
  }

  // Node's built-in disable() deletes from the current frame in place, and
  // whoever captured this frame object sees it. So do we -- for this Frame
  // object only: its arrays and maps may be shared with other frames, so
  // they are replaced, never written.
  disable(key) {
    if (key instanceof StorageKey) {
      const entries = this[kEntries];
      if (entries[key.slot << 1] === key) this[kEntries] = entriesWithout(entries, key);
      return;
    }
    const foreign = this[kForeign];
    if (foreign !== null && MapPrototypeHas(foreign, key)) {
      const copy = new SafeMap(foreign);
      MapPrototypeDelete(copy, key);
      this[kForeign] = copy.size === 0 ? null : copy;
    }
  }

  * [Symbol.iterator]() {
    const entries = this[kEntries];
    for (let i = 0; i < entries.length; i += 2) {
      const key = entries[i];
      if (key !== undefined && slotOwners[key.slot] === key) {
        yield [key, entries[i + 1]];
      }
    }
    const foreign = this[kForeign];
    if (foreign !== null) yield* foreign;
  }
}

const MAX_PREALLOCATED_GAP = 64;

// --- entries: [key, store, key, store, ...], a key at 2 * its slot ---------
// The carrier backend uses entries arrays as its frames; the frame backend
// wraps them in a Frame. Every function returns a fresh array: an entries
// array that a continuation may have captured is never written.

function entriesWith(entries, key, value) {
  const index = key.slot << 1;
  const length = entries === undefined ? 0 : entries.length;
  if (index === 0 && length <= 2) {
    return [key, value]; // one storage, the common case: a literal, at its final size
  }
  let next;
  if (index < length || index - length > MAX_PREALLOCATED_GAP) {
    // In place, or so far beyond (slots of storages not yet collected) that
    // V8 should keep the array sparse rather than allocate every hole.
    next = length === 0 ? [] : entries.slice();
  } else {
    // Growing a little: allocate the final length once rather than letting
    // the writes below grow the array (which over-allocates and copies).
    next = new Array(index + 2);
    for (let i = 0; i < length; i++) next[i] = entries[i];
  }
  next[index] = key;
  next[index + 1] = value;
  return next;
}

function entriesWithout(entries, key) {
  const next = entries === undefined ? [] : entries.slice();
  const index = key.slot << 1;
  if (next[index] === key) {
    next[index] = undefined;
    next[index + 1] = undefined;
  }
  return next;
}

// `entries` with key's entry -- present or absent -- as it is in `from`.
function entriesWithEntryOf(entries, key, from) {
  const index = key.slot << 1;
  return from !== undefined && from[index] === key ?
    entriesWith(entries, key, from[index + 1]) :
    entriesWithout(entries, key);
}

// --- frames in V8's slot (frame backend) -------------------------------------

// A Map-like frame of Node's (or of another copy of ctxframe) as parts of
// ours: our live keys into entries, everything else into foreign.
function importFrame(frame) {
  const entries = [];
  let foreign = null;
  for (const { 0: key, 1: value } of frame) {
    if (isLiveKey(key)) {
      entries[key.slot << 1] = key;
      entries[(key.slot << 1) + 1] = value;
    } else {
      if (foreign === null) foreign = new SafeMap();
      foreign.set(key, value);
    }
  }
  return new Frame(entries, foreign);
}

// A new frame: the current value of the slot with key -> value. The hot path
// of run() and enterWith().
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
  kEntries,
  kForeign,
  Frame,
  StorageKey,
  createKey,
  isLiveKey,
  entriesWith,
  entriesWithout,
  entriesWithEntryOf,
  frameWith,
  restored,
  // For tests and diagnostics: how many slots exist and how many are free.
  slotStats() {
    return { slots: slotOwners.length, free: freeSlots.length };
  },
};
