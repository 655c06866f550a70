'use strict';
// Owns: the words of CTXFRAME_NATIVE_UNAVAILABLE, loaded only when that warning is due (an
// AsyncContextFrame runtime where the native part did not load): which case it is — no build for
// this platform/arch/libc/ABI, a failed source build, a build that does not load, a bundled copy of
// ctxframe — the exact command for the package manager that installed it, and what runs instead
// (the frame backend's JS path, or carrier) with what that costs.

const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const RUN_BUILD = {
  npm: 'npx ctxframe-build',
  pnpm: 'pnpm exec ctxframe-build',
  yarn: 'yarn ctxframe-build',
  bun: 'bunx ctxframe-build',
};
const TOOLCHAIN = 'python3, make and a C/C++ compiler';
// What runs instead, and what it costs against the native part (ratios to the built-in's, from
// `npm run bench` on Node 22 with the flag, 24 and 26; docs/backends.md has the table).
const TAILS = {
  js: 'Running the frame backend without it, through Node\'s public API (continuation \'js\'): ' +
    'the same behaviour and the same free propagation across await, timers and I/O; what it ' +
    'costs more: run() about 0.2-0.35x the built-in\'s instead of 0.03-0.09x, getStore() about ' +
    '0.7-1.4x instead of 0.4-0.9x, enterWith() about 1.1x instead of 0.1x. Silence this with ' +
    '--disable-warning=CTXFRAME_NATIVE_UNAVAILABLE.',
  carrier: 'Running on the carrier backend: correct, but run() costs about what the built-in\'s ' +
    'does (1x) instead of 0.05-0.1x with frame. Set CTXFRAME_BACKEND=carrier to silence this.',
};

// Which package manager installed us: pnpm's store layout, else the lock file of the app whose
// node_modules holds us.
function packageManager(root) {
  if (root.split(path.sep).includes('.pnpm')) return 'pnpm';
  if (root.split(path.sep).includes('.yarn')) return 'yarn'; // Plug'n'Play: .yarn/unplugged/…
  for (let dir = root; path.dirname(dir) !== dir; dir = path.dirname(dir)) {
    if (path.basename(dir) !== 'node_modules') continue;
    const app = path.dirname(dir);
    if (fs.existsSync(path.join(app, 'pnpm-lock.yaml'))) return 'pnpm';
    if (fs.existsSync(path.join(app, 'yarn.lock'))) return 'yarn';
    if (fs.existsSync(path.join(app, 'bun.lock')) || fs.existsSync(path.join(app, 'bun.lockb'))) return 'bun';
    return 'npm';
  }
  return 'npm';
}

function isCtxframePackage(root) {
  try {
    return JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).name === 'ctxframe';
  } catch {
    return false;
  }
}

// "linux-arm64 ABI 127/137/147 glibc, linux-x64 ABI 127/137/147 glibc", from what is on disk.
function shippedPrebuilds(root) {
  const dir = path.join(root, 'prebuilds');
  let platforms;
  try {
    platforms = fs.readdirSync(dir).sort();
  } catch {
    return 'none';
  }
  const parts = [];
  for (const platform of platforms) {
    const tags = new Map();
    for (const name of fs.readdirSync(path.join(dir, platform))) {
      const m = /^node\.abi(\d+)\.?(\w*)\.node$/.exec(name);
      if (!m) continue;
      tags.set(m[2], [...(tags.get(m[2]) || []), m[1]]);
    }
    for (const [libc, abis] of tags) parts.push(`${platform} ABI ${abis.sort().join('/')}${libc ? ` ${libc}` : ''}`);
  }
  return parts.length ? parts.join(', ') : 'none';
}

// What `ctxframe-build` left when it failed for this target: { reason, log }.
function buildFailure(root, target) {
  const marker = path.join(root, 'native', `${target.platform}-${target.arch}-abi${target.abi}`, 'build-failed.json');
  try {
    return JSON.parse(fs.readFileSync(marker, 'utf8'));
  } catch {
    return null;
  }
}

// `jsRuns`: whether the frame backend runs without the native part (else carrier runs).
function describe(native, root = ROOT, jsRuns = false) {
  const { target, loadError } = native;
  const TAIL = jsRuns ? TAILS.js : TAILS.carrier;
  const where = `${target.platform}-${target.arch}${target.libc ? ` ${target.libc}` : ''}, ` +
    `Node.js ${process.version} (ABI ${target.abi})`;
  if (!isCtxframePackage(root)) {
    return `ctxframe: its code runs from ${root}, which is not the ctxframe package (it looks ` +
      `bundled), so its native part for ${where} cannot be found. Fix: keep ctxframe external in ` +
      'your bundler (esbuild --external:ctxframe, webpack externals, rollup external) and install ' +
      `it next to the bundle. ${TAIL}`;
  }
  const run = RUN_BUILD[packageManager(root)];
  if (native.path === null) {
    const failed = buildFailure(root, target);
    if (failed) {
      return `ctxframe: the source build of its native part for ${where} failed: ${failed.reason} ` +
        `(log: ${failed.log}). Fix: install ${TOOLCHAIN}, then run \`${run}\`. ${TAIL}`;
    }
    const shipped = shippedPrebuilds(root);
    return `ctxframe: no native part for ${where}: ${shipped === 'none' ? 'this package ships no ' +
      'prebuilds' : `this package has prebuilds for ${shipped} only`}. Fix: build it from source with \`${run}\` (needs ${TOOLCHAIN}); ` +
      'to keep it across reinstalls, add "postinstall": "ctxframe-build --if-possible" to your ' +
      `app's package.json scripts. ${TAIL}`;
  }
  const reason = String((loadError && loadError.message) || loadError).split('\n')[0];
  return `ctxframe: its native part ${native.path} for ${where} could not be loaded: ${reason}. ` +
    `Fix: build one for this runtime from source with \`${run}\` (needs ${TOOLCHAIN}). ${TAIL}`;
}

module.exports = { describe, packageManager, RUN_BUILD };
