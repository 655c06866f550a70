'use strict';
// Owns: "no native part" for the test matrix's and the benchmark's modes that run without it
// (scripts/runtimes.js rows with native: false, `scripts/matrix.js --no-native`, `bench/run.js
// --no-native`). Preloaded with `--require` (through NODE_OPTIONS in the matrix, so every child
// node and worker gets it too): the builds of this checkout (native/, prebuilds/) do not exist for
// ctxframe's loader, as on a platform, libc or Node release without a prebuild. Nothing else
// changes; ctxframe's own code is not touched.

const fs = require('node:fs');
const path = require('node:path');
const Module = require('node:module');

const ROOT = path.resolve(__dirname, '..');
// Tests that look at the native part itself read this (children inherit it).
process.env.CTXFRAME_TEST_NATIVE_HIDDEN = '1';
const HIDDEN = [path.join(ROOT, 'native') + path.sep, path.join(ROOT, 'prebuilds') + path.sep];

function hidden(file) {
  return typeof file === 'string' && file.endsWith('.node') &&
    HIDDEN.some((dir) => path.resolve(file).startsWith(dir));
}

const existsSync = fs.existsSync;
fs.existsSync = function (file) {
  return hidden(file) ? false : Reflect.apply(existsSync, this, arguments);
};

const loadNative = Module._extensions['.node'];
Module._extensions['.node'] = function (module, file) {
  if (hidden(file)) {
    const err = new Error(`Cannot find module '${file}' (hidden: this test mode runs without the native part)`);
    err.code = 'MODULE_NOT_FOUND';
    throw err;
  }
  return Reflect.apply(loadNative, this, arguments);
};
