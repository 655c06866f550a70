'use strict';
// Owns: running one (runtime, variant, workload) measurement in its own process and returning its
// parsed result. Plain workloads run to completion (spawnSync); server workloads (http, memory)
// start a server child and are loaded with autocannon from this process.
//
// Why autocannon runs here, in the runner, rather than in a third process: on 2 cores the server
// gets one core and the load generator the other; the runner is idle while it waits, so running
// autocannon in it adds no third busy process, and it is the same Node (the one running run.js)
// and the same autocannon for every runtime and variant — the load side stays constant and only the
// server side changes. The server's own CPU time per request (process.cpuUsage in the server)
// is reported beside req/s because it does not depend on how fast the load generator is.

const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');
const { parseResult } = require('./child.js');
const { cleanEnv } = require('./runtimes.js');

const WORKLOAD_DIR = path.join(__dirname, '..', 'workloads');
const TIMEOUT_MS = 180000;
const CONNECTIONS = 10;

function childEnv(variant) {
  const env = cleanEnv();
  if (variant === 'ctxframe-builtin') env.CTXFRAME_BACKEND = 'builtin';
  return env;
}

// spec.script: a workload file outside bench/workloads (the peers benchmark's own).
function argsFor(runtime, workload, spec, config) {
  const script = spec.script || path.join(WORKLOAD_DIR, `${workload}.js`);
  return [...runtime.flags, ...(spec.flags || []), script, JSON.stringify(config)];
}

// runtime.prefix: a command the runtime runs under, e.g. ['taskset', '-c', '1'] to pin it.
function command(runtime, args) {
  const prefix = runtime.prefix || [];
  return prefix.length ? [prefix[0], [...prefix.slice(1), runtime.bin, ...args]] : [runtime.bin, args];
}

function runPlain(runtime, workload, spec, variant, config) {
  const [bin, args] = command(runtime, argsFor(runtime, workload, spec, { ...config, variant }));
  const res = spawnSync(bin, args, {
    encoding: 'utf8', env: childEnv(variant), timeout: TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024,
  });
  const result = res.stdout ? parseResult(res.stdout) : null;
  if (!result) {
    const why = res.error ? res.error.message : `exit ${res.status} ${res.signal || ''}`;
    return { error: `${why}: ${(res.stderr || '').trim().split('\n').slice(-3).join(' | ')}` };
  }
  return result;
}

// Lines from a child's stdout, awaited one at a time.
function lineReader(stream) {
  let buffer = '';
  const lines = [];
  const waiters = [];
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    buffer += chunk;
    let i;
    while ((i = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, i);
      buffer = buffer.slice(i + 1);
      if (waiters.length) waiters.shift().resolve(line); else lines.push(line);
    }
  });
  stream.on('end', () => { while (waiters.length) waiters.shift().reject(new Error('server process ended early')); });
  return () => (lines.length ? Promise.resolve(lines.shift()) : new Promise((resolve, reject) => waiters.push({ resolve, reject })));
}

function load(url, options) {
  const autocannon = require('autocannon');
  // sampleInt: autocannon only stops at a sample tick (default every 1000 ms), so a 0.5 s run
  // would last a whole second; 50 ms ticks keep durations and amounts close to what was asked.
  return autocannon({ url, connections: CONNECTIONS, pipelining: 1, sampleInt: 50, ...options });
}

// config.settle = { windowRequests, minWindows, maxWindows, tolerance }: before the measurement,
// load the server in windows of windowRequests and read its CPU per request for each (`sample`),
// until two successive windows differ by at most `tolerance` (a fraction) and at least minWindows
// ran, or maxWindows ran. A fixed warm-up measures JIT compilation and heap growth, which take
// longer for a variant with more code (a server needs tens of thousands of requests to settle);
// what a service pays at steady state is what the benchmark is for. Returns the windows' CPU µs
// per request, reported beside the result.
async function settle(url, spec, child, nextLine, { windowRequests, minWindows, maxWindows, tolerance }) {
  const windows = [];
  child.stdin.write('mark\n');
  if ((await nextLine()) !== 'MARKED') throw new Error('server did not mark');
  while (windows.length < maxWindows) {
    const result = await load(url, { amount: windowRequests, ...spec.load });
    if (result.errors || result.non2xx) throw new Error(`load errors while settling: ${result.errors} errors, ${result.non2xx} non-2xx`);
    child.stdin.write('sample\n');
    const m = /^SAMPLE (\S+) (\d+)$/.exec(await nextLine());
    if (!m) throw new Error('server did not sample');
    windows.push(Number(m[1]));
    const n = windows.length;
    if (n >= minWindows && Math.abs(windows[n - 1] - windows[n - 2]) <= tolerance * windows[n - 2]) break;
  }
  return windows;
}

async function runServer(runtime, workload, spec, variant, config) {
  const [bin, args] = command(runtime, argsFor(runtime, workload, spec, { ...config, variant }));
  const child = spawn(bin, args, {
    env: childEnv(variant), stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((resolve) => child.on('close', resolve));
  const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS);
  const nextLine = lineReader(child.stdout);
  try {
    const portLine = await nextLine();
    const port = Number(/^PORT (\d+)$/.exec(portLine)?.[1]);
    if (!port) throw new Error(`unexpected first line: ${portLine}`);
    const url = `http://127.0.0.1:${port}/`;
    if (config.warmupS) await load(url, { duration: config.warmupS, ...spec.load });
    if (config.warmupRequests) await load(url, { amount: config.warmupRequests, ...spec.load });
    const settled = config.settle ? await settle(url, spec, child, nextLine, config.settle) : null;
    child.stdin.write('mark\n');
    if ((await nextLine()) !== 'MARKED') throw new Error('server did not mark');
    const loadResult = config.requests ? await load(url, { amount: config.requests, ...spec.load }) : await load(url, { duration: config.durationS, ...spec.load });
    if (loadResult.errors || loadResult.non2xx) throw new Error(`load errors: ${loadResult.errors} errors, ${loadResult.non2xx} non-2xx`);
    child.stdin.write('report\n');
    let line;
    while ((line = await nextLine()) !== undefined) {
      const result = parseResult(`${line}\n`);
      if (result) {
        const loadInfo = { 'autocannon req/s': loadResult.requests.average, sent: loadResult.requests.total };
        if (settled) loadInfo['settling windows (cpu µs/req)'] = settled.map((x) => Math.round(x * 10) / 10);
        return { ...result, load: loadInfo };
      }
    }
    throw new Error('no result');
  } catch (err) {
    child.kill('SIGKILL');
    await exited;
    return { error: `${err.message}: ${stderr.trim().split('\n').slice(-3).join(' | ')}` };
  } finally {
    clearTimeout(timer);
    child.stdin.end();
    await exited;
  }
}

function runOne(runtime, workload, spec, variant, config) {
  return spec.server ? runServer(runtime, workload, spec, variant, config) : Promise.resolve(runPlain(runtime, workload, spec, variant, config));
}

module.exports = { runOne, load, lineReader };
