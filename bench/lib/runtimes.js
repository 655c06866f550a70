'use strict';
// Owns: the runtime matrix of the full run and preparing each runtime (binary + native addon).
//   20, 22, 22-acf (--experimental-async-context-frame), 24, 24-no-acf (--no-async-context-frame), 26
// Binaries come from scripts/fetch-node.js (ensureNode); Node 20, which it does not pin, is the
// first `node` v20 found (this process, then PATH). The addon is built per binary with
// scripts/build.js --node <bin> --if-missing (it installs per ABI, so builds do not clash).

const fs = require('node:fs');
const path = require('node:path');
const { spawnSync, execFileSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..', '..');

const MATRIX = [
  { id: '20', major: 20, flags: [], expected: 'carrier' },
  { id: '22', major: 22, flags: [], expected: 'carrier' },
  { id: '22-acf', major: 22, flags: ['--experimental-async-context-frame'], expected: 'frame' },
  { id: '24', major: 24, flags: [], expected: 'frame' },
  { id: '24-no-acf', major: 24, flags: ['--no-async-context-frame'], expected: 'carrier' },
  { id: '26', major: 26, flags: [], expected: 'frame' },
];

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

// Expected backend of the current process's runtime (quick mode).
function expectedHere(execArgv) {
  const flags = [...execArgv, ...(process.env.NODE_OPTIONS || '').split(/\s+/)];
  const major = Number(process.versions.node.split('.')[0]);
  if (major >= 24) return flags.includes('--no-async-context-frame') ? 'carrier' : 'frame';
  if (major >= 22 && flags.includes('--experimental-async-context-frame')) return 'frame';
  return 'carrier';
}

// The current node as the only runtime (quick mode), with the flags it was started with.
function currentRuntime() {
  const flags = process.execArgv.filter((f) => !f.startsWith('--inspect'));
  const id = `${process.versions.node.split('.')[0]}${flags.length ? ' ' + flags.join(' ') : ''}`;
  return { id, label: `Node ${process.versions.node}${flags.length ? ' ' + flags.join(' ') : ''}`, bin: process.execPath, flags, version: process.versions.node, expected: expectedHere(flags) };
}

// Binary, version and a freshly built addon for a matrix entry; build problems are reported, not
// fatal (ctxframe then runs on carrier, which the results will show).
const built = new Map();
function prepare(entry, log) {
  const bin = resolveBinary(entry.major);
  const version = versionOf(bin);
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
  const label = `Node ${version}${entry.flags.length ? ' ' + entry.flags.join(' ') : ''}`;
  return { ...entry, bin, version, label, build };
}

module.exports = { MATRIX, prepare, currentRuntime, cleanEnv };
