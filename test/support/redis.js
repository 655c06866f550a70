'use strict';
// Test helper: a throwaway redis-server (Debian's binary) on a random loopback port,
// started as a child process of the test and removed again by stop(). Never relies on a
// daemon started by the package.

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const STARTUP_TIMEOUT_MS = 8000;

function freeLoopbackPort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function findRedisServer() {
  const candidates = [process.env.REDIS_SERVER, '/usr/bin/redis-server', '/usr/local/bin/redis-server']
    .filter(Boolean);
  for (const file of candidates) {
    if (fs.existsSync(file)) return file;
  }
  throw new Error('redis-server not found (install Debian\'s redis-server: node scripts/system-deps.js)');
}

// One PING over a raw socket; resolves true on +PONG.
function ping(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ok) => { socket.destroy(); resolve(ok); };
    socket.setTimeout(500, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk;
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function startOnce(binary) {
  const port = await freeLoopbackPort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctxframe-redis-'));
  const child = spawn(binary, [
    '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
    '--dir', dir, '--protected-mode', 'yes', '--daemonize', 'no',
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (c) => { log += c; });
  child.stderr.on('data', (c) => { log += c; });
  let exited = null;
  // If the test process dies without calling stop(), take the server down with it.
  const onProcessExit = () => {
    if (!exited) child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', onProcessExit);
  const exitPromise = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      process.removeListener('exit', onProcessExit);
      resolve();
    });
    child.on('error', (err) => { exited = { error: err }; log += `\n${err.stack}`; resolve(); });
  });

  let stopped = false;
  async function stop() {
    if (stopped) return;
    stopped = true;
    if (!exited) {
      child.kill('SIGTERM');
      const killTimer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exitPromise;
      clearTimeout(killTimer);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }

  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exited) break;
    if (await ping(port)) {
      return { port, url: `redis://127.0.0.1:${port}`, stop, log: () => log };
    }
    await delay(50);
  }
  await stop();
  const err = new Error(`redis-server did not answer PING on 127.0.0.1:${port} ` +
    `(${exited ? `exited ${JSON.stringify(exited)}` : 'timed out'}). Its output:\n${log}`);
  err.portInUse = /Address already in use/i.test(log);
  throw err;
}

// Start a redis-server; retries only when the random port was taken in the meantime.
async function startRedis() {
  const binary = findRedisServer();
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(binary);
    } catch (err) {
      if (!err.portInUse || attempt >= 3) {
        process.stderr.write(`${err.message}\n`);
        throw err;
      }
    }
  }
}

module.exports = { startRedis, freeLoopbackPort };
