'use strict';
// Owns: building the native addon (binding.gyp, or gyp/binding.gyp in the package -> ctxframe.node) for one Node ABI, for this
// machine or cross-compiled for another arch, and installing it where lib/native.js looks.
//
//   node scripts/build.js [--node <path>] [--if-missing] [--verbose]
//     the developer build for one node (default: the node running this script), installed as
//     native/<platform>-<arch>-abi<N>/ctxframe.node; exits 1 when the build fails
//   require('./build.js').build({ nodedir, arch, abi, version, out, ... })
//     the same for any target (scripts/prebuild.js cross-compiles the linux-arm64 prebuilds;
//     bin/ctxframe-build.js is the user's explicit source build)
//
// Headers are never downloaded: node-gyp gets --nodedir = a Node prefix holding
// include/node/node_api.h (distribution nodes and the npm node-linux-* packages both have it).
// Builds share build/ (gyp/build in the package), so they are serialised with a lock file (native/.build.lock).
// CFLAGS/CXXFLAGS/LDFLAGS from the environment reach the compiler (sanitizer builds) unless the
// caller passes `cleanFlags` (the prebuilds do).

const fs = require('node:fs');
const path = require('node:path');
const { spawnSync, execFileSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..');
// The directory node-gyp runs in: the checkout's top level, or gyp/ in the installed package (where
// scripts/pack-gyp.js put binding.gyp, away from the package root that yarn would build).
const GYP_DIR = fs.existsSync(path.join(ROOT, 'binding.gyp')) ? ROOT : path.join(ROOT, 'gyp');
const NATIVE_DIR = path.join(ROOT, 'native');
const LOCK_PATH = path.join(NATIVE_DIR, '.build.lock');
const LOCK_WAIT_MS = 10 * 60 * 1000;
const TOOLCHAIN_HINT = 'install python3, make and a C/C++ compiler (Debian/Ubuntu: apt-get install ' +
  'python3 make g++; Alpine: apk add python3 make g++; macOS: xcode-select --install; Windows: ' +
  'Visual Studio Build Tools with "Desktop development with C++")';

class BuildError extends Error {
  constructor(message, { reason, logPath } = {}) {
    super(message);
    this.reason = reason || message;
    this.logPath = logPath || null;
  }
}

// The environment of node-gyp and the compiler: no NODE_OPTIONS meant for another runtime, no
// npm_config_* of the npm that runs us (node-gyp would read them as its own options, e.g. an
// `arch` or a `nodedir` from a user's .npmrc), except the two that name tools.
function childEnv(extra, { cleanFlags = false } = {}) {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key === 'NODE_OPTIONS') continue;
    if (/^npm_config_/i.test(key) && !/^npm_config_(python|node_gyp)$/i.test(key)) continue;
    if (cleanFlags && /^(CFLAGS|CXXFLAGS|CPPFLAGS|LDFLAGS|CC|CXX|LINK|AR)$/.test(key)) continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

// What a runnable node is: version, ABI, platform, arch, real path, headers.
function describeNode(nodePath) {
  let real;
  try {
    real = fs.realpathSync(nodePath);
  } catch {
    throw new BuildError(`node binary ${nodePath} does not exist`);
  }
  let info;
  if (real === fs.realpathSync(process.execPath)) {
    info = [process.version, process.versions.modules, process.platform, process.arch];
  } else {
    try {
      info = JSON.parse(execFileSync(real, ['-p',
        'JSON.stringify([process.version, process.versions.modules, process.platform, process.arch])'],
      { encoding: 'utf8', env: childEnv() }));
    } catch (err) {
      throw new BuildError(`cannot run ${real}: ${err.message.split('\n')[0]}`);
    }
  }
  const [version, abi, platform, arch] = info;
  return { real, version, abi, platform, arch };
}

// The prefix of the node binary that holds include/node/node_api.h (walking up from its directory).
function findNodedir(realNode) {
  let dir = path.dirname(realNode);
  for (;;) {
    if (fs.existsSync(path.join(dir, 'include', 'node', 'node_api.h'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new BuildError(`no Node headers (include/node/node_api.h) next to ${realNode} or in any ` +
    'parent directory; use a Node distribution that ships its headers (the official tarballs, ' +
    "Debian's nodejs package, nvm, the npm node-linux-* packages) or pass --nodedir <dir> " +
    'pointing at the headers of exactly this Node version');
}

// node-gyp: the dev dependency in a checkout, else the one npm or pnpm ships with.
function findNodeGyp() {
  const candidates = [];
  if (process.env.npm_config_node_gyp) candidates.push(process.env.npm_config_node_gyp);
  candidates.push(path.join(ROOT, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  if (process.env.npm_execpath) {
    candidates.push(path.resolve(path.dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  }
  const prefix = path.resolve(path.dirname(fs.realpathSync(process.execPath)), '..');
  candidates.push(path.join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  for (const candidate of candidates) if (fs.existsSync(candidate)) return candidate;
  if (fs.existsSync(path.join(ROOT, '.git'))) {
    // A checkout: node-gyp is one of ctxframe's dev dependencies; a compiler is not the problem.
    throw new BuildError(`node-gyp is missing from ${path.join(ROOT, 'node_modules')}: it is a dev ` +
      `dependency of ctxframe; run \`npm install\` in ${ROOT} first`);
  }
  throw new BuildError('node-gyp not found (it ships with npm; looked in: ' +
    `${candidates.join(', ')}); install it with \`npm install -g node-gyp\` and run again`);
}

function sourceFiles() {
  const files = [path.join(GYP_DIR, 'binding.gyp')];
  const src = path.join(ROOT, 'src');
  if (fs.existsSync(src)) for (const name of fs.readdirSync(src)) files.push(path.join(src, name));
  return files;
}

function isUpToDate(output) {
  if (!fs.existsSync(output)) return false;
  const builtAt = fs.statSync(output).mtimeMs;
  return sourceFiles().every((file) => fs.statSync(file).mtimeMs < builtAt);
}

function sleep(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function pidAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

// One build at a time in this package directory (build/ is shared).
function acquireLock() {
  fs.mkdirSync(NATIVE_DIR, { recursive: true });
  const deadline = Date.now() + LOCK_WAIT_MS;
  let announced = false;
  for (;;) {
    try {
      fs.writeFileSync(LOCK_PATH, String(process.pid), { flag: 'wx' });
      return () => fs.rmSync(LOCK_PATH, { force: true });
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
    }
    const holder = Number(fs.readFileSync(LOCK_PATH, 'utf8').trim() || 0);
    if (holder && !pidAlive(holder)) {
      fs.rmSync(LOCK_PATH, { force: true });
      continue;
    }
    if (Date.now() > deadline) throw new BuildError(`another build (pid ${holder}) holds ${LOCK_PATH}`);
    if (!announced) {
      process.stderr.write(`ctxframe build: waiting for another build (pid ${holder}) to finish\n`);
      announced = true;
    }
    sleep(250);
  }
}

// The most telling line of a failed build's log: the first compiler error, else what node-gyp
// reported.
function reasonFrom(log) {
  const lines = log.split('\n').map((l) => l.trim()).filter(Boolean);
  const found = lines.find((l) => /\berror:/.test(l))
    || lines.find((l) => /Could not find any Python/i.test(l))
    || lines.find((l) => /not found|No such file|command not found/i.test(l))
    || lines.find((l) => /^[A-Z]\w*(Error|Exception): /.test(l)) // e.g. gyp's Python failing
    || lines.find((l) => /^gyp ERR! stack Error:/.test(l))
    || 'node-gyp failed';
  return found.replace(/^gyp ERR! (stack|find Python) /, '').slice(0, 240);
}

// Builds one target and installs it at `out`. Options:
//   nodedir   Node prefix with include/node (its headers decide the ABI)
//   arch      target arch (default this machine's); another arch cross-compiles with `env`'s CC/CXX
//   label     for messages, e.g. "node v24.21.0 (abi 137)"
//   out       where the .node goes
//   ifMissing skip when `out` is newer than binding.gyp and src/
//   env       extra environment (cross compilers); cleanFlags drops CFLAGS & co first
//   logPath   where node-gyp's output goes (kept when the build fails)
function build({ nodedir, arch = process.arch, label, out, ifMissing = false, verbose = false, env = {}, cleanFlags = false, logPath }) {
  if (!fs.existsSync(path.join(GYP_DIR, 'binding.gyp'))) throw new BuildError(`${path.join(GYP_DIR, 'binding.gyp')} is missing`);
  const shown = path.relative(process.cwd(), out) || out;
  if (ifMissing && isUpToDate(out)) {
    console.log(`ctxframe build: ${label} up to date: ${shown}`);
    return out;
  }
  const nodeGyp = findNodeGyp();
  const release = acquireLock();
  try {
    // Another process may have finished the same build while we waited for the lock.
    if (ifMissing && isUpToDate(out)) {
      console.log(`ctxframe build: ${label} up to date: ${shown}`);
      return out;
    }
    const args = [nodeGyp, 'rebuild', `--nodedir=${nodedir}`, `--arch=${arch}`, '--release', '-j', '2'];
    if (!verbose) args.push('--loglevel=warn');
    const started = Date.now();
    const result = spawnSync(process.execPath, args, {
      cwd: GYP_DIR,
      env: childEnv(env, { cleanFlags }),
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    const output = `${result.stdout || ''}${result.stderr || ''}`;
    if (verbose) process.stdout.write(output);
    fs.mkdirSync(path.dirname(logPath), { recursive: true });
    fs.writeFileSync(logPath, `$ ${[process.execPath, ...args].join(' ')}\n${output}`);
    if (result.error) throw new BuildError(`cannot run node-gyp: ${result.error.message}`, { logPath });
    if (result.status !== 0) {
      const reason = reasonFrom(output);
      throw new BuildError(`native build for ${label} failed: ${reason} (full log: ${logPath})`, { reason, logPath });
    }
    const built = path.join(GYP_DIR, 'build', 'Release', 'ctxframe.node');
    if (!fs.existsSync(built)) throw new BuildError(`node-gyp succeeded but ${built} is missing`, { logPath });
    fs.mkdirSync(path.dirname(out), { recursive: true });
    // Copy then rename, so a process loading the addon never sees a half-written file.
    const staged = `${out}.tmp-${process.pid}`;
    fs.copyFileSync(built, staged);
    fs.renameSync(staged, out);
    fs.rmSync(logPath, { force: true });
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(`ctxframe build: ${label} -> ${shown} (${seconds}s)`);
    return out;
  } finally {
    release();
  }
}

// The developer build for one runnable node, installed where lib/native.js looks first.
function buildForNode(nodePath, { ifMissing = false, verbose = false, nodedir } = {}) {
  const target = describeNode(nodePath);
  const tag = `${target.platform}-${target.arch}-abi${target.abi}`;
  return build({
    nodedir: nodedir || findNodedir(target.real),
    arch: target.arch,
    label: `node ${target.version} (abi ${target.abi})`,
    out: path.join(NATIVE_DIR, tag, 'ctxframe.node'),
    logPath: path.join(NATIVE_DIR, `build-${tag}.log`),
    ifMissing,
    verbose,
  });
}

function parseArgs(argv) {
  const opts = { node: process.execPath, ifMissing: false, verbose: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--if-missing') opts.ifMissing = true;
    else if (arg === '--verbose') opts.verbose = true;
    else if (arg === '--node') {
      if (!argv[i + 1]) throw new BuildError('--node needs a path');
      opts.node = argv[++i];
    } else if (arg.startsWith('--node=')) opts.node = arg.slice('--node='.length);
    else throw new BuildError(`unknown option ${arg}`);
  }
  return opts;
}

function main() {
  try {
    const opts = parseArgs(process.argv.slice(2));
    buildForNode(opts.node, opts);
  } catch (err) {
    const message = err instanceof BuildError ? err.message : (err && err.stack) || String(err);
    console.error(`ctxframe build: ${message}`);
    if (err instanceof BuildError && err.logPath && fs.existsSync(err.logPath)) {
      const tail = fs.readFileSync(err.logPath, 'utf8').trimEnd().split('\n').slice(-15).join('\n');
      console.error(`--- last lines of ${err.logPath} ---\n${tail}`);
    }
    if (err instanceof BuildError && /python|not found|compiler/i.test(err.reason) && !/node-gyp is missing/.test(err.reason)) {
      console.error(`ctxframe build: to build from source, ${TOOLCHAIN_HINT}`);
    }
    process.exit(1);
  }
}

module.exports = { build, buildForNode, describeNode, findNodedir, findNodeGyp, BuildError, TOOLCHAIN_HINT, NATIVE_DIR, ROOT };

if (require.main === module) main();
