'use strict';
// Storage keys: what frames hold in place of the storages themselves.
//
// A storage owns a StorageKey. Frames hold keys, never storages, so a frame
// never keeps a storage alive; when a storage is collected its key is marked
// dead, and frames drop dead keys' entries as they are copied (entries.js).
// A key belongs to one storage forever, so no storage can ever see another's
// store, dead or alive.
//
// The carrier backend also marks the keys of disabled storages (Node's
// async_hooks storages stop propagating while disabled); `anyDisabled()` lets
// it copy entries without looking at them while no storage is disabled.

const { FinalizationRegistry } = require('../primordials');

class StorageKey {
  constructor(name) {
    this.name = name;
    this.live = true;
    this.disabled = false;
  }
}

let disabledCount = 0; // live keys with disabled === true

const reclaimer = new FinalizationRegistry((key) => {
  key.live = false;
  if (key.disabled) {
    key.disabled = false;
    disabledCount--;
  }
});

function createKey(storage, name) {
  const key = new StorageKey(name);
  reclaimer.register(storage, key);
  return key;
}

// A key of this copy of ctxframe whose storage is still alive.
function isLiveKey(key) {
  return key instanceof StorageKey && key.live;
}

function setDisabled(key, disabled) {
  if (key.disabled !== disabled) {
    key.disabled = disabled;
    disabledCount += disabled ? 1 : -1;
  }
}

function anyDisabled() {
  return disabledCount !== 0;
}

module.exports = { StorageKey, createKey, isLiveKey, setDisabled, anyDisabled };
