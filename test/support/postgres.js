'use strict';
// Test helper: a throwaway PostgreSQL cluster (Debian's binaries) in a tmpdir, on a random
// loopback port, with every statement logged to a file the test can read. Never relies on a
// cluster or daemon started by the package. When the test runs as root, initdb and postgres
// run as the `postgres` OS user (PostgreSQL refuses to run as root).

const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { freeLoopbackPort } = require('./redis.js');

const STARTUP_TIMEOUT_MS = 15000;
const ROLE = 'ctxframe_test';
const DATABASE = 'postgres';

function findBinDir() {
  if (process.env.PG_BIN_DIR) return process.env.PG_BIN_DIR;
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root)
    ? fs.readdirSync(root).filter((v) => fs.existsSync(path.join(root, v, 'bin', 'postgres')))
      .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0) {
    throw new Error('PostgreSQL binaries not found under /usr/lib/postgresql/<ver>/bin ' +
      '(install Debian\'s postgresql: node scripts/system-deps.js)');
  }
  return path.join(root, versions[0], 'bin');
}

// uid/gid to run the server as: ourselves, or the postgres OS user when we are root.
function serverIdentity() {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return {};
  const line = execFileSync('getent', ['passwd', 'postgres'], { encoding: 'utf8' }).trim();
  const [, , uid, gid] = line.split(':');
  if (!uid) throw new Error('running as root but there is no "postgres" OS user to run PostgreSQL as');
  return { uid: Number(uid), gid: Number(gid) };
}

function run(file, args, identity, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { ...identity, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c) => { output += c; });
    child.stderr.on('data', (c) => { output += c; });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0) resolve(output);
      else reject(new Error(`${path.basename(file)} failed (${signal || `exit ${code}`}):\n${output}`));
    });
  });
}

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const INITDB_ARGS = ['-U', ROLE, '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync'];

// initdb costs seconds on a busy machine: run it once per machine into a template cluster
// (created under a staging name, renamed into place when complete) and copy that per start.
async function templateDataDir(binDir, identity, env) {
  const uid = identity.uid !== undefined ? identity.uid : process.getuid();
  const version = path.basename(path.dirname(binDir));
  const dir = path.join(os.tmpdir(), `ctxframe-pg-template-v1-${version}-${uid}`);
  if (fs.existsSync(path.join(dir, 'READY'))) return path.join(dir, 'data');
  const staging = fs.mkdtempSync(path.join(os.tmpdir(), 'ctxframe-pg-staging-'));
  try {
    if (identity.uid !== undefined) fs.chownSync(staging, identity.uid, identity.gid);
    await run(path.join(binDir, 'initdb'), ['-D', path.join(staging, 'data'), ...INITDB_ARGS], identity, env);
    fs.writeFileSync(path.join(staging, 'READY'), '');
    try {
      fs.renameSync(staging, dir);
    } catch (err) {
      if (!fs.existsSync(path.join(dir, 'READY'))) throw err; // else: another run won the race
    }
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
  return path.join(dir, 'data');
}

async function canQuery(connectionString) {
  const { Client } = require('pg');
  const client = new Client({ connectionString, connectionTimeoutMillis: 1000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

// Whether `pid` still runs (an exited child that nobody reaped yet is a zombie: it does not).
function running(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return false;
  }
}

// Start a cluster from the template; if that fails, drop the template and start from a fresh
// initdb once (a template left broken by an interrupted run must not break every later run).
// `logStatements: false` leaves statements out of the server's log (tests read it to see the SQL
// comments that reached the server; a benchmark would pay a log line per query).
async function startPostgres({ logStatements = true } = {}) {
  const binDir = findBinDir();
  const identity = serverIdentity();
  const env = { PATH: process.env.PATH, LC_ALL: 'C', LANG: 'C', TZ: 'UTC' };
  let template = await templateDataDir(binDir, identity, env);
  for (let attempt = 1; ; attempt++) {
    try {
      return await startCluster(binDir, identity, env, template, logStatements);
    } catch (err) {
      if (attempt >= 3) throw err;
      if (err.portInUse) continue; // the random port was taken meanwhile: try another
      if (template === null) throw err;
      process.stderr.write('startPostgres: retrying without the template cluster\n');
      fs.rmSync(path.dirname(template), { recursive: true, force: true });
      template = null;
    }
  }
}

async function startCluster(binDir, identity, env, template, logStatements) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctxframe-pg-'));
  if (identity.uid !== undefined) fs.chownSync(dir, identity.uid, identity.gid);
  const dataDir = path.join(dir, 'data');
  const logFile = path.join(dir, 'postgres.log');
  let child = null;
  let exited = null;
  let exitPromise = Promise.resolve();
  let stopped = false;

  const readLog = () => {
    try { return fs.readFileSync(logFile, 'utf8'); } catch { return ''; }
  };

  async function stop() {
    if (stopped) return;
    stopped = true;
    if (child && !exited) {
      child.kill('SIGINT'); // fast shutdown
      const killTimer = setTimeout(() => child.kill('SIGQUIT'), 5000);
      await exitPromise;
      clearTimeout(killTimer);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }

  try {
    if (template !== null) {
      await run('cp', ['-a', template, dataDir], identity, env);
    } else {
      await run(path.join(binDir, 'initdb'), ['-D', dataDir, ...INITDB_ARGS], identity, env);
    }

    const port = await freeLoopbackPort();
    const logFd = fs.openSync(logFile, 'a');
    child = spawn(path.join(binDir, 'postgres'), [
      '-D', dataDir, '-p', String(port),
      '-c', 'listen_addresses=127.0.0.1',
      '-c', `unix_socket_directories=${dir}`,
      '-c', `log_statement=${logStatements ? 'all' : 'none'}`,
      '-c', 'logging_collector=off',
      '-c', 'log_destination=stderr',
      '-c', 'log_line_prefix=%m [%p] ',
      '-c', 'fsync=off',
      '-c', 'synchronous_commit=off',
      '-c', 'full_page_writes=off',
      '-c', 'max_connections=40',
      '-c', 'shared_buffers=16MB',
    ], { ...identity, env, stdio: ['ignore', logFd, logFd] });
    fs.closeSync(logFd);
    // If the test process dies without calling stop(), take the server down with it.
    // Exit handlers run no event loop: wait for the server here (at most 5 s), so that removing
    // its directory does not race with its last writes.
    const onProcessExit = () => {
      if (!exited) {
        child.kill('SIGQUIT'); // immediate shutdown: we are exiting too
        const pause = new Int32Array(new SharedArrayBuffer(4));
        const until = Date.now() + 5000;
        while (Date.now() < until && running(child.pid)) Atomics.wait(pause, 0, 0, 20);
      }
      fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    };
    process.once('exit', onProcessExit);
    exitPromise = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        exited = { code, signal };
        process.removeListener('exit', onProcessExit);
        resolve();
      });
      child.on('error', (err) => { exited = { error: err.message }; resolve(); });
    });

    const connectionString = `postgres://${ROLE}@127.0.0.1:${port}/${DATABASE}`;
    const deadline = Date.now() + STARTUP_TIMEOUT_MS;
    while (Date.now() < deadline && !exited) {
      if (await canQuery(connectionString)) {
        return { port, connectionString, logFile, dir, stop, readLog };
      }
      await delay(100);
    }
    const log = readLog();
    const err = new Error(`postgres did not accept connections on 127.0.0.1:${port} ` +
      `(${exited ? `exited ${JSON.stringify(exited)}` : 'timed out'}). Its log:\n${log}`);
    err.portInUse = /could not bind|Address already in use/i.test(log);
    throw err;
  } catch (err) {
    process.stderr.write(`startPostgres: ${err.message}\n`);
    await stop();
    throw err;
  }
}

module.exports = { startPostgres, running };
