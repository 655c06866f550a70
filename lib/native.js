'use strict';
// Loads the native bridge built for this exact runtime, if there is one.
//
// The C++ half talks to V8 directly, so a build is only valid for the ABI it
// was compiled against: scripts/build.js installs each build under
// native/<platform>-<arch>-abi<process.versions.modules>/ and this file loads
// that one or nothing. Exports { binding, continuation, loadError, path }; never throws.
// `continuation` is { source, get, set }: the functions that read and write
// V8's continuation-preserved embedder data (null when nothing loaded).

const path = require('node:path');

const buildPath = path.join(__dirname, '..', 'native',
  `${process.platform}-${process.arch}-abi${process.versions.modules}`, 'ctxframe.node');

// The slot functions JS should call: V8's extras built-ins when present and
// behaving like the bridge's own, the bridge's V8 callbacks otherwise.
function pickSlotFunctions(binding) {
  const { extras } = binding;
  if (extras !== undefined && typeof extras.get === 'function' &&
      typeof extras.set === 'function') {
    const token = { ctxframeProbe: true };
    const prior = binding.exchange(token);
    let agrees = false;
    try {
      agrees = extras.get() === token;
      if (agrees) {
        extras.set(prior);
        agrees = binding.get() === prior;
      }
    } finally {
      binding.set(prior);
    }
    if (agrees) return { source: 'extras', get: extras.get, set: extras.set };
  }
  return { source: 'v8-api', get: binding.get, set: binding.set };
}

function load() {
  try {
    const binding = require(buildPath);
    const continuation = pickSlotFunctions(binding);
    return { binding, continuation, loadError: null, path: buildPath };
  } catch (err) {
    return { binding: null, continuation: null, loadError: err, path: buildPath };
  }
}

module.exports = load();
