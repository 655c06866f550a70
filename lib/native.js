'use strict';
// Loads the native bridge built for this exact runtime, if there is one; never throws.
//
// The C++ half talks to V8 directly, so a build is valid only for the platform, arch, libc and
// Node ABI it was compiled for. Looked up, first found wins:
//   native/<platform>-<arch>-abi<N>/ctxframe.node       built on this machine (scripts/build.js,
//                                                       `npx ctxframe-build`)
//   prebuilds/<platform>-<arch>/node.abi<N>.<libc>.node shipped in the package (prebuildify's naming)
// Exports { binding, continuation, loadError, path, target }. `continuation` is { source, get, set }:
// the functions that read and write V8's continuation-preserved embedder data (null when nothing
// loaded); `target` is { platform, arch, libc, abi } of this process.

const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');

// glibc or musl, from the dynamic loader the running node asks for (ELF64 PT_INTERP:
// /lib64/ld-linux-x86-64.so.2, /lib/ld-musl-aarch64.so.1, ...). Reads ~1 KB; no child process.
function libcOf(exe) {
  if (process.platform !== 'linux') return '';
  let fd;
  try {
    fd = fs.openSync(exe, 'r');
    const read = (length, position) => {
      const buf = Buffer.alloc(length);
      fs.readSync(fd, buf, 0, length, position);
      return buf;
    };
    const h = read(64, 0);
    if (h.readUInt32BE(0) !== 0x7f454c46 || h[4] !== 2 || h[5] !== 1) return 'unknown';
    const phoff = Number(h.readBigUInt64LE(32));
    const size = h.readUInt16LE(54);
    const ph = read(size * h.readUInt16LE(56), phoff);
    for (let at = 0; at < ph.length; at += size) {
      if (ph.readUInt32LE(at) !== 3) continue; // PT_INTERP
      const interp = read(Number(ph.readBigUInt64LE(at + 32)), Number(ph.readBigUInt64LE(at + 8)));
      return interp.includes('musl') ? 'musl' : 'glibc';
    }
    return 'static';
  } catch {
    return 'unknown';
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

const target = {
  platform: process.platform,
  arch: process.arch,
  libc: libcOf(process.execPath),
  abi: process.versions.modules,
};

const candidates = [
  path.join(ROOT, 'native', `${target.platform}-${target.arch}-abi${target.abi}`, 'ctxframe.node'),
  path.join(ROOT, 'prebuilds', `${target.platform}-${target.arch}`,
    `node.abi${target.abi}${target.libc ? `.${target.libc}` : ''}.node`),
];

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
  let failed = null;
  for (const file of candidates) {
    if (!fs.existsSync(file)) continue;
    try {
      const binding = require(file);
      return { binding, continuation: pickSlotFunctions(binding), loadError: null, path: file, target };
    } catch (err) {
      failed = failed || { err, file }; // a stale local build must not hide a good prebuild
    }
  }
  if (failed) return { binding: null, continuation: null, loadError: failed.err, path: failed.file, target };
  const err = new Error(`no native build for ${target.platform}-${target.arch} ` +
    `${target.libc ? `${target.libc} ` : ''}ABI ${target.abi} (looked for ${candidates.join(', ')})`);
  err.code = 'MODULE_NOT_FOUND';
  return { binding: null, continuation: null, loadError: err, path: null, target };
}

module.exports = load();
