'use strict';
// Owns: `npm run stress` — drives the stress service (bench/stress/service.js) with autocannon at
// 1,000+ concurrent connections on loopback, once per backend and runtime, each in its own process,
// and prints requests, mismatches, errors, p50/p99 latency, req/s and service CPU per request
// beside the built-in backend of the same runtime. Exit status 1 on any mismatch or error, or when
// fewer requests completed than asked for.
//
//   node bench/stress/run.js [--requests N] [--connections N] [--runtimes 20,22,22-acf,24,24-no-acf,26]
//                            [--backends frame,carrier,builtin] [--json file]
//
//   --requests N      requests per backend (default 100000; CI: 20000; README figures: 1000000)
//   --connections N   concurrent connections (default 1000), half on /http/*, half on /express/*
//   --runtimes list   runtime modes (default: the node running this script); Node 22/24/26 come
//                     from scripts/fetch-node.js, and the addon is built for each
//   --backends list   which of frame/carrier/builtin to run where the runtime has them (default all)
//
// Every response echoes the request id the client sent (a fresh one per request) and whether every
// check inside the service saw its own request; the client compares both.

const path = require('node:path');
const fs = require('node:fs');
const os = require('node:os');
const { fork, spawnSync } = require('node:child_process');
const { randomUUID } = require('node:crypto');
const autocannon = require('autocannon');

const ROOT = path.resolve(__dirname, '..', '..');
const SERVICE = path.join(__dirname, 'service.js');

const MODES = {
  20: { major: 20, flags: [], frame: false },
  22: { major: 22, flags: [], frame: false },
  '22-acf': { major: 22, flags: ['--experimental-async-context-frame'], frame: true },
  24: { major: 24, flags: [], frame: true },
  '24-no-acf': { major: 24, flags: ['--no-async-context-frame'], frame: false },
  26: { major: 26, flags: [], frame: true },
};

function parseArgs(argv) {
  const opts = { requests: 100000, connections: 1000, runtimes: null, backends: ['frame', 'carrier', 'builtin'], json: null };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    const value = () => (inline !== undefined ? inline : argv[++i]);
    if (flag === '--requests') opts.requests = Number(value());
    else if (flag === '--connections') opts.connections = Number(value());
    else if (flag === '--runtimes') opts.runtimes = value().split(',').filter(Boolean);
    else if (flag === '--backends') opts.backends = value().split(',').filter(Boolean);
    else if (flag === '--json') opts.json = value();
    else throw new Error(`unknown option ${argv[i]} (see the header of bench/stress/run.js)`);
  }
  if (!(opts.requests >= 1) || !(opts.connections >= 2)) throw new Error('--requests and --connections must be positive');
  for (const name of opts.runtimes || []) if (!MODES[name]) throw new Error(`unknown runtime mode ${name}`);
  return opts;
}

// The node binary and flags of a mode; the addon is built for that binary if it is missing.
function runtimeOf(name) {
  if (name === null) {
    const here = Number(process.versions.node.split('.')[0]);
    const flags = process.execArgv.filter((f) => /async-context-frame/.test(f));
    const frame = here >= 24 ? !flags.includes('--no-async-context-frame') : flags.includes('--experimental-async-context-frame');
    return { name: `${here}${flags.length ? ` ${flags.join(' ')}` : ''}`, bin: process.execPath, flags, frame };
  }
  const mode = MODES[name];
  let bin = process.execPath;
  if (Number(process.versions.node.split('.')[0]) !== mode.major) {
    bin = require(path.join(ROOT, 'scripts', 'fetch-node.js')).ensureNode(mode.major).bin;
  }
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const built = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'build.js'), '--node', bin, '--if-missing'], { stdio: 'inherit', env });
  if (built.status !== 0) throw new Error(`building the addon for ${bin} failed`);
  return { name, bin, flags: mode.flags, frame: mode.frame };
}

function startService(runtime, backend) {
  const env = { ...process.env, CTXFRAME_BACKEND: backend };
  delete env.NODE_OPTIONS;
  const child = fork(SERVICE, [], { execPath: runtime.bin, execArgv: runtime.flags, env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiters = new Map();
  child.on('message', (msg) => {
    const waiter = waiters.get(msg.type);
    if (waiter) { waiters.delete(msg.type); waiter(msg); }
  });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const ask = (type) => new Promise((resolve, reject) => {
    waiters.set(type, resolve);
    exited.then(({ code, signal }) => reject(new Error(`service exited (${code ?? signal}) while waiting for ${type}`)));
    if (type !== 'ready') child.send({ type });
  });
  return { child, ask, exited };
}

function drive(port, requests, connections) {
  let echoMismatches = 0;
  let notOk = 0;
  const examples = [];
  const request = (prefix) => ({
    method: 'GET',
    setupRequest(req, context) {
      context.id = randomUUID();
      return { ...req, path: `/${prefix}/${context.id.slice(0, 8)}`, headers: { ...req.headers, 'x-request-id': context.id } };
    },
    onResponse(status, body, context) {
      if (status !== 200) return; // counted by autocannon as non-2xx
      let parsed;
      try { parsed = JSON.parse(body); } catch { parsed = {}; }
      if (parsed.requestId !== context.id) {
        echoMismatches++;
        if (examples.length < 5) examples.push(`sent ${context.id}, got back ${body.slice(0, 120)}`);
      } else if (parsed.ok !== true) {
        notOk++;
      }
    },
  });
  // Every connection alternates between the node:http route and the Express route.
  const instance = autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    amount: requests,
    pipelining: 1,
    timeout: 120, // seconds: on a saturated machine a request can wait behind 1,000 others
    requests: [request('http'), request('express')],
  });
  return new Promise((resolve, reject) => {
    instance.on('done', (result) => resolve({ result, echoMismatches, notOk, examples }));
    instance.on('error', reject);
  });
}

async function runOne(runtime, backend, opts) {
  const service = startService(runtime, backend);
  const ready = await service.ask('ready');
  if (ready.backend !== backend) {
    service.child.kill();
    throw new Error(`asked for backend ${backend} on ${runtime.name}, the service runs ${ready.backend}`);
  }
  // Warm-up (not counted): JIT, sockets, worker start-up.
  await drive(ready.port, Math.min(1000, opts.requests), Math.min(200, opts.connections));
  await service.ask('reset');
  const loadBefore = os.loadavg()[0];
  const { result, echoMismatches, notOk, examples } = await drive(ready.port, opts.requests, opts.connections);
  const { stats, cpuUs } = await service.ask('stats');
  service.child.send({ type: 'stop' });
  await service.exited;
  const completed = result['2xx'];
  // autocannon's `errors` already counts timeouts; they are shown apart too.
  const errors = result.errors + result.non2xx + stats.errors;
  return {
    runtime: runtime.name, node: ready.node, backend,
    requests: completed, sent: result.requests.sent, mismatches: stats.mismatches + echoMismatches,
    serverMismatches: stats.mismatches, echoMismatches, notOk, errors, timeouts: result.timeouts, checks: stats.checks,
    logLines: stats.logLines, upstream: stats.upstream, workerReplies: stats.workerReplies,
    p50: result.latency.p50, p99: result.latency.p99, rps: completed / (result.duration || 1),
    durationS: result.duration, cpuUsPerRequest: cpuUs / Math.max(1, stats.requests),
    served: stats.requests, connections: opts.connections, load: loadBefore,
    examples: [...stats.examples, ...examples], errorExamples: stats.errorExamples,
  };
}

function fmt(n, digits = 0) {
  return Number(n).toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function table(rows) {
  const lines = ['| runtime | backend | requests | mismatches | errors | p50 ms | p99 ms | req/s | CPU µs/request | CPU vs builtin |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|'];
  for (const r of rows) {
    const base = rows.find((b) => b.runtime === r.runtime && b.backend === 'builtin');
    const ratio = base ? `${(r.cpuUsPerRequest / base.cpuUsPerRequest).toFixed(2)}×` : '—';
    lines.push(`| ${r.runtime} (${r.node}) | ${r.backend} | ${fmt(r.requests)} | ${r.mismatches} | ${r.errors} | ${r.p50} | ${r.p99} | ${fmt(r.rps)} | ${fmt(r.cpuUsPerRequest)} | ${ratio} |`);
  }
  return lines.join('\n');
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const runtimes = (opts.runtimes || [null]).map(runtimeOf);
  const rows = [];
  let failed = false;
  console.log(`stress: ${fmt(opts.requests)} requests per backend, ${opts.connections} connections, ` +
    `${os.cpus().length} cores, load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}, ${new Date().toISOString()}`);
  for (const runtime of runtimes) {
    const backends = opts.backends.filter((b) => b !== 'frame' || runtime.frame);
    for (const backend of backends) {
      const started = Date.now();
      const row = await runOne(runtime, backend, opts);
      rows.push(row);
      const bad = row.mismatches > 0 || row.errors > 0 || row.notOk > 0 || row.requests < opts.requests;
      if (bad) failed = true;
      console.log(`stress: ${row.runtime} ${row.backend}: ${fmt(row.requests)} requests (${fmt(row.checks)} checks, ` +
        `${fmt(row.logLines)} log lines, ${fmt(row.upstream)} upstream calls, ${fmt(row.workerReplies)} worker replies), ` +
        `${row.mismatches} mismatches, ${row.errors} errors (${row.timeouts} timeouts), p50 ${row.p50} ms, p99 ${row.p99} ms, ${fmt(row.rps)} req/s, ` +
        `${fmt(row.cpuUsPerRequest)} µs CPU/request, load ${row.load.toFixed(2)}, ${((Date.now() - started) / 1000).toFixed(0)} s` +
        (bad ? '  <-- FAILED' : ''));
      for (const e of row.examples) console.log(`  mismatch: ${e}`);
      for (const e of row.errorExamples) console.log(`  error: ${e}`);
    }
  }
  console.log(`\n${table(rows)}\n`);
  console.log(`load average after: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  if (opts.json) fs.writeFileSync(opts.json, `${JSON.stringify({ date: new Date().toISOString(), opts, rows }, null, 2)}\n`);
  const total = rows.reduce((s, r) => s + r.mismatches, 0);
  console.log(`stress: ${rows.length} runs, ${fmt(rows.reduce((s, r) => s + r.requests, 0))} requests, ${total} mismatches, ` +
    `${rows.reduce((s, r) => s + r.errors, 0)} errors: ${failed ? 'FAILED' : 'ok'}`);
  process.exitCode = failed ? 1 : 0;
}

main().catch((err) => {
  console.error(err && err.stack ? err.stack : err);
  process.exitCode = 1;
});
