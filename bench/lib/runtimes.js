'use strict';
// Owns: preparing each runtime of the full run (binary + native addon) and describing the current
// one for the quick run. The runtimes themselves (20, 22, 22-acf, 24, 24-no-acf, 26: name, version,
// flags, expected backend) are the rows of the runtime table, scripts/runtimes.js.
// Binaries come from scripts/fetch-node.js (ensureNode); Node 20, which it does not pin, is the
// first `node` v20 found (this process, then PATH). The addon is built per binary with
// scripts/build.js --node <bin> --if-missing (it installs per ABI, so builds do not clash).

const fs = require('node:fs');
const path = require('node:path');
const { spawnSync, execFileSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..', '..');
// Preloaded by the runtimes that run without the native part (scripts/runtimes.js, native: false).
const HIDE_NATIVE = path.join(ROOT, 'scripts', 'hide-native.js');

// A runtime without ctxframe's native part: nothing built for it, and its processes preload
// scripts/hide-native.js so that no build is found (the frame backend's JS path runs).
function withoutNative(runtime) {
  return {
    ...runtime,
    native: false,
    flags: [...runtime.flags, '--require', HIDE_NATIVE],
    label: `${runtime.label} without the native part`,
  };
}
const { RUNTIMES, expectedBackend } = require('../../scripts/runtimes.js');

function cleanEnv() {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  delete env.CTXFRAME_BACKEND;
  return env;
}

function versionOf(bin) {
  return execFileSync(bin, ['-v'], { encoding: 'utf8', env: cleanEnv() }).trim().replace(/^v/, '');
}

function findNode20() {
  if (process.versions.node.split('.')[0] === '20') return process.execPath;
  const dirs = (process.env.PATH || '').split(path.delimiter);
  for (const dir of dirs) {
    const bin = path.join(dir, 'node');
    try {
      if (fs.existsSync(bin) && versionOf(bin).startsWith('20.')) return bin;
    } catch { /* not runnable: keep looking */ }
  }
  throw new Error('no Node 20 found (neither this process nor PATH)');
}

function resolveBinary(major) {
  try {
    return require(path.join(ROOT, 'scripts', 'fetch-node.js')).ensureNode(major).bin;
  } catch (err) {
    if (major === 20) return findNode20();
    throw err;
  }
}

// The current node as the only runtime (quick mode), with the flags it was started with.
function currentRuntime(native = true) {
  const flags = process.execArgv.filter((f) => !f.startsWith('--inspect'));
  const name = `${process.versions.node.split('.')[0]}${flags.length ? ' ' + flags.join(' ') : ''}`;
  const runtime = { name, label: `Node ${process.versions.node}${flags.length ? ' ' + flags.join(' ') : ''}`, bin: process.execPath, flags, version: process.versions.node, backend: expectedBackend() };
  return native ? runtime : withoutNative(runtime);
}

// Binary, version and a freshly built addon for a row of the runtime table; build problems are reported, not
// fatal (ctxframe then runs on carrier, which the results will show).
const built = new Map();
function prepare(runtime, log) {
  const bin = resolveBinary(runtime.major);
  const version = versionOf(bin);
  const label = `Node ${version}${runtime.flags.length ? ' ' + runtime.flags.join(' ') : ''}`;
  if (runtime.native === false) return withoutNative({ ...runtime, bin, version, label, build: { ok: true } });
  let build = built.get(bin);
  if (!build) {
    const buildScript = path.join(ROOT, 'scripts', 'build.js');
    if (!fs.existsSync(buildScript)) {
      build = { ok: false, message: 'scripts/build.js is missing' };
    } else {
      log(`building the addon for Node ${version} ...`);
      const res = spawnSync(process.execPath, [buildScript, '--node', bin, '--if-missing'], { cwd: ROOT, encoding: 'utf8', env: cleanEnv() });
      build = res.status === 0 ? { ok: true } : { ok: false, message: `${res.stderr || ''}${res.stdout || ''}`.trim().split('\n').slice(-3).join(' | ') };
    }
    built.set(bin, build);
    if (!build.ok) log(`addon build for Node ${version} failed: ${build.message}`);
  }
  return { ...runtime, bin, version, label, build };
}

module.exports = { RUNTIMES, prepare, currentRuntime, cleanEnv };
