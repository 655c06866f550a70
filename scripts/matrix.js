'use strict';
// Owns: the runtime matrix (`npm run test:matrix`): fetch Node 22/24/26, build the addon for each
// runtime, then run the whole mocha suite once per mode, sequentially, and print a summary.
//
//   node scripts/matrix.js [--only 24,24-no-acf] [--no-native] [--rebuild] [--mode-timeout <minutes>] [-- <mocha args>]
//
// The modes (name, version, flags, expected backend) are the rows of the runtime table,
// scripts/runtimes.js; a mode without a pinned version runs on the node running this script (the
// system Node 20 in CI). Each mode's flag goes into NODE_OPTIONS (so child processes and workers
// inherit it) and the mode's bin dir is prepended to PATH (so a test spawning `node` gets the same
// runtime).
// CTXFRAME_EXPECT_BACKEND tells the core tests which backend the mode must pick; the matrix checks it
// too, before running the suite. Exit status is non-zero if any mode failed or picked the wrong backend.
// A mode without the native part (a row with native: false, or every chosen mode with --no-native) is
// not built for and preloads scripts/hide-native.js, so nothing finds a build: the frame
// backend must run its JS path there (CTXFRAME_EXPECT_CONTINUATION=js).

const fs = require('node:fs');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');
const { ensureNode } = require('./fetch-node.js');
const { RUNTIMES } = require('./runtimes.js');

const ROOT = path.resolve(__dirname, '..');
const MOCHA = path.join(ROOT, 'node_modules', 'mocha', 'bin', 'mocha.js');
const HIDE_NATIVE = path.join(__dirname, 'hide-native.js');

function usage(message) {
  if (message) console.error(`matrix: ${message}`);
  console.error(`usage: node scripts/matrix.js [--only ${RUNTIMES.map((m) => m.name).join(',')}] [--rebuild] [--mode-timeout <minutes>] [-- <mocha args>]`);
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { only: null, rebuild: false, noNative: false, modeTimeoutMin: 30, mochaArgs: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      opts.mochaArgs.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '--only' || arg.startsWith('--only=')) {
      const value = arg === '--only' ? argv[++i] : arg.slice('--only='.length);
      if (!value) usage('--only needs a list of modes');
      opts.only = value.split(',').map((s) => s.trim()).filter(Boolean);
    } else if (arg === '--rebuild') {
      opts.rebuild = true;
    } else if (arg === '--no-native') {
      opts.noNative = true;
    } else if (arg === '--mode-timeout') {
      opts.modeTimeoutMin = Number(argv[++i]);
      if (!(opts.modeTimeoutMin > 0)) usage('--mode-timeout needs a positive number of minutes');
    } else if (arg === '--help' || arg === '-h') {
      usage();
    } else {
      // Anything else is for mocha (e.g. `npm run test:matrix -- --grep parity`).
      opts.mochaArgs.push(arg);
    }
  }
  return opts;
}

function selectModes(only) {
  if (!only) return RUNTIMES;
  const unknown = only.filter((name) => !RUNTIMES.some((m) => m.name === name));
  if (unknown.length) usage(`unknown mode(s) ${unknown.join(', ')}`);
  return RUNTIMES.filter((m) => only.includes(m.name));
}

function nodeVersion(bin) {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  return spawnSync(bin, ['-v'], { encoding: 'utf8', env }).stdout.trim();
}

// Does this node accept the flag in NODE_OPTIONS? (Then children and workers inherit it.)
function acceptsInNodeOptions(bin, flag) {
  const env = { ...process.env, NODE_OPTIONS: flag };
  return spawnSync(bin, ['-e', '0'], { env, stdio: 'ignore' }).status === 0;
}

function modeEnv(mode, bin) {
  const env = { ...process.env };
  const nodeOptions = env.NODE_OPTIONS ? [env.NODE_OPTIONS] : [];
  const cliFlags = [];
  for (const flag of mode.flags) {
    if (acceptsInNodeOptions(bin, flag)) nodeOptions.push(flag);
    else {
      console.warn(`matrix: ${bin} does not accept ${flag} in NODE_OPTIONS; passing it on the command line only (child processes will not inherit it)`);
      cliFlags.push(flag);
    }
  }
  if (nodeOptions.length) env.NODE_OPTIONS = nodeOptions.join(' ');
  else delete env.NODE_OPTIONS;
  env.PATH = `${path.dirname(bin)}${path.delimiter}${env.PATH || ''}`;
  env.CTXFRAME_EXPECT_BACKEND = mode.backend;
  if (!mode.native) {
    env.NODE_OPTIONS = [env.NODE_OPTIONS, `--require ${JSON.stringify(HIDE_NATIVE)}`].filter(Boolean).join(' ');
  }
  if (mode.backend === 'frame') env.CTXFRAME_EXPECT_CONTINUATION = mode.native ? 'native' : 'js';
  else delete env.CTXFRAME_EXPECT_CONTINUATION;
  // The matrix asserts the backend each runtime picks by itself.
  delete env.CTXFRAME_BACKEND;
  return { env, cliFlags };
}

function probeBackend(bin, cliFlags, env) {
  const result = spawnSync(bin, [...cliFlags, '-p',
    "const c = require('./'); c.continuation ? `${c.backend} (${c.continuation})` : c.backend"], { cwd: ROOT, env, encoding: 'utf8' });
  if (result.status !== 0) {
    const why = (result.stderr || '').trim().split('\n').slice(-3).join(' | ');
    return { backend: 'error', detail: why };
  }
  // Warnings (e.g. CTXFRAME_NATIVE_UNAVAILABLE) go to stderr; show them, they explain a wrong backend.
  return { backend: result.stdout.trim().split('\n').pop(), detail: (result.stderr || '').trim() };
}

function stripAnsi(text) {
  return text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
}

// Runs mocha, streaming its output, and reads the counts from its epilogue.
function runMocha(bin, cliFlags, env, mochaArgs, timeoutMs) {
  return new Promise((resolve) => {
    const args = [...cliFlags, MOCHA, ...(process.stdout.isTTY ? ['--color'] : []), ...mochaArgs];
    const child = spawn(bin, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    current = child;
    let tail = '';
    const keep = (chunk) => {
      tail = (tail + chunk.toString('utf8')).slice(-64 * 1024);
    };
    child.stdout.on('data', (chunk) => { process.stdout.write(chunk); keep(chunk); });
    child.stderr.on('data', (chunk) => { process.stderr.write(chunk); keep(chunk); });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      console.error(`\nmatrix: mode timed out after ${timeoutMs / 60000} min; killing it`);
      killGroup(child, 'SIGKILL');
    }, timeoutMs);
    // mocha exiting is the end of the mode. Processes a test left behind (same process group)
    // would keep the output pipes open: report and kill them rather than wait for them.
    let exited = null;
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      current = null;
      const text = stripAnsi(tail);
      const count = (word) => {
        const matches = [...text.matchAll(new RegExp(`^\\s*(\\d+) ${word}\\b`, 'gm'))];
        return matches.length ? Number(matches[matches.length - 1][1]) : 0;
      };
      const [code, signal] = exited || [null, null];
      resolve({ code, signal, timedOut, leftovers, passing: count('passing'), failing: count('failing'), pending: count('pending') });
    };
    let leftovers = false;
    let settling = false;
    // After mocha exits: give its children a moment to go, then kill whatever of the group remains.
    const settle = () => {
      if (settling) return;
      settling = true;
      setTimeout(() => {
        if (groupAlive(child)) {
          leftovers = true;
          killGroup(child, 'SIGKILL');
        }
        child.stdout.destroy();
        child.stderr.destroy();
        finish();
      }, 500);
    };
    child.on('exit', (code, signal) => {
      exited = [code, signal];
      setTimeout(settle, 2000); // stdio may be held open by a leftover process
    });
    child.on('close', () => { if (exited) settle(); });
  });
}

let current = null;
function groupAlive(child) {
  try {
    process.kill(-child.pid, 0);
    return true;
  } catch {
    return false;
  }
}
function killGroup(child, signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    try { child.kill(signal); } catch {}
  }
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (current) killGroup(current, 'SIGKILL');
    process.exit(130);
  });
}

function runScript(script, args) {
  const result = spawnSync(process.execPath, [path.join(__dirname, script), ...args], { cwd: ROOT, stdio: 'inherit' });
  return result.status === 0;
}

function pad(value, width) {
  const text = String(value);
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

function printSummary(rows) {
  const header = ['mode', 'node', 'backend', 'expected', 'passing', 'failing', 'pending', 'seconds', 'result'];
  const table = [header, ...rows.map((r) => [r.mode, r.version, r.backend, r.expect, r.passing, r.failing, r.pending, r.seconds, (r.ok ? 'ok' : `FAIL (${r.why})`) + (r.note ? `; ${r.note}` : '')])];
  const widths = header.map((_, i) => Math.max(...table.map((row) => String(row[i]).length)));
  console.log('\n== ctxframe runtime matrix ==');
  for (const row of table) console.log(row.map((cell, i) => pad(cell, widths[i])).join('  ').trimEnd());
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const modes = selectModes(opts.only).map((mode) => (opts.noNative && mode.native ?
    { ...mode, name: `${mode.name} (no native)`, native: false } : mode));
  if (!fs.existsSync(MOCHA)) {
    console.error(`matrix: ${MOCHA} is missing; run npm install first`);
    process.exit(1);
  }

  // 1. The system packages the integration tests need.
  if (!runScript('system-deps.js', [])) process.exit(1);

  // 2. The runtimes.
  const bins = new Map(); // major -> bin
  for (const mode of modes) {
    if (bins.has(mode.major)) continue;
    if (mode.version === null && process.versions.node.split('.')[0] !== String(mode.major)) {
      console.warn(`matrix: mode ${mode.name} runs on the node running the matrix, which is ${process.version}, not Node ${mode.major}`);
    }
    bins.set(mode.major, mode.version === null ? process.execPath : ensureNode(mode.major).bin);
  }

  // 3. One build per runtime (22 and 22-acf share one, as do 24 and 24-no-acf).
  const buildFailed = new Set();
  for (const [major, bin] of bins) {
    if (!modes.some((mode) => mode.major === major && mode.native)) continue; // no build wanted
    const args = ['--node', bin, ...(opts.rebuild ? [] : ['--if-missing'])];
    if (!runScript('build.js', args)) {
      console.error(`matrix: build for ${nodeVersion(bin)} failed; its modes will run and must fail on the backend check`);
      buildFailed.add(major);
    }
  }

  // 4. The suite, once per mode.
  const rows = [];
  const timeoutMs = opts.modeTimeoutMin * 60 * 1000;
  for (const mode of modes) {
    const bin = bins.get(mode.major);
    const version = nodeVersion(bin);
    const { env, cliFlags } = modeEnv(mode, bin);
    const probe = probeBackend(bin, cliFlags, env);
    const expected = mode.backend === 'frame' ? `frame (${mode.native ? 'native' : 'js'})` : mode.backend;
    const flagText = mode.flags.length ? ` ${mode.flags.join(' ')}` : '';
    console.log(`\n== mode ${mode.name}: node ${version}${flagText}, backend ${probe.backend} (expected ${expected}) ==`);
    if (probe.detail) console.log(probe.detail);
    const started = Date.now();
    const mochaArgs = opts.mochaArgs.length === 0 && mode.specs ? mode.specs : opts.mochaArgs;
    const result = await runMocha(bin, cliFlags, env, mochaArgs, timeoutMs);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const why = [];
    if (buildFailed.has(mode.major)) why.push('build failed');
    if (probe.backend !== expected) why.push(`backend ${probe.backend}`);
    if (result.timedOut) why.push('timed out');
    else if (result.code !== 0) why.push(result.signal ? `mocha killed by ${result.signal}` : `mocha exit ${result.code}`);
    if (result.passing + result.failing === 0 && !result.timedOut) why.push('no tests ran');
    if (result.leftovers) console.error(`matrix: processes started by the tests of mode ${mode.name} were still running after mocha exited; killed them`);
    rows.push({
      mode: mode.name, version, backend: probe.backend, expect: expected,
      passing: result.passing, failing: result.failing, pending: result.pending, seconds,
      ok: why.length === 0, why: why.join(', '), note: result.leftovers ? 'killed leftover processes' : '',
    });
  }

  printSummary(rows);
  // A wrong backend or a crashed mode counts as one failure even when mocha reported none.
  const passed = rows.reduce((n, r) => n + r.passing, 0);
  const failed = rows.reduce((n, r) => n + (r.failing || (r.ok ? 0 : 1)), 0);
  const badModes = rows.filter((r) => !r.ok).map((r) => r.mode);
  console.log(badModes.length ? `matrix: modes failed: ${badModes.join(', ')}` : `matrix: all ${rows.length} modes passed`);
  console.log(`matrix: ${passed} passed, ${failed} failed`);
  process.exitCode = badModes.length ? 1 : 0;
}

main().catch((err) => {
  console.error(`matrix: ${err && err.stack ? err.stack : err}`);
  process.exit(1);
});
