'use strict';
// Owns: making sure the system packages the integration tests need are present (run by `pretest`):
// redis-server, the PostgreSQL server binaries (initdb, postgres) and the `postgres` OS user.
// Installs them with apt-get when missing and we are root; never starts a server (tests start their own).
//
//   node scripts/system-deps.js        one line when everything is there; exit 1 when it cannot fix it
//   CTXFRAME_SKIP_SYSTEM_DEPS=1        skip the check entirely

const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const APT_PACKAGES = ['redis-server', 'postgresql'];
const APT_COMMAND = `apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${APT_PACKAGES.join(' ')}`;
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

function check() {
  const missing = [];
  const redis = onPath('redis-server');
  if (!redis) missing.push('redis-server');
  const pgBin = postgresBinDir();
  if (!pgBin) missing.push('PostgreSQL server (/usr/lib/postgresql/*/bin/initdb and postgres)');
  if (!hasUser('postgres')) missing.push('the postgres OS user');
  return { missing, redis, pgBin };
}

function run(cmd, args, env) {
  console.log(`system-deps: ${cmd} ${args.join(' ')}`);
  const result = spawnSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, ...env } });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${result.status}`);
}

function aptInstall() {
  // Keep the packages' own daemons from starting: the tests start private servers themselves.
  let createdPolicy = false;
  if (!fs.existsSync(POLICY_RC)) {
    fs.writeFileSync(POLICY_RC, '#!/bin/sh\n# temporary, written by ctxframe scripts/system-deps.js\nexit 101\n', { mode: 0o755 });
    createdPolicy = true;
  }
  try {
    const env = { DEBIAN_FRONTEND: 'noninteractive' };
    run('apt-get', ['-o', 'DPkg::Lock::Timeout=300', 'update'], env);
    run('apt-get', ['-o', 'DPkg::Lock::Timeout=300', 'install', '-y', '--no-install-recommends', ...APT_PACKAGES], env);
  } finally {
    if (createdPolicy) fs.rmSync(POLICY_RC, { force: true });
  }
}

function describe({ redis, pgBin }) {
  return `redis-server (${redis}), PostgreSQL (${pgBin}), user postgres`;
}

function main() {
  if (process.env.CTXFRAME_SKIP_SYSTEM_DEPS) {
    console.log('system-deps: skipped (CTXFRAME_SKIP_SYSTEM_DEPS is set)');
    return 0;
  }
  let state = check();
  if (state.missing.length === 0) {
    console.log(`system-deps: ok: ${describe(state)}`);
    return 0;
  }
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !onPath('apt-get')) {
    console.error(`system-deps: missing ${state.missing.join(', ')}. The tests need them; install as root with:\n  ${APT_COMMAND}\n(or set CTXFRAME_SKIP_SYSTEM_DEPS=1 to skip this check).`);
    return 1;
  }
  console.log(`system-deps: missing ${state.missing.join(', ')}; installing with apt-get`);
  try {
    aptInstall();
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

module.exports = { check, postgresBinDir };

if (require.main === module) process.exitCode = main();
