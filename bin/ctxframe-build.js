#!/usr/bin/env node
'use strict';
// Owns: the user's explicit source build of the native part (`npx ctxframe-build`), for platforms,
// libcs and Node ABIs the package has no prebuild for (macOS, Windows, musl, other arches, a newer
// Node). Nothing runs at install: this is the documented way, and an app can make it part of its
// own install with "postinstall": "ctxframe-build --if-possible".
//
//   ctxframe-build [--force] [--if-possible] [--nodedir <dir>] [--verbose]
//     --force        build even when a working native part (prebuild or earlier build) is there
//     --if-possible  a failed build exits 0 (for an app's postinstall); the warning at run time
//                    then names the log and the first error line
//     --nodedir      Node headers of exactly this version, when they are not next to node
// Exits 1 when the build fails (without --if-possible), so no script reports a false success.

const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { buildForNode, BuildError, TOOLCHAIN_HINT, NATIVE_DIR } = require('../scripts/build.js');

function parseArgs(argv) {
  const opts = { force: false, ifPossible: false, verbose: false, nodedir: undefined };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--force') opts.force = true;
    else if (arg === '--if-possible') opts.ifPossible = true;
    else if (arg === '--verbose') opts.verbose = true;
    else if (arg === '--nodedir' && argv[i + 1]) opts.nodedir = path.resolve(argv[++i]);
    else if (arg.startsWith('--nodedir=')) opts.nodedir = path.resolve(arg.slice('--nodedir='.length));
    else if (arg === '--help' || arg === '-h') {
      console.log('usage: ctxframe-build [--force] [--if-possible] [--nodedir <dir>] [--verbose]');
      process.exit(0);
    } else throw new BuildError(`unknown option ${arg} (usage: ctxframe-build [--force] [--if-possible] [--nodedir <dir>] [--verbose])`);
  }
  return opts;
}

// What this node, in a fresh process, makes of the package: native part loaded? which backend?
// (NODE_OPTIONS is kept: it may be what turns AsyncContextFrame on.)
function probe() {
  const root = path.join(__dirname, '..');
  const r = spawnSync(process.execPath, ['-e', `
    const n = require(${JSON.stringify(path.join(root, 'lib', 'native.js'))});
    process.stdout.write(JSON.stringify({ loaded: n.binding !== null, path: n.path,
      error: n.loadError && String(n.loadError.message).split('\\n')[0] }));`], { encoding: 'utf8' });
  try {
    return JSON.parse(r.stdout);
  } catch {
    return { loaded: false, path: null, error: (r.stderr || '').trim().split('\n')[0] };
  }
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  const abi = Number(process.versions.modules);
  const tagDir = path.join(NATIVE_DIR, `${process.platform}-${process.arch}-abi${abi}`);
  const marker = path.join(tagDir, 'build-failed.json');
  if (abi < 127) {
    console.log(`ctxframe-build: nothing to build: Node.js ${process.version} has no AsyncContextFrame, ` +
      'so ctxframe runs on its carrier backend there and never loads a native part.');
    return 0;
  }
  if (!opts.force) {
    const before = probe();
    if (before.loaded) {
      console.log(`ctxframe-build: nothing to build: ${before.path} already works on Node.js ${process.version} ` +
        '(use --force to build from source anyway).');
      return 0;
    }
  }
  try {
    buildForNode(process.execPath, { verbose: opts.verbose, nodedir: opts.nodedir });
  } catch (err) {
    if (!(err instanceof BuildError)) throw err;
    fs.mkdirSync(tagDir, { recursive: true });
    fs.writeFileSync(marker, `${JSON.stringify({ reason: err.reason, log: err.logPath, node: process.version })}\n`);
    console.error(`ctxframe-build: ${err.message}`);
    if (err.logPath && fs.existsSync(err.logPath)) {
      const tail = fs.readFileSync(err.logPath, 'utf8').trimEnd().split('\n').slice(-12).join('\n');
      console.error(`--- last lines of ${err.logPath} ---\n${tail}\n---`);
    }
    console.error(`ctxframe-build: to build from source, ${TOOLCHAIN_HINT}; then run ctxframe-build again. ` +
      'Until then ctxframe runs on its carrier backend (correct, slower on this runtime).');
    return opts.ifPossible ? 0 : 1;
  }
  fs.rmSync(marker, { force: true });
  const after = probe();
  if (!after.loaded) {
    console.error(`ctxframe-build: built, but the result does not load: ${after.error}`);
    return opts.ifPossible ? 0 : 1;
  }
  console.log(`ctxframe-build: ok: ${after.path} loads on Node.js ${process.version}.`);
  return 0;
}

try {
  process.exitCode = main();
} catch (err) {
  console.error(`ctxframe-build: ${err instanceof BuildError ? err.message : err.stack}`);
  process.exitCode = 1;
}
