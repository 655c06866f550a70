'use strict';
// Owns: running a child node process for core tests — same binary and flags as the test
// runner, a hard kill after a timeout, at most two children alive at a time, and returning
// { code, signal, stdout, stderr, timedOut }.

const { spawn } = require('node:child_process');
const { childNodeArgs } = require('./core-runtime.js');

const MAX_CHILDREN = 2;
let running = 0;
const waiting = [];
const live = new Set();

// mocha --exit ends this process without waiting: take our children with us.
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

function acquire() {
  if (running < MAX_CHILDREN) { running++; return Promise.resolve(); }
  return new Promise((resolve) => waiting.push(resolve));
}
function release() {
  const next = waiting.shift();
  if (next) next(); else running--;
}

// Under user-mode emulation (npm run test:arm64: an arm64 node run by qemu on an x64 machine without
// binfmt_misc) the kernel cannot exec the foreign node by itself: CTXFRAME_TEST_EMULATOR names the
// emulator that runs it, with QEMU_LD_PREFIX inherited through the environment.
const EMULATOR = process.env.CTXFRAME_TEST_EMULATOR || null;
// Emulated children start ~10x slower: their timeouts stretch by this factor.
const TIME_SCALE = EMULATOR ? 8 : 1;

// runNode(['--expose-gc'], '/path/script.js', ['arg'], { env, timeoutMs, cwd, input })
async function runNode(extraFlags, script, args = [], options = {}) {
  await acquire();
  try {
    return await new Promise((resolve, reject) => {
      const nodeArgs = childNodeArgs(extraFlags, script, args);
      const child = spawn(EMULATOR || process.execPath, EMULATOR ? [process.execPath, ...nodeArgs] : nodeArgs, {
        cwd: options.cwd,
        env: { ...process.env, ...(options.env || {}) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      live.add(child);
      let stdout = '';
      let stderr = '';
      let timedOut = false;
      child.stdout.setEncoding('utf8').on('data', (d) => { stdout += d; });
      child.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; });
      const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); },
        (options.timeoutMs || 20000) * TIME_SCALE);
      child.on('error', (err) => { clearTimeout(timer); live.delete(child); reject(err); });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        live.delete(child);
        resolve({ code, signal, stdout, stderr, timedOut });
      });
    });
  } finally {
    release();
  }
}

// Describe a child's outcome for an assertion message.
function describeChild(label, r) {
  return `${label}: exit code ${r.code} signal ${r.signal}${r.timedOut ? ' (killed after timeout)' : ''}\n` +
    `--- stdout ---\n${r.stdout.slice(-3000)}\n--- stderr ---\n${r.stderr.slice(-3000)}`;
}

module.exports = {
  TIME_SCALE, runNode, describeChild };
