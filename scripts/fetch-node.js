'use strict';
// Owns: fetching the pinned Node runtimes of the test matrix (22, 24, 26) from the npm
// packages `node-linux-<arch>@<version>` into a local cache, and verifying them.
//
//   node scripts/fetch-node.js [--arch arm64] [22 24 26]   fetch (or reuse), print "<version> <bin>"
//   const { ensureNode } = require('./fetch-node.js');
//   ensureNode(24) -> { version, bin, prefix, arch }          this machine's arch (run with -v to verify)
//   ensureNode(24, { arch: 'arm64' })                         another arch (headers for cross builds,
//                                                             a binary for qemu; verified by its ELF header)
//
// Cache: <repo>/.cache/node/<version>/ for this machine's arch, <version>-linux-<arch>/ for another
// (override the parent directory with env CTXFRAME_NODE_CACHE). Only the npm registry is contacted
// (via `npm pack`), never nodejs.org.

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

// ELF e_machine of each architecture we fetch.
const ELF_MACHINE = { x64: 62, arm64: 183 };

function packageName(arch) {
  if (process.platform !== 'linux') {
    throw new Error(`fetch-node: only linux is supported (this is ${process.platform})`);
  }
  if (!ELF_MACHINE[arch]) {
    throw new Error(`fetch-node: unsupported architecture ${arch}`);
  }
  return `node-linux-${arch}`;
}

// The e_machine field of an ELF file (little-endian), or null when it is not ELF.
function elfMachine(file) {
  const fd = fs.openSync(file, 'r');
  try {
    const head = Buffer.alloc(20);
    fs.readSync(fd, head, 0, 20, 0);
    if (head.readUInt32BE(0) !== 0x7f454c46) return null;
    return head.readUInt16LE(18);
  } finally {
    fs.closeSync(fd);
  }
}

// NODE_MODULE_VERSION (the ABI) from a Node prefix's headers, without running its node.
function headerAbi(prefix) {
  const text = fs.readFileSync(path.join(prefix, 'include', 'node', 'node_version.h'), 'utf8');
  const m = /#define NODE_MODULE_VERSION (\d+)/.exec(text);
  if (!m) throw new Error(`fetch-node: no NODE_MODULE_VERSION in ${prefix}/include/node/node_version.h`);
  return Number(m[1]);
}

// Returns null when the cached runtime is complete (and, for this machine's arch, runs), else why not.
function problemWith(prefix, version, arch = process.arch) {
  const bin = path.join(prefix, 'bin', 'node');
  if (!fs.existsSync(bin)) return `${bin} is missing`;
  if (!fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h'))) {
    return `${prefix}/include/node/node_api.h is missing`;
  }
  if (arch !== process.arch) {
    const machine = elfMachine(bin);
    if (machine !== ELF_MACHINE[arch]) return `${bin} is not an ${arch} ELF binary (e_machine ${machine})`;
    const text = fs.readFileSync(path.join(prefix, 'include', 'node', 'node_version.h'), 'utf8');
    const v = ['MAJOR', 'MINOR', 'PATCH'].map((p) => (new RegExp(`#define NODE_${p}_VERSION (\\d+)`).exec(text) || [])[1]).join('.');
    return v === version ? null : `${prefix} has the headers of ${v}, expected ${version}`;
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

function download(version, prefix, arch) {
  const spec = `${packageName(arch)}@${version}`;
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
    const problem = problemWith(staged, version, arch);
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

// ensureNode(major, { arch }) -> { version, bin, prefix, arch, abi }; downloads only when the cache
// is missing or broken.
function ensureNode(major, { arch = process.arch } = {}) {
  const version = PINNED[String(major).replace(/^v/, '')];
  if (!version) {
    throw new Error(`fetch-node: no pinned version for "${major}" (known: ${Object.keys(PINNED).join(', ')})`);
  }
  const prefix = path.join(cacheRoot(), arch === process.arch ? version : `${version}-linux-${arch}`);
  const problem = problemWith(prefix, version, arch);
  if (problem) {
    if (fs.existsSync(prefix)) process.stderr.write(`fetch-node: cache of ${version} (${arch}) is unusable (${problem}); refetching\n`);
    download(version, prefix, arch);
  }
  return { version, bin: path.join(prefix, 'bin', 'node'), prefix, arch, abi: headerAbi(prefix) };
}

module.exports = { PINNED, ELF_MACHINE, ensureNode, cacheRoot, elfMachine, headerAbi };

if (require.main === module) {
  const args = process.argv.slice(2);
  let arch = process.arch;
  const archAt = args.findIndex((a) => a === '--arch' || a.startsWith('--arch='));
  if (archAt !== -1) {
    arch = args[archAt].includes('=') ? args[archAt].split('=')[1] : args[archAt + 1];
    args.splice(archAt, args[archAt].includes('=') ? 1 : 2);
  }
  const wanted = args.length ? args : Object.keys(PINNED);
  try {
    for (const major of wanted) {
      const { version, bin } = ensureNode(major, { arch });
      console.log(`${version} ${bin}`);
    }
  } catch (err) {
    console.error(err.message);
    process.exit(1);
  }
}
