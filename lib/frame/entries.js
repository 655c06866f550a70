'use strict';
// Entries: the arrays that hold a frame's stores, [key, store, key, store, ...]
// with a key at 2 * its index (see keys.js), so finding a store is an index
// and an identity check. The carrier backend uses entries arrays as its
// frames; the frame backend wraps them in a Frame (frame.js).
//
// Every function returns a fresh array: an entries array that a continuation
// may have captured is never written.

const MAX_PREALLOCATED_GAP = 64;

// The store of `key` in `entries`, or `absent` when it has none there.
function storeIn(entries, key, absent) {
  if (entries === undefined) return absent;
  const at = key.index << 1;
  return entries[at] === key ? entries[at + 1] : absent;
}

function hasEntry(entries, key) {
  return entries !== undefined && entries[key.index << 1] === key;
}

function entriesWith(entries, key, value) {
  const at = key.index << 1;
  const length = entries === undefined ? 0 : entries.length;
  if (at === 0 && length <= 2) {
    return [key, value]; // one storage, the common case: a literal, at its final size
  }
  let next;
  if (at < length || at - length > MAX_PREALLOCATED_GAP) {
    // In place, or so far beyond (indexes of storages not yet collected) that
    // V8 should keep the array sparse rather than allocate every hole.
    next = length === 0 ? [] : entries.slice();
  } else {
    // Growing a little: allocate the final length once rather than letting
    // the writes below grow the array (which over-allocates and copies).
    next = new Array(at + 2);
    for (let i = 0; i < length; i++) next[i] = entries[i];
  }
  next[at] = key;
  next[at + 1] = value;
  return next;
}

function entriesWithout(entries, key) {
  const next = entries === undefined ? [] : entries.slice();
  const at = key.index << 1;
  if (next[at] === key) {
    next[at] = undefined;
    next[at + 1] = undefined;
  }
  return next;
}

// `entries` with key's entry -- present or absent -- as it is in `from`.
function entriesWithEntryOf(entries, key, from) {
  return hasEntry(from, key) ?
    entriesWith(entries, key, from[(key.index << 1) + 1]) :
    entriesWithout(entries, key);
}

// [key, store] for each entry, in index order (keys of collected storages too).
function* pairs(entries) {
  for (let i = 0; i < entries.length; i += 2) {
    if (entries[i] !== undefined) yield [entries[i], entries[i + 1]];
  }
}

module.exports = {
  storeIn, hasEntry, entriesWith, entriesWithout, entriesWithEntryOf, pairs,
};
