#!/usr/bin/env node
'use strict';
// Owns: the services benchmark CLI — a realistic service (bench/services/service.js: Fastify 5,
// pg on a private PostgreSQL, an outbound fetch, pino, 4 awaits) with no agent and with each APM
// agent, on the built-in AsyncLocalStorage and under `-r ctxframe/register`, on every runtime.
//
//   node bench/services/run.js        (npm run bench:services)  the full method: runtimes 20, 22,
//                                     22-acf, 24, 24-no-acf, 26; every agent; 5 repetitions;
//                                     writes bench/services/results.json and results.md
//   --only 24,22          some runtimes of the matrix only       --current  this node only
//   --agents none,otel    some agents only (none otel dd newrelic elastic sentry)
//   --reps N              repetitions (default 5)
//   --warmup S            seconds of load before settling (default 5)
//   --settle N            at most N settling windows (default 8; 0: none — short runs only)
//   --window N            requests per settling window (default 2000)
//   --duration S          measured seconds (default 5)
//   --rate R              offer R requests per second (autocannon overallRate) instead of as many
//                         as the server takes: every variant then gets the same req/s, so the
//                         wake-ups a server that is not saturated pays per request are alike
//                         (choose R below the slowest variant's req/s; results say when a variant
//                         fell more than 5 % short of it)
//   --profile             every service under V8's sampling profiler (--cpu-prof, 500 µs), cut
//                         to the measured window; results.md then shows self time per request by
//                         package and function, built-in vs register, per agent, and the
//                         async-context work's share of it (profile.js). The CPU numbers of a
//                         profiled run include the profiler: not the benchmark's
//   --break               also run a deliberately broken variant (the service keeps the request
//                         in a module variable instead of a storage); it must fail, and the run
//                         fails if it was measured instead
//   --no-pin              do not pin (default: the server on CPU 1; this process — the load
//                         generator — PostgreSQL, the downstream and the collector on CPU 0)
//   --server-cpus L, --peer-cpus L   other CPU lists for taskset (e.g. 2,3 and 0,1 on 4 cores):
//                         on 2 cores the peers' core is the bottleneck and the server is not
//                         saturated, so its CPU per request includes a wake-up per request
//   --out DIR             where results.json / results.md go (default bench/services)
//   --render              rewrite results.md (and README's table, for the default DIR) from
//                         DIR/results.json (measures nothing)
//
// Per runtime and repetition every variant runs in its own fresh process, one after another
// (interleaved; the order of built-in and register alternates between repetitions): per agent
// `<agent>:builtin` and `<agent>:register`, and `none:builtin-again`, the same no-agent built-in
// process a second time, whose ratio to the first is the noise row. Each process is loaded by
// autocannon (10 connections) from this process. Exit status 1 if any measurement failed.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');
const { RUNTIMES, prepare, currentRuntime, cleanEnv } = require('../lib/runtimes.js');
const { load, lineReader } = require('../lib/execute.js');
const { parseResult } = require('../lib/child.js');
const { spread } = require('../lib/stats.js');
const { AGENTS, flagsFor } = require('./agents.js');
const { summarizeRuntime, consoleSummary, markdown, readmeCaption } = require('./report.js');
const { fillReadme } = require('../lib/readme.js');
const { readProfile } = require('./profile.js');

const ROOT = path.resolve(__dirname, '..', '..');
const SERVICE = path.join(__dirname, 'service.js');
const DOWNSTREAM = path.join(__dirname, 'downstream.js');
const MODES = ['20', '22', '22-acf', '24', '24-no-acf', '26'];
const MATRIX = RUNTIMES.filter((r) => MODES.includes(r.name)).map((r) => ({ ...r, id: r.name, expected: r.backend }));
const CONNECTIONS = 10;
const TIMEOUT_MS = 300000;
const TOLERANCE = 0.03;
const PROFILE_INTERVAL_US = 500;

const list = (s) => String(s).split(',').map((x) => x.trim()).filter(Boolean);
const log = (msg) => process.stderr.write(`${msg}\n`);
const loadavg = () => os.loadavg().map((x) => x.toFixed(2));
const machine = () => `${os.cpus().length} × ${os.cpus()[0].model.trim()}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}`;

function cpuList(text, arg) {
  if (!/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(text)) throw new RangeError(`${arg} needs a CPU list such as 1 or 2,3 or 2-3`);
  return text;
}

function parseArgs(argv) {
  const opts = {
    only: null, current: false, agents: Object.keys(AGENTS), reps: 5, warmupS: 5, settleWindows: 8,
    windowRequests: 2000, durationS: 5, rate: null, profile: false, broken: false, pin: true, serverCpus: '1', peerCpus: '0', out: __dirname, render: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      if (argv[i + 1] === undefined) throw new Error(`${arg} needs a value`);
      return argv[++i];
    };
    const number = (min) => {
      const n = Number(value());
      if (!(Number.isFinite(n) && n >= min)) throw new RangeError(`${arg} needs a number ≥ ${min}`);
      return n;
    };
    if (arg === '--only') opts.only = list(value());
    else if (arg === '--current') opts.current = true;
    else if (arg === '--agents') opts.agents = list(value());
    else if (arg === '--reps') opts.reps = number(1);
    else if (arg === '--warmup') opts.warmupS = number(0);
    else if (arg === '--settle') opts.settleWindows = number(0);
    else if (arg === '--window') opts.windowRequests = number(1);
    else if (arg === '--duration') opts.durationS = number(0.5);
    else if (arg === '--rate') opts.rate = number(1);
    else if (arg === '--profile') opts.profile = true;
    else if (arg === '--break') opts.broken = true;
    else if (arg === '--no-pin') opts.pin = false;
    else if (arg === '--server-cpus') opts.serverCpus = cpuList(value(), arg);
    else if (arg === '--peer-cpus') opts.peerCpus = cpuList(value(), arg);
    else if (arg === '--out') opts.out = path.resolve(value());
    else if (arg === '--render') opts.render = true;
    else if (arg === '--help' || arg === '-h') opts.help = true;
    else throw new Error(`unknown option ${arg} (try --help)`);
  }
  if (!Number.isInteger(opts.reps)) throw new RangeError('--reps needs an integer');
  for (const a of opts.agents) if (!AGENTS[a]) throw new Error(`unknown agent "${a}" (known: ${Object.keys(AGENTS).join(', ')})`);
  if (opts.only) for (const id of opts.only) if (!MODES.includes(id)) throw new Error(`unknown runtime "${id}" (known: ${MODES.join(', ')})`);
  if (opts.only && opts.current) throw new Error('--only selects runtimes of the matrix; --current runs this node');
  return opts;
}

// This process (autocannon) and everything it starts from now on (PostgreSQL, the downstream)
// on the peer CPUs (default 0); each measured server on the server CPUs (default 1).
function pin(opts) {
  if (!opts.pin || os.cpus().length < 2) return null;
  const res = spawnSync('taskset', ['-a', '-p', '-c', opts.peerCpus, String(process.pid)], { encoding: 'utf8' });
  if (res.status !== 0) {
    log(`taskset unavailable (${res.error ? res.error.message : res.stderr.trim()}): running unpinned`);
    return null;
  }
  return ['taskset', '-c', opts.serverCpus];
}

async function startDownstream() {
  const child = spawn(process.execPath, [DOWNSTREAM], { stdio: ['pipe', 'pipe', 'inherit'], env: cleanEnv() });
  const nextLine = lineReader(child.stdout);
  const m = /^DOWNSTREAM (\d+) COLLECTOR (\d+)$/.exec(await nextLine());
  if (!m) throw new Error('the downstream did not start');
  return {
    downstream: `http://127.0.0.1:${m[1]}`,
    collector: `http://127.0.0.1:${m[2]}`,
    async stats() {
      child.stdin.write('stats\n');
      return JSON.parse(await nextLine());
    },
    stop: () => new Promise((resolve) => { child.on('close', resolve); child.stdin.end(); }),
  };
}

// The load: GET /work with a distinct x-request-id per request; every answer must be
// `ok <that id>` (with pipelining 1 a connection has one request in flight: its context holds it).
function checkedRequests() {
  let n = 0;
  const tally = { checked: 0, wrong: 0, firstWrong: null };
  const requests = [{
    method: 'GET',
    path: '/work',
    setupRequest(req, context) {
      const id = `req-${++n}`;
      context.expected = id;
      req.headers = { 'x-request-id': id };
      return req;
    },
    onResponse(status, body, context) {
      tally.checked++;
      if (status !== 200 || body !== `ok ${context.expected}`) {
        tally.wrong++;
        if (!tally.firstWrong) tally.firstWrong = `${status} ${String(body).slice(0, 300)}`;
      }
    },
  }];
  return { requests, tally };
}

async function loadChecked(url, options, rate) {
  const { requests, tally } = checkedRequests();
  const result = await load(url, { connections: CONNECTIONS, requests, ...(rate ? { overallRate: rate } : {}), ...options });
  if (result.errors || result.non2xx || tally.wrong) {
    throw new Error(`load: ${result.errors} errors, ${result.non2xx} non-2xx, ${tally.wrong} wrong answers of ${tally.checked}${tally.firstWrong ? `; first: ${tally.firstWrong}` : ''}`);
  }
  if (tally.checked < result.requests.total) throw new Error(`load: ${result.requests.total} answers but only ${tally.checked} checked`);
  return { result, tally };
}

// One variant in its own process: start, warm up, settle, (profile,) measure, report.
async function runVariant(runtime, variant, env, opts) {
  const [agent, side] = variant.split(':');
  const profileDir = opts.profile ? fs.mkdtempSync(path.join(os.tmpdir(), 'ctxframe-services-prof-')) : null;
  const profiling = profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir, '--cpu-prof-interval', String(PROFILE_INTERVAL_US)] : [];
  const flags = [...runtime.flags, ...profiling, ...flagsFor(agent, side === 'register' ? 'register' : 'builtin', runtime.major)];
  const config = { variant, agent, pgUrl: env.pgUrl, downstream: env.downstream, broken: side === 'broken' };
  const prefix = runtime.prefix || [];
  const argv = [...prefix, runtime.bin, ...flags, SERVICE, JSON.stringify(config)];
  const child = spawn(argv[0], argv.slice(1), {
    cwd: ROOT, env: { ...cleanEnv(), ...AGENTS[agent].env(env.collector, runtime.major) }, stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; if (stderr.length > 20000) stderr = stderr.slice(-10000); });
  const exited = new Promise((resolve) => child.on('close', resolve));
  const killer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS);
  const nextLine = lineReader(child.stdout);
  let measured = null;
  const command = async (cmd, answer) => {
    child.stdin.write(`${cmd}\n`);
    const line = await nextLine();
    if (!line.startsWith(answer)) throw new Error(`server answered "${line}" to ${cmd}`);
    return line;
  };
  try {
    const first = await nextLine();
    const port = Number(/^PORT (\d+)$/.exec(first)?.[1]);
    if (!port) throw new Error(`unexpected first line: ${first}`);
    const url = `http://127.0.0.1:${port}/`;
    let sent = 0;
    if (opts.warmupS > 0) sent += (await loadChecked(url, { duration: opts.warmupS }, opts.rate)).result.requests.total;
    const windows = [];
    let settled = opts.settleWindows === 0 ? null : false;
    if (opts.settleWindows > 0) await command('mark', 'MARKED');
    while (windows.length < opts.settleWindows) {
      const { result } = await loadChecked(url, { amount: opts.windowRequests }, opts.rate);
      sent += result.requests.total;
      const m = /^SAMPLE (\S+) (\d+)$/.exec(await command('sample', 'SAMPLE'));
      windows.push(Math.round(Number(m[1]) * 10) / 10);
      const k = windows.length;
      if (k >= Math.min(3, opts.settleWindows) && k >= 2 && Math.abs(windows[k - 1] - windows[k - 2]) <= TOLERANCE * windows[k - 2]) {
        settled = true;
        break;
      }
    }
    await command('mark', 'MARKED');
    const { result, tally } = await loadChecked(url, { duration: opts.durationS }, opts.rate);
    child.stdin.write('report\n');
    let line;
    while ((line = await nextLine()) !== undefined) {
      const parsed = parseResult(`${line}\n`);
      if (!parsed) continue;
      if (!(parsed.requests > 0)) throw new Error('no request completed in the measured window (lengthen --duration or --warmup)');
      if (parsed.failures) throw new Error(`the service counted ${parsed.failures} failed request(s); first: ${parsed.firstFailure}`);
      if (parsed.registered !== (side === 'register')) throw new Error(`async_hooks.AsyncLocalStorage is ${parsed.registered ? '' : 'not '}ctxframe's on the ${side} side`);
      measured = {
        ...parsed,
        load: { 'autocannon req/s': result.requests.average, measured: result.requests.total, checked: tally.checked, before: sent, 'settling windows (cpu µs/req)': windows, settled, ...(opts.rate ? { rate: opts.rate, shortOfRate: parsed.metrics['req/s'] < 0.95 * opts.rate } : {}) },
      };
      break;
    }
    if (!measured) throw new Error('no result');
  } catch (err) {
    child.kill('SIGKILL');
    measured = { error: `${err.message}${stderr.trim() ? ` | stderr: ${stderr.trim().split('\n').slice(-3).join(' | ')}` : ''}` };
  } finally {
    clearTimeout(killer);
    child.stdin.end();
    await exited;
  }
  // The profile is written when the service exits.
  if (profileDir) {
    try {
      if (!measured.error) measured.profile = readProfile(profileDir, measured.window, measured.requests);
    } catch (err) {
      measured = { error: `profile: ${err.message}` };
    } finally {
      fs.rmSync(profileDir, { recursive: true, force: true });
    }
  }
  return measured;
}

function variantsFor(opts, rep) {
  const out = [];
  for (const agent of opts.agents) {
    const pair = [`${agent}:builtin`, `${agent}:register`];
    out.push(...(rep % 2 ? pair.reverse() : pair));
    if (agent === 'none') out.push('none:builtin-again');
  }
  if (opts.broken) out.push('none:broken');
  return out;
}

function brief(r) {
  if (r.error) return `ERROR ${r.error.slice(0, 400)}`;
  return `${r.backend}: cpu ${r.metrics['cpu µs/req'].toFixed(1)} µs/req, ${r.metrics['req/s'].toFixed(0)} req/s (settling ${r.load['settling windows (cpu µs/req)'].join(', ')})`;
}

async function benchRuntime(runtime, opts, env) {
  const raw = {};
  const loads = [];
  for (let rep = 0; rep < opts.reps; rep++) {
    for (const variant of variantsFor(opts, rep)) {
      loads.push(os.loadavg()[0]);
      const result = await runVariant(runtime, variant, env, opts);
      (raw[variant] = raw[variant] || []).push(result);
      log(`[${runtime.id}] ${rep + 1}/${opts.reps} ${variant.padEnd(20)} ${brief(result)}`);
    }
  }
  return { raw, loads, summary: summarizeRuntime(runtime, raw, loads) };
}

// results.json and results.md in `out`; README's table too when a complete run is written to the
// default place (bench/services).
function write(out, data) {
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, 'results.json'), `${JSON.stringify(data, null, 1)}\n`);
  fs.writeFileSync(path.join(out, 'results.md'), `${markdown(data)}\n`);
  if (!data.meta.partial) fillReadme('services', out, __dirname, readmeCaption(data));
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.help) {
    const lines = fs.readFileSync(__filename, 'utf8').split('\n');
    const first = lines.findIndex((l) => l.startsWith('//'));
    console.log(lines.slice(first, lines.findIndex((l, i) => i > first && !l.startsWith('//'))).map((l) => l.slice(3)).join('\n'));
    return;
  }
  if (opts.render) {
    const data = JSON.parse(fs.readFileSync(path.join(opts.out, 'results.json'), 'utf8'));
    for (const rt of data.runtimes) rt.summary = summarizeRuntime(rt, rt.raw, rt.loads);
    write(opts.out, data);
    console.log(`Rewrote ${opts.out}/results.json and results.md`);
    return;
  }
  const prefix = pin(opts);
  const started = Date.now();
  const { startPostgres } = require('../../test/support/postgres.js');
  // Interrupted (Ctrl-C, a timeout's SIGTERM): exit, so that PostgreSQL's exit hook takes the
  // server down; the service and the downstream exit when their stdin closes with this process.
  for (const [signal, number] of [['SIGINT', 2], ['SIGTERM', 15]]) {
    process.once(signal, () => {
      log(`stopped by ${signal}`);
      process.exit(128 + number);
    });
  }
  const pg = await startPostgres({ logStatements: false });
  const peers = await startDownstream();
  const env = { pgUrl: pg.connectionString, downstream: peers.downstream, collector: peers.collector };
  const meta = {
    command: `node bench/services/run.js ${process.argv.slice(2).join(' ')}`.trim(),
    date: new Date().toISOString(), machine: machine(), runner: process.version, reps: opts.reps,
    agents: opts.agents, profile: opts.profile, broken: opts.broken, pinned: prefix ? { server: opts.serverCpus, peers: opts.peerCpus } : false, loadStart: loadavg(),
    config: { warmupS: opts.warmupS, settleWindows: opts.settleWindows, windowRequests: opts.windowRequests, durationS: opts.durationS, connections: CONNECTIONS, rate: opts.rate },
  };
  const entries = opts.current ? [null] : MATRIX.filter((m) => !opts.only || opts.only.includes(m.id));
  const runtimes = [];
  const snapshot = (partial) => {
    const loads = runtimes.flatMap((rt) => rt.loads);
    return { meta: { ...meta, durationMs: Date.now() - started, loadEnd: loadavg(), loadDuring: spread(loads), ...(partial ? { partial } : {}) }, runtimes };
  };
  try {
    for (const entry of entries) {
      let runtime;
      try {
        runtime = entry ? prepare(entry, log) : { ...currentRuntime(), id: 'current' };
      } catch (err) {
        log(`[${entry.id}] skipped: ${err.message}`);
        continue;
      }
      runtime.major = Number(runtime.version.split('.')[0]);
      runtime.expected = runtime.expected || runtime.backend;
      if (prefix) runtime.prefix = prefix;
      log(`[${runtime.id}] ${runtime.label} (${runtime.bin})`);
      const { raw, loads, summary } = await benchRuntime(runtime, opts, env);
      runtimes.push({ ...runtime, raw, loads, summary });
      console.log(`\n${runtime.label} — ctxframe backend: ${summary.backend}; load ${summary.load ? `${summary.load.min.toFixed(2)}–${summary.load.max.toFixed(2)}` : '?'}`);
      console.log(consoleSummary(summary));
      for (const e of summary.errors) console.log(`FAILED ${e.variant}${e.rep === null ? '' : ` rep ${e.rep + 1}`}: ${String(e.error).slice(0, 400)}`);
      if (summary.expectedFailures.length) console.log(`the deliberately broken variant failed as it must (${summary.expectedFailures.length}×)`);
      write(opts.out, snapshot(runtimes.length < entries.length ? `${runtimes.length} of ${entries.length} runtimes` : null));
    }
  } finally {
    meta.collector = await peers.stats().catch(() => null);
    await peers.stop();
    await pg.stop();
  }
  const final = snapshot(null);
  write(opts.out, final);
  console.log(`\nDone in ${(final.meta.durationMs / 1000).toFixed(0)} s (load average at start ${meta.loadStart.join(' / ')}, at end ${final.meta.loadEnd.join(' / ')}). Wrote ${path.relative(process.cwd(), opts.out) || '.'}/results.json and results.md`);
  if (runtimes.length < entries.length || runtimes.some((rt) => rt.summary.errors.length)) process.exitCode = 1;
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err && err.stack ? err.stack : err);
    process.exit(1);
  });
}

module.exports = { parseArgs, variantsFor };
