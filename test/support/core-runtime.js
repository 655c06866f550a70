'use strict';
// Owns: facts about the running Node that core tests need — whether the built-in
// AsyncLocalStorage runs on AsyncContextFrame, which ctxframe backend to expect, where the
// package root and its native build live, and how to spawn a child node with the same flags.

const path = require('node:path');
const fs = require('node:fs');
const runtimes = require('../../scripts/runtimes.js');

const ROOT = path.resolve(__dirname, '..', '..');
const NODE_MAJOR = Number(process.versions.node.split('.')[0]);
const NODE_MINOR = Number(process.versions.node.split('.')[1]);

// The rule itself (Node's: 24+ on unless --no-async-context-frame, 22.9+ only with
// --experimental-async-context-frame, older never) lives in the runtime table, scripts/runtimes.js,
// shared with the matrix and the bench; here it is bound to the running Node.
const nodeFlags = runtimes.nodeFlags;

// The backend ctxframe must pick in this process, or with these flags on this Node.
function expectedBackend(flags = nodeFlags()) {
  return runtimes.expectedBackend(process.versions.node, flags);
}

// Does the built-in AsyncLocalStorage run on AsyncContextFrame here (with these flags)?
function builtinUsesFrame(flags = nodeFlags()) {
  return expectedBackend(flags) === 'frame';
}

// Which way the frame backend must reach the continuation here: 'native' or 'js' (the native part
// is hidden by the matrix, scripts/hide-native.js, or there is no build); null off frame.
function expectedContinuation(flags = nodeFlags()) {
  if (expectedBackend(flags) !== 'frame') return null;
  if (process.env.CTXFRAME_EXPECT_CONTINUATION) return process.env.CTXFRAME_EXPECT_CONTINUATION;
  return nativeHidden() || !fs.existsSync(nativeBuildPath()) ? 'js' : 'native';
}

// Does this process run with the native part hidden (a matrix mode without it)?
function nativeHidden() {
  return process.env.CTXFRAME_TEST_NATIVE_HIDDEN === '1';
}

function nativeBuildPath() {
  return path.join(ROOT, 'native',
    `${process.platform}-${process.arch}-abi${process.versions.modules}`, 'ctxframe.node');
}

// Spawn arguments for a child node that gets the flags this process got (NODE_OPTIONS is
// inherited through env).
function childNodeArgs(extraFlags, script, args = []) {
  return [...process.execArgv, ...extraFlags, script, ...args];
}

module.exports = {
  ROOT, NODE_MAJOR, NODE_MINOR, nodeFlags, builtinUsesFrame, expectedBackend, nativeBuildPath,
  childNodeArgs, expectedContinuation, nativeHidden,
};
