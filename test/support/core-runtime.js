'use strict';
// Owns: facts about the running Node that core tests need — whether the built-in
// AsyncLocalStorage runs on AsyncContextFrame, which ctxframe backend to expect, where the
// package root and its native build live, and how to spawn a child node with the same flags.

const path = require('node:path');
const fs = require('node:fs');

const ROOT = path.resolve(__dirname, '..', '..');
const NODE_MAJOR = Number(process.versions.node.split('.')[0]);
const NODE_MINOR = Number(process.versions.node.split('.')[1]);

function nodeFlags() {
  const fromOptions = (process.env.NODE_OPTIONS || '').split(/\s+/).filter(Boolean);
  return [...process.execArgv, ...fromOptions];
}

// Node's own rule (lib/internal/async_context_frame.js): 24+ on unless --no-async-context-frame,
// 22.9+ only with --experimental-async-context-frame, older never.
function builtinUsesFrame(flags = nodeFlags()) {
  if (NODE_MAJOR >= 24) return !flags.includes('--no-async-context-frame');
  if (NODE_MAJOR === 22 || NODE_MAJOR === 23) {
    return (NODE_MAJOR > 22 || NODE_MINOR >= 9) && flags.includes('--experimental-async-context-frame');
  }
  return false;
}

function expectedBackend(flags = nodeFlags()) {
  return builtinUsesFrame(flags) ? 'frame' : 'carrier';
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
  childNodeArgs,
};
