'use strict';
// Owns: the prebuilt binaries shipped in the package (run by `prepack`, so `npm pack` always
// produces a complete tarball): one per platform, arch, libc and Node ABI where the native part is
// used, in prebuildify's layout, which lib/native.js reads:
//   prebuilds/linux-x64/node.abi127.glibc.node     Node 22 (with --experimental-async-context-frame)
//   prebuilds/linux-x64/node.abi137.glibc.node     Node 24
//   prebuilds/linux-x64/node.abi147.glibc.node     Node 26
//   prebuilds/linux-arm64/…                        the same, cross-compiled with aarch64-linux-gnu-g++
// Node 20 gets none: it has no AsyncContextFrame, so ctxframe runs on `carrier` there.
// Headers come from the npm packages node-linux-<arch>@<pinned version> (scripts/fetch-node.js);
// the cross toolchain from Debian (scripts/system-deps.js arm64). Every output is checked: ELF,
// right e_machine, and on this machine's arch it must load in its node.
//
//   node scripts/prebuild.js [--force] [--only x64|arm64]
//   const { PREBUILDS, prebuildPath } = require('./prebuild.js')   the list the package test checks

const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { ensureNode, elfMachine, ELF_MACHINE, PINNED } = require('./fetch-node.js');
const { build, BuildError, ROOT } = require('./build.js');

const ARCHS = ['x64', 'arm64'];
const MAJORS = [22, 24, 26];
const ABI = { 22: 127, 24: 137, 26: 147 };
const CROSS = {
  arm64: { CC: 'aarch64-linux-gnu-gcc', CXX: 'aarch64-linux-gnu-g++', LINK: 'aarch64-linux-gnu-g++' },
};

function prebuildPath(arch, abi) {
  return path.join(ROOT, 'prebuilds', `linux-${arch}`, `node.abi${abi}.glibc.node`);
}

// Everything the package must contain, relative to its root.
const PREBUILDS = ARCHS.flatMap((arch) => MAJORS.map((major) => ({
  arch, major, abi: ABI[major], file: path.relative(ROOT, prebuildPath(arch, ABI[major])),
})));

function ensureCrossToolchain() {
  const result = spawnSync(process.execPath, [path.join(__dirname, 'system-deps.js'), 'arm64'], { stdio: 'inherit' });
  if (result.status !== 0) throw new BuildError('the arm64 cross toolchain is missing (see above)');
}

function check(arch, node, file) {
  const machine = elfMachine(file);
  if (machine !== ELF_MACHINE[arch]) throw new BuildError(`${file} has ELF e_machine ${machine}, expected ${ELF_MACHINE[arch]} (${arch})`);
  if (arch !== process.arch) return 'ELF ok';
  const r = spawnSync(node.bin, ['-e', `const m = require(${JSON.stringify(file)}); if (typeof m.get !== 'function') process.exit(3);`], { encoding: 'utf8', env: { PATH: process.env.PATH } });
  if (r.status !== 0) throw new BuildError(`${file} does not load in node ${node.version}: ${(r.stderr || '').trim().split('\n')[0]}`);
  return 'loads';
}

function main() {
  const args = process.argv.slice(2);
  const force = args.includes('--force');
  const onlyAt = args.indexOf('--only');
  const archs = onlyAt === -1 ? ARCHS : [args[onlyAt + 1]];
  if (archs.some((a) => !ARCHS.includes(a))) throw new BuildError(`--only takes one of ${ARCHS.join(', ')}`);
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new BuildError(`the prebuilds are made on linux-x64 (cross-compiling to arm64); this is ${process.platform}-${process.arch}`);
  }
  const started = Date.now();
  for (const arch of archs) {
    if (arch !== process.arch) ensureCrossToolchain();
    for (const major of MAJORS) {
      const node = ensureNode(major, { arch });
      if (node.abi !== ABI[major]) throw new BuildError(`node ${node.version} headers say ABI ${node.abi}, expected ${ABI[major]}`);
      const out = prebuildPath(arch, node.abi);
      build({
        nodedir: node.prefix,
        arch,
        label: `linux-${arch} node ${node.version} (abi ${node.abi})`,
        out,
        ifMissing: !force,
        env: CROSS[arch] || {},
        cleanFlags: true,
        logPath: path.join(ROOT, 'native', `prebuild-linux-${arch}-abi${node.abi}.log`),
      });
      console.log(`prebuild: ${path.relative(ROOT, out)} ${fs.statSync(out).size} bytes, ${check(arch, node, out)}`);
    }
  }
  // Nothing else may sit in prebuilds/ (a stale ABI would ship and never be loaded).
  const expected = new Set(PREBUILDS.map((p) => p.file));
  for (const dir of fs.readdirSync(path.join(ROOT, 'prebuilds'))) {
    for (const name of fs.readdirSync(path.join(ROOT, 'prebuilds', dir))) {
      const rel = path.join('prebuilds', dir, name);
      if (!expected.has(rel)) {
        fs.rmSync(path.join(ROOT, rel), { recursive: true, force: true });
        console.log(`prebuild: removed stray ${rel}`);
      }
    }
  }
  console.log(`prebuild: ${archs.length * MAJORS.length} prebuilds for Node ${MAJORS.map((m) => PINNED[m]).join(', ')} ready (${((Date.now() - started) / 1000).toFixed(1)}s)`);
}

module.exports = { PREBUILDS, ABI, prebuildPath };

if (require.main === module) {
  try {
    main();
  } catch (err) {
    console.error(`prebuild: ${err instanceof BuildError ? err.message : err.stack}`);
    process.exit(1);
  }
}
