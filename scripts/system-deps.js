'use strict';
// Owns: making sure the system packages the integration tests need are present (run by `pretest`):
// redis-server, the PostgreSQL server binaries (initdb, postgres) and the `postgres` OS user.
// When some are missing it says which, why and the exact command, then installs only those with
// apt-get (never upgrading what is installed) when it runs as root — asking first on a terminal —
// and otherwise fails with the command to run. Never starts a server (tests start their own).
//
// Three groups:
//   tests  (default, run by `pretest`) redis-server, PostgreSQL and the postgres user, as above;
//   arm64  (run by scripts/prebuild.js and `npm run test:arm64`) the aarch64 cross compiler and its
//          sysroot (the linux-arm64 prebuilds are cross-compiled) and qemu user emulation (to test them);
//   sanitizers (run by `npm run test:asan`) valgrind, and gcc's ASan/UBSan runtimes where an image
//          lacks them.
//
//   node scripts/system-deps.js [arm64|sanitizers]   one line when everything is there; exit 1 when it cannot fix it
//   CTXFRAME_SKIP_SYSTEM_DEPS=1           skip the check (says so); what needs them then fails

const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const WHY = 'the integration tests (BullMQ, Kysely) start private redis-server and PostgreSQL servers on loopback';
// `--no-upgrade`: a package that is already installed is left as it is.
const APT_INSTALL = ['install', '-y', '--no-install-recommends', '--no-upgrade'];
const aptCommand = (packages, sudo) =>
  `${sudo}apt-get update && ${sudo}env DEBIAN_FRONTEND=noninteractive apt-get ${APT_INSTALL.join(' ')} ${packages.join(' ')}`;
const POLICY_RC = '/usr/sbin/policy-rc.d';

function onPath(name) {
  const dirs = (process.env.PATH || '').split(path.delimiter).concat(['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']);
  for (const dir of dirs) {
    if (!dir) continue;
    const full = path.join(dir, name);
    try {
      fs.accessSync(full, fs.constants.X_OK);
      return full;
    } catch {}
  }
  return null;
}

// The newest /usr/lib/postgresql/<major>/bin that has both initdb and postgres.
function postgresBinDir() {
  const base = '/usr/lib/postgresql';
  let majors;
  try {
    majors = fs.readdirSync(base).filter((d) => /^\d+$/.test(d)).sort((a, b) => Number(b) - Number(a));
  } catch {
    return null;
  }
  for (const major of majors) {
    const bin = path.join(base, major, 'bin');
    if (fs.existsSync(path.join(bin, 'initdb')) && fs.existsSync(path.join(bin, 'postgres'))) return bin;
  }
  return null;
}

function hasUser(name) {
  const result = spawnSync('id', ['-u', name], { stdio: 'ignore' });
  return result.status === 0;
}

// What is missing, and the Debian package that provides each.
function check() {
  const missing = [];
  const packages = new Set();
  const redis = onPath('redis-server');
  if (!redis) { missing.push('redis-server'); packages.add('redis-server'); }
  const pgBin = postgresBinDir();
  if (!pgBin) { missing.push('PostgreSQL server (/usr/lib/postgresql/*/bin/initdb and postgres)'); packages.add('postgresql'); }
  if (!hasUser('postgres')) { missing.push('the postgres OS user'); packages.add(pgBin ? 'postgresql-common' : 'postgresql'); }
  return { missing, packages: [...packages], redis, pgBin };
}

function run(cmd, args, env) {
  console.log(`system-deps: ${cmd} ${args.join(' ')}`);
  const result = spawnSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, ...env } });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${result.status}`);
}

function aptInstall(packages) {
  // Keep the packages' own daemons from starting: the tests start private servers themselves.
  let createdPolicy = false;
  if (!fs.existsSync(POLICY_RC)) {
    fs.writeFileSync(POLICY_RC, '#!/bin/sh\n# temporary, written by ctxframe scripts/system-deps.js\nexit 101\n', { mode: 0o755 });
    createdPolicy = true;
  }
  try {
    const env = { DEBIAN_FRONTEND: 'noninteractive' };
    run('apt-get', ['-o', 'DPkg::Lock::Timeout=300', 'update'], env);
    run('apt-get', ['-o', 'DPkg::Lock::Timeout=300', ...APT_INSTALL, ...packages], env);
  } finally {
    if (createdPolicy) fs.rmSync(POLICY_RC, { force: true });
  }
}

function describe({ redis, pgBin }) {
  return `redis-server (${redis}), PostgreSQL (${pgBin}), user postgres`;
}

// On a terminal, a person decides; CI and other non-interactive runs go ahead (they were told above).
function confirm(question) {
  if (process.env.CI || !process.stdin.isTTY) return true;
  process.stdout.write(`${question} [Y/n] `);
  const buf = Buffer.alloc(256);
  let answer = '';
  try {
    const n = fs.readSync(0, buf, 0, buf.length, null);
    answer = buf.toString('utf8', 0, n).trim();
  } catch {
    return false;
  }
  return answer === '' || /^y(es)?$/i.test(answer);
}

// The aarch64 sysroot Debian's cross packages install (QEMU_LD_PREFIX for qemu user emulation).
const ARM64_SYSROOT = '/usr/aarch64-linux-gnu';
const ARM64_NEEDS = [
  ['aarch64-linux-gnu-gcc', 'gcc-aarch64-linux-gnu', () => onPath('aarch64-linux-gnu-gcc')],
  ['aarch64-linux-gnu-g++', 'g++-aarch64-linux-gnu', () => onPath('aarch64-linux-gnu-g++')],
  [`${ARM64_SYSROOT}/lib/ld-linux-aarch64.so.1`, 'libc6-arm64-cross', () => fs.existsSync(`${ARM64_SYSROOT}/lib/ld-linux-aarch64.so.1`)],
  [`${ARM64_SYSROOT}/lib/libstdc++.so.6`, 'libstdc++6-arm64-cross', () => fs.existsSync(`${ARM64_SYSROOT}/lib/libstdc++.so.6`)],
  ['qemu-aarch64-static', 'qemu-user-static', () => onPath('qemu-aarch64-static')],
];

// gcc's runtime library `name` (libasan.so, libubsan.so) when it is really there (the .so link
// comes with gcc, its target with libasan8/libubsan1).
function gccRuntime(name) {
  const r = spawnSync('gcc', [`-print-file-name=${name}`], { encoding: 'utf8' });
  const file = r.status === 0 ? r.stdout.trim() : '';
  return path.isAbsolute(file) && fs.existsSync(file) ? file : null;
}

const SANITIZER_NEEDS = [
  ['valgrind', 'valgrind', () => onPath('valgrind')],
  ['libasan (gcc -fsanitize=address)', 'libasan8', () => gccRuntime('libasan.so')],
  ['libubsan (gcc -fsanitize=undefined)', 'libubsan1', () => gccRuntime('libubsan.so')],
];

const GROUPS = {
  tests: {
    why: WHY,
    check,
    describe,
    skipped: 'the Redis and PostgreSQL tests will fail without redis-server and PostgreSQL',
    elsewhere: 'your system\'s packages for redis-server and the PostgreSQL server (initdb, postgres) and a postgres user',
  },
  arm64: {
    why: 'the linux-arm64 prebuilds are cross-compiled with aarch64-linux-gnu-g++ against Debian\'s ' +
      `aarch64 sysroot (${ARM64_SYSROOT}) and tested on the arm64 Node binaries under qemu-aarch64-static`,
    check() {
      const lacking = ARM64_NEEDS.filter(([, , present]) => !present());
      return { missing: lacking.map(([what]) => what), packages: [...new Set(lacking.map(([, pkg]) => pkg))] };
    },
    describe: () => `aarch64-linux-gnu-g++ (${onPath('aarch64-linux-gnu-g++')}), sysroot ${ARM64_SYSROOT}, qemu-aarch64-static (${onPath('qemu-aarch64-static')})`,
    skipped: 'the arm64 prebuilds cannot be built or tested without them',
    elsewhere: 'an aarch64-linux-gnu cross gcc/g++ with its glibc sysroot, and qemu-aarch64-static',
  },
  sanitizers: {
    why: 'npm run test:asan builds the addon with gcc -fsanitize=address,undefined (libasan8, libubsan1) ' +
      'and runs the native tests under valgrind memcheck',
    check() {
      const lacking = SANITIZER_NEEDS.filter(([, , present]) => !present());
      return { missing: lacking.map(([what]) => what), packages: [...new Set(lacking.map(([, pkg]) => pkg))] };
    },
    describe: () => `valgrind (${onPath('valgrind')}), ${gccRuntime('libasan.so')}, ${gccRuntime('libubsan.so')}`,
    skipped: 'npm run test:asan cannot run without them',
    elsewhere: 'valgrind and gcc with its AddressSanitizer/UndefinedBehaviorSanitizer runtimes',
  },
};

function main(name = 'tests') {
  const group = GROUPS[name];
  if (!group) {
    console.error(`system-deps: unknown group ${name} (known: ${Object.keys(GROUPS).join(', ')})`);
    return 1;
  }
  if (process.env.CTXFRAME_SKIP_SYSTEM_DEPS) {
    console.log(`system-deps: check skipped (CTXFRAME_SKIP_SYSTEM_DEPS is set); ${group.skipped}`);
    return 0;
  }
  const { check, describe, why: WHY } = group;
  let state = check();
  if (state.missing.length === 0) {
    console.log(`system-deps: ok: ${describe(state)}`);
    return 0;
  }
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const apt = onPath('apt-get');
  console.log(`system-deps: missing ${state.missing.join(', ')}; ${WHY}.`);
  if (!isRoot || !apt) {
    const reason = !apt ? 'there is no apt-get on this machine' : 'this is not running as root';
    console.error(`system-deps: not installing them: ${reason}. Install them, then run the tests again:\n` +
      `  ${apt ? aptCommand(state.packages, 'sudo ') : `(Debian/Ubuntu) ${aptCommand(state.packages, 'sudo ')}`}\n` +
      (apt ? '' : `  or ${group.elsewhere}\n`) +
      '(CTXFRAME_SKIP_SYSTEM_DEPS=1 skips this check; those tests then fail.)');
    return 1;
  }
  console.log(`system-deps: installing ${state.packages.join(' ')} (only what is missing; installed packages are not upgraded; their services are not started):\n  ${aptCommand(state.packages, '')}`);
  if (!confirm('system-deps: go ahead?')) {
    console.error(`system-deps: not installed. Run the command above yourself, or set CTXFRAME_SKIP_SYSTEM_DEPS=1.`);
    return 1;
  }
  try {
    aptInstall(state.packages);
  } catch (err) {
    console.error(`system-deps: install failed: ${err.message}`);
    return 1;
  }
  state = check();
  if (state.missing.length) {
    console.error(`system-deps: still missing after apt-get: ${state.missing.join(', ')}`);
    return 1;
  }
  console.log(`system-deps: installed: ${describe(state)}`);
  return 0;
}

module.exports = { check, postgresBinDir, main, ARM64_SYSROOT };

if (require.main === module) process.exitCode = main(process.argv[2]);
