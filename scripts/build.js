'use strict';
// Owns: building the native addon (binding.gyp -> ctxframe.node) for one Node binary and installing
// it where lib/native.js looks: native/<platform>-<arch>-abi<modules>/ctxframe.node.
//
//   node scripts/build.js [--node <path>] [--if-possible] [--if-missing] [--verbose]
//
//   --node <path>   the node that will load the addon (default: the node running this script)
//   --if-possible   npm's `install` script: a failed build prints one line and exits 0, so a user's
//                   `npm install` never fails; ctxframe then runs on the `carrier` backend
//   --if-missing    do nothing when the installed binary is newer than binding.gyp and src/
//   --verbose       show node-gyp's info lines
//
// Headers are never downloaded: node-gyp gets --nodedir = the prefix of the target node's real path
// that holds include/node/node_api.h (distribution nodes and the npm-packaged nodes both have it).
// Builds share ./build, so they are serialised with a lock file (native/.build.lock).

const fs = require('node:fs');
const path = require('node:path');
const { spawnSync, execFileSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..');
const NATIVE_DIR = path.join(ROOT, 'native');
const LOCK_PATH = path.join(NATIVE_DIR, '.build.lock');
const LOCK_WAIT_MS = 10 * 60 * 1000;
const FIX_HINT = "ctxframe will run on the 'carrier' backend; to fix, install a C/C++ toolchain (python3, make, g++) and run `npm rebuild ctxframe`";

class BuildError extends Error {}

function parseArgs(argv) {
  const opts = { node: process.execPath, ifPossible: false, ifMissing: false, verbose: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--if-possible') opts.ifPossible = true;
    else if (arg === '--if-missing') opts.ifMissing = true;
    else if (arg === '--verbose') opts.verbose = true;
    else if (arg === '--node') {
      if (!argv[i + 1]) throw new BuildError('--node needs a path');
      opts.node = argv[++i];
    } else if (arg.startsWith('--node=')) opts.node = arg.slice('--node='.length);
    else throw new BuildError(`unknown option ${arg}`);
  }
  return opts;
}

// NODE_OPTIONS meant for another runtime (e.g. a matrix mode) must not reach probes or node-gyp.
function childEnv(extra) {
  const env = { ...process.env, ...extra };
  delete env.NODE_OPTIONS;
  return env;
}

// What the target node is: version, ABI, platform, arch, real path.
function describeNode(nodePath) {
  let real;
  try {
    real = fs.realpathSync(nodePath);
  } catch {
    throw new BuildError(`node binary ${nodePath} does not exist`);
  }
  if (real === fs.realpathSync(process.execPath)) {
    return { real, version: process.version, modules: process.versions.modules, platform: process.platform, arch: process.arch };
  }
  let out;
  try {
    out = execFileSync(real, ['-p', 'JSON.stringify([process.version, process.versions.modules, process.platform, process.arch])'], { encoding: 'utf8', env: childEnv() });
  } catch (err) {
    throw new BuildError(`cannot run ${real}: ${err.message.split('\n')[0]}`);
  }
  const [version, modules, platform, arch] = JSON.parse(out);
  return { real, version, modules, platform, arch };
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
  throw new BuildError(`no Node headers (include/node/node_api.h) next to ${realNode} or in any parent directory; use a Node distribution that ships its headers (Debian's nodejs package, the official tarballs, the npm node-linux-* packages)`);
}

function findNodeGyp() {
  const candidates = [];
  if (process.env.npm_config_node_gyp) candidates.push(process.env.npm_config_node_gyp);
  candidates.push(path.join(ROOT, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  // npm's bundled node-gyp: next to the npm that runs us, or next to the running node.
  if (process.env.npm_execpath) {
    candidates.push(path.resolve(path.dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  }
  const prefix = path.resolve(path.dirname(fs.realpathSync(process.execPath)), '..');
  candidates.push(path.join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  for (const candidate of candidates) if (fs.existsSync(candidate)) return candidate;
  throw new BuildError(`node-gyp not found (looked in: ${candidates.join(', ')})`);
}

function sourceFiles() {
  const files = [path.join(ROOT, 'binding.gyp')];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else files.push(full);
    }
  };
  if (fs.existsSync(path.join(ROOT, 'src'))) walk(path.join(ROOT, 'src'));
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

// One build at a time in this package directory (./build is shared).
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

// The most telling line of a failed build's log, for the one-line summary: the first compiler
// error, else the error node-gyp reported.
function reasonFrom(log) {
  const lines = log.split('\n').map((l) => l.trim()).filter(Boolean);
  const found = lines.find((l) => /\berror:/.test(l))
    || lines.find((l) => /^[A-Z]\w*(Error|Exception): /.test(l)) // e.g. gyp's Python failing
    || lines.find((l) => /^gyp ERR! stack Error:/.test(l))
    || lines.find((l) => /not found|No such file|command not found/i.test(l))
    || 'node-gyp failed';
  return found.replace(/^gyp ERR! stack /, '').slice(0, 240);
}

function build(opts) {
  const target = describeNode(opts.node);
  const dirName = `${target.platform}-${target.arch}-abi${target.modules}`;
  const output = path.join(NATIVE_DIR, dirName, 'ctxframe.node');
  const label = `node ${target.version} (abi ${target.modules})`;

  if (!fs.existsSync(path.join(ROOT, 'binding.gyp'))) throw new BuildError(`${path.join(ROOT, 'binding.gyp')} is missing`);
  if (opts.ifMissing && isUpToDate(output)) {
    console.log(`ctxframe build: ${label} up to date: ${path.relative(process.cwd(), output) || output}`);
    return output;
  }

  const nodedir = findNodedir(target.real);
  const nodeGyp = findNodeGyp();
  const release = acquireLock();
  try {
    // Another process may have finished the same build while we waited for the lock.
    if (opts.ifMissing && isUpToDate(output)) {
      console.log(`ctxframe build: ${label} up to date: ${path.relative(process.cwd(), output) || output}`);
      return output;
    }
    const args = [nodeGyp, 'rebuild', `--nodedir=${nodedir}`, '--release', '-j', '2'];
    if (!opts.verbose) args.push('--loglevel=warn');
    const env = childEnv({ npm_config_nodedir: nodedir });
    const started = Date.now();
    // --if-possible keeps node-gyp's output in a log file: the user sees one line either way.
    const logPath = path.join(NATIVE_DIR, `build-${dirName}.log`);
    const result = spawnSync(process.execPath, args, {
      cwd: ROOT,
      env,
      stdio: opts.ifPossible ? ['ignore', 'pipe', 'pipe'] : 'inherit',
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    if (opts.ifPossible) fs.writeFileSync(logPath, `${result.stdout || ''}${result.stderr || ''}`);
    if (result.error) throw new BuildError(`cannot run node-gyp: ${result.error.message}`);
    if (result.status !== 0) {
      const reason = opts.ifPossible ? `${reasonFrom(fs.readFileSync(logPath, 'utf8'))} (full log: ${logPath})` : `node-gyp exited with ${result.status}`;
      throw new BuildError(`native build for ${label} failed: ${reason}`);
    }
    const built = path.join(ROOT, 'build', 'Release', 'ctxframe.node');
    if (!fs.existsSync(built)) throw new BuildError(`node-gyp succeeded but ${built} is missing`);
    fs.mkdirSync(path.dirname(output), { recursive: true });
    // Copy then rename, so a process loading the addon never sees a half-written file.
    const staged = `${output}.tmp-${process.pid}`;
    fs.copyFileSync(built, staged);
    fs.renameSync(staged, output);
    if (opts.ifPossible) fs.rmSync(logPath, { force: true });
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(`ctxframe build: ${label} -> ${path.relative(process.cwd(), output) || output} (${seconds}s)`);
    return output;
  } finally {
    release();
  }
}

function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
    build(opts);
  } catch (err) {
    const message = err instanceof BuildError ? err.message : (err && err.stack) || String(err);
    if (opts && opts.ifPossible) {
      console.warn(`ctxframe: ${message.split('\n')[0]}; ${FIX_HINT}.`);
      process.exit(0);
    }
    console.error(`ctxframe build: ${message}`);
    process.exit(1);
  }
}

module.exports = { build, findNodedir, findNodeGyp, describeNode };

if (require.main === module) main();
