'use strict';
// Storage keys: what frames hold in place of the storages themselves, and the
// index each key owns.
//
// A storage owns a StorageKey; the key owns an index, a small integer that
// places the storage's entry in a frame (see entries.js). Frames hold keys,
// never storages, so a frame never keeps a storage alive. When a storage is
// collected its index is handed to the next storage created; old frames may
// still hold the dead key at that index, and the identity check against the
// new key keeps the new storage from seeing the dead one's stores.

const { FinalizationRegistry } = require('../primordials');

class StorageKey {
  constructor(index, name) {
    this.index = index;
    this.name = name;
  }
}

// index -> the StorageKey that owns it now (undefined while it is free).
const owners = [];
const freeIndexes = [];
const reclaimer = new FinalizationRegistry((key) => {
  owners[key.index] = undefined;
  freeIndexes.push(key.index);
});

function createKey(storage, name) {
  const index = freeIndexes.length > 0 ? freeIndexes.pop() : owners.length;
  const key = new StorageKey(index, name);
  owners[index] = key;
  reclaimer.register(storage, key);
  return key;
}

// A key of this copy of ctxframe whose storage is still alive.
function isLiveKey(key) {
  return key instanceof StorageKey && owners[key.index] === key;
}

module.exports = { StorageKey, createKey, isLiveKey };
