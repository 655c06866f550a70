'use strict';
// Entries: the arrays that hold a frame's stores, [key, store, key, store, ...]
// with one pair per storage entered in that frame, and nothing for the others;
// the newest storage first: it is the one a getStore() inside the run() that
// made the frame looks for. A frame is as long as the number of storages it
// carries, whatever the number of storages that exist or have existed;
// finding a store is a scan of those few keys (with one storage: one identity
// check). The carrier backend uses entries arrays as its frames; the frame
// backend wraps them in a Frame (frame.js).
//
// Every function returns a fresh array: an entries array that a continuation
// may have captured is never written, and every array is packed: a copy that
// changes a store is V8's own slice() and one write, one that adds a storage
// [key, value] then every pair kept, as one literal for frames of up to four
// storages, else a push() per pair (measured: an array preallocated to its
// final size is holey, and every later scan and copy of it pays for that;
// a spread or slice() then push() cost more). A frame that grows drops the
// entries of collected storages, and a carrier frame made while a storage is
// disabled drops the disabled ones (keys.js).

const { anyDisabled } = require('./keys');

// Where key's pair starts in entries, or -1.
function indexOf(entries, key) {
  for (let i = 0; i < entries.length; i += 2) {
    if (entries[i] === key) return i;
  }
  return -1;
}

// The store of `key` in `entries`, or `absent` when it has none there.
function storeIn(entries, key, absent) {
  if (entries === undefined) return absent;
  for (let i = 0; i < entries.length; i += 2) {
    if (entries[i] === key) return entries[i + 1];
  }
  return absent;
}

function hasEntry(entries, key) {
  return entries !== undefined && indexOf(entries, key) !== -1;
}

// [key, value] followed by the pairs of `entries` whose storages are alive
// (and, when `dropDisabled`, enabled), without key's own.
function withKept(entries, key, value, dropDisabled) {
  const next = [key, value];
  for (let i = 0; i < entries.length; i += 2) {
    const other = entries[i];
    if (other !== key && other.live && !(dropDisabled && other.disabled)) {
      next.push(other, entries[i + 1]);
    }
  }
  return next;
}

// [key, value] followed by every pair of `entries` (2 to 4 storages, key's not among them), as a
// literal at its final size; undefined when a storage there is collected. withKept()'s push()
// grows a [key, value] literal to about twenty slots, a second allocation and copy per run, and
// the larger arrays bring scavenges sooner (measured with callgrind, a carrier run() and its
// callback inside a callback, in a frame of three other storages: 1,644 -> 1,353 instructions on
// Node 22, 1,681 -> 1,393 on Node 20; the built-in's own run() there: 1,442 and 1,500).
function withAllAfter(entries, key, value) {
  const n = entries.length;
  for (let i = 0; i < n; i += 2) {
    if (!entries[i].live) return undefined;
  }
  switch (n) {
    case 4: return [key, value, entries[0], entries[1], entries[2], entries[3]];
    case 6: return [key, value, entries[0], entries[1], entries[2], entries[3], entries[4], entries[5]];
    case 8: return [key, value, entries[0], entries[1], entries[2], entries[3], entries[4], entries[5],
      entries[6], entries[7]];
    default: return undefined;
  }
}

// `entries` with key -> value, where `at` is indexOf(entries, key): callers
// that have scanned already pass what they found. A storage new to the frame
// is the one place a frame grows, so the one place it sheds collected
// storages; `dropDisabled` sheds the disabled ones on every copy.
function entriesWithAt(entries, at, key, value, dropDisabled) {
  if (entries === undefined || (entries.length === 2 && at === 0)) {
    return [key, value]; // one storage, the common case: a literal, at its final size
  }
  if (entries.length === 2) { // a second storage: a literal at its final size too
    const other = entries[0];
    return other.live && !(dropDisabled && other.disabled) ? [key, value, other, entries[1]] : [key, value];
  }
  if (dropDisabled) return withKept(entries, key, value, true);
  if (at === -1) {
    // Larger frames go straight to withKept(): scanning them here first cost a wider frame ~6%.
    const grown = entries.length <= 8 ? withAllAfter(entries, key, value) : undefined;
    return grown !== undefined ? grown : withKept(entries, key, value, false);
  }
  const next = entries.slice();
  next[at + 1] = value;
  return next;
}

function entriesWith(entries, key, value) {
  if (entries === undefined || (entries.length === 2 && entries[0] === key)) return [key, value];
  return entriesWithAt(entries, indexOf(entries, key), key, value, false);
}

// entriesWith(), leaving out every disabled storage (the carrier's run() and
// enterWith(): frames made while a storage is disabled do not carry it). Cost
// in the size of the frame, not in the number of disabled storages.
function entriesWithStore(entries, key, value) {
  if (entries === undefined || (entries.length === 2 && entries[0] === key)) return [key, value];
  return entriesWithAt(entries, indexOf(entries, key), key, value, anyDisabled());
}

function entriesWithout(entries, key) {
  if (entries === undefined) return [];
  const at = indexOf(entries, key);
  if (at === -1) return entries.slice();
  const next = entries.slice(0, at);
  for (let i = at + 2; i < entries.length; i++) next.push(entries[i]);
  return next;
}

// `entries` with key's entry -- present or absent -- as it is in `from`.
function entriesWithEntryOf(entries, key, from) {
  const at = from === undefined ? -1 : indexOf(from, key);
  return at !== -1 ? entriesWith(entries, key, from[at + 1]) : entriesWithout(entries, key);
}

// [key, store] for each entry of a storage still alive.
function* livePairs(entries) {
  for (let i = 0; i < entries.length; i += 2) {
    if (entries[i].live) yield [entries[i], entries[i + 1]];
  }
}

module.exports = {
  indexOf, storeIn, hasEntry, entriesWithAt, entriesWith, entriesWithStore, entriesWithout,
  entriesWithEntryOf, livePairs,
};
