#!/usr/bin/env node
'use strict';
// Owns: the peers benchmark CLI — ctxframe's kit and OpenTelemetry manager beside what users pick
// instead, on the same workloads.
//
//   node bench/peers/run.js           (npm run bench:peers)  the runtime matrix (20, 22, 22-acf, 24,
//                                                            24-no-acf, 26); writes bench/peers/results.*
//   --quick               the current node only, 3 repetitions; prints the table, writes nothing
//   --only 24,24-no-acf   some runtimes of the matrix only
//   --workloads fastify,otel   some workloads only (fastify http express koa otel)
//   --variants kit,cls    these variants only (plus each workload's reference and floor), also
//                         the extra ones plan.js lists (als-20+register, cls on Express, …)
//   --reps N              repetitions (default 5)
//   --warmup S --seconds S  servers: a fixed warm-up of S seconds of load, then an S-second
//                         measured window, instead of settling windows + 1 s (e.g. --warmup 6
//                         --seconds 8: a long steady-state window, one number per run)
//   --no-pin              do not pin servers and the load generator to separate CPUs
//   --out DIR             where results.json / results.md / chart.svg go (default bench/peers)
//   --render              rewrite results.md, chart.svg and the README's table from DIR/results.json
//                         (measures nothing)
//
// Every (runtime, workload, variant) runs in its own process; within a repetition every workload's
// variants run one after another (interleaved), then the next repetition. HTTP servers are loaded
// by autocannon in this process with 10 connections; see bench/peers/plan.js for the workloads.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { WORKLOADS, DEFAULT_REPS, specFor, variantId } = require('./plan.js');
const { loadHeaders } = require('./request.js');
const { RUNTIMES, prepare, currentRuntime: current } = require('../lib/runtimes.js');

// The runtime table's rows, named as this runner reports them (id, expected backend).
const MATRIX = RUNTIMES.map((r) => ({ ...r, id: r.name, expected: r.backend }));
const currentRuntime = () => {
  const r = current();
  return { ...r, id: r.name, expected: r.backend };
};
const { runOne } = require('../lib/execute.js');
const { summarizeRuntime, consoleSummary, markdown, chartSvg, readmeTable } = require('./report.js');
const { spread } = require('../lib/stats.js');
const { fillReadme } = require('../lib/readme.js');

const list = (s) => String(s).split(',').map((x) => x.trim()).filter(Boolean);
const log = (msg) => process.stderr.write(`${msg}\n`);
const loadavg = () => os.loadavg().map((x) => x.toFixed(2));
const machine = () => `${os.cpus().length} × ${os.cpus()[0].model.trim()}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}`;

// A workload's load config for this run: plan.js's, or for servers the fixed --warmup/--seconds.
function configOf(workload, opts) {
  const config = WORKLOADS[workload].config[opts.mode];
  if (opts.warmupS === undefined && opts.durationS === undefined) return config;
  if (!WORKLOADS[workload].server) throw new Error(`--warmup/--seconds apply to server workloads, not ${workload}`);
  for (const [name, v] of [['--warmup', opts.warmupS], ['--seconds', opts.durationS]]) {
    if (!(v > 0)) throw new Error(`${name} needs a number of seconds > 0 (both are needed)`);
  }
  return { warmupS: opts.warmupS, durationS: opts.durationS };
}

function parseArgs(argv) {
  const opts = { mode: 'full', only: null, workloads: Object.keys(WORKLOADS), variants: null, reps: null, pin: true, out: __dirname };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      if (argv[i + 1] === undefined) throw new Error(`${arg} needs a value`);
      return argv[++i];
    };
    if (arg === '--quick') opts.mode = 'quick';
    else if (arg === '--only') opts.only = list(value());
    else if (arg === '--workloads') opts.workloads = list(value());
    else if (arg === '--variants') opts.variants = list(value());
    else if (arg === '--reps') opts.reps = Number(value());
    else if (arg === '--warmup') opts.warmupS = Number(value());
    else if (arg === '--seconds') opts.durationS = Number(value());
    else if (arg === '--no-pin') opts.pin = false;
    else if (arg === '--out') opts.out = path.resolve(value());
    else if (arg === '--render') opts.mode = 'render';
    else if (arg === '--help' || arg === '-h') opts.help = true;
    else throw new Error(`unknown option ${arg} (try --help)`);
  }
  for (const w of opts.workloads) if (!WORKLOADS[w]) throw new Error(`unknown workload "${w}" (known: ${Object.keys(WORKLOADS).join(', ')})`);
  if (opts.only) for (const id of opts.only) if (!MATRIX.some((m) => m.id === id)) throw new Error(`unknown runtime "${id}" (known: ${MATRIX.map((m) => m.id).join(', ')})`);
  if (opts.only && opts.mode === 'quick') throw new Error('--only selects runtimes of the matrix; --quick runs the current node');
  if (opts.reps !== null && !(Number.isInteger(opts.reps) && opts.reps >= 1)) throw new Error('--reps needs a positive integer');
  return opts;
}

function variantsOf(workload, opts) {
  const spec = WORKLOADS[workload];
  if (!opts.variants) return spec.variants;
  return [...spec.variants, ...(spec.extra || [])].filter((v) => (v === 'none' && spec.variants.includes(v)) || v === spec.reference || opts.variants.includes(v));
}

// Pinning: on 2+ CPUs, this process (autocannon) on CPU 0 and every measured process on CPU 1,
// so the load generator never competes with the server it measures.
function pin(opts) {
  if (!opts.pin || os.cpus().length < 2) return null;
  const res = spawnSync('taskset', ['-a', '-p', '-c', '0', String(process.pid)], { encoding: 'utf8' });
  if (res.status !== 0) {
    log(`taskset unavailable (${res.error ? res.error.message : res.stderr.trim()}): running unpinned`);
    return null;
  }
  return ['taskset', '-c', '1'];
}

function brief(result) {
  if (result.error) return `ERROR ${result.error.slice(0, 200)}`;
  const settled = result.load && result.load['settling windows (cpu µs/req)'];
  return Object.entries(result.metrics).map(([k, v]) => `${k}=${+v.toPrecision(4)}`).join(' ') +
    (settled ? ` (settled over ${settled.length} windows: ${settled.join(', ')})` : '');
}

async function benchRuntime(runtime, opts, reps) {
  const raw = {};
  const loads = [];
  for (const w of opts.workloads) raw[w] = Object.fromEntries(variantsOf(w, opts).map((v) => [v, []]));
  for (let rep = 0; rep < reps; rep++) {
    for (const workload of opts.workloads) {
      const spec = WORKLOADS[workload];
      for (const variant of variantsOf(workload, opts)) {
        const run = { ...specFor(workload, variant), load: { requests: loadHeaders() } };
        loads.push(os.loadavg()[0]);
        const result = await runOne(runtime, workload, run, variantId(workload, variant), configOf(workload, opts));
        raw[workload][variant].push(result);
        log(`[${runtime.id}] ${rep + 1}/${reps} ${workload.padEnd(7)} ${variant.padEnd(16)} ${result.backend ? `(${result.backend}) ` : ''}${brief(result)}`);
      }
    }
  }
  return { raw, loads, summary: summarizeRuntime(runtime, raw, loads) };
}

function write(out, data) {
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, 'results.json'), `${JSON.stringify(data, null, 1)}\n`);
  fs.writeFileSync(path.join(out, 'results.md'), `${markdown(data)}\n`);
  fs.writeFileSync(path.join(out, 'chart.svg'), `${chartSvg(data)}\n`);
  if (!data.meta.partial) fillReadme('peers', out, __dirname, readmeTable(data));
}

function render(out) {
  const data = JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8'));
  for (const rt of data.runtimes) rt.summary = summarizeRuntime(rt, rt.raw, rt.loads);
  write(out, data);
  console.log(`Rewrote ${out}/results.json, results.md and chart.svg${data.meta.partial ? '' : ' (and the README table)'}`);
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.help) {
    const lines = fs.readFileSync(__filename, 'utf8').split('\n');
    const first = lines.findIndex((l) => l.startsWith('//'));
    const header = lines.slice(first, lines.findIndex((l, i) => i > first && !l.startsWith('//')));
    console.log(header.map((l) => l.slice(3)).join('\n'));
    return;
  }
  if (opts.mode === 'render') {
    render(opts.out);
    return;
  }
  const prefix = pin(opts);
  const reps = opts.reps || DEFAULT_REPS[opts.mode];
  const started = Date.now();
  const meta = {
    mode: opts.mode, date: new Date().toISOString(), machine: machine(), runner: process.version, reps,
    loadStart: loadavg(), pinned: Boolean(prefix),
    plan: Object.fromEntries(opts.workloads.map((w) => [w, { variants: variantsOf(w, opts), reference: WORKLOADS[w].reference, config: configOf(w, opts) }])),
  };
  const entries = opts.mode === 'quick' ? [null] : MATRIX.filter((m) => !opts.only || opts.only.includes(m.id));
  const runtimes = [];
  const snapshot = (partial) => {
    const loads = runtimes.flatMap((rt) => rt.loads);
    return { meta: { ...meta, durationMs: Date.now() - started, loadEnd: loadavg(), loadDuring: spread(loads), ...(partial ? { partial } : {}) }, runtimes };
  };
  for (const entry of entries) {
    let runtime;
    try {
      runtime = entry ? prepare(entry, log) : currentRuntime();
    } catch (err) {
      log(`[${entry.id}] skipped: ${err.message}`);
      continue;
    }
    if (prefix) runtime.prefix = prefix;
    log(`[${runtime.id}] ${runtime.label} (${runtime.bin})`);
    const { raw, loads, summary } = await benchRuntime(runtime, opts, reps);
    runtimes.push({ ...runtime, raw, loads, summary });
    console.log(`\n${runtime.label} — ctxframe backend: ${summary.backend}; load ${summary.load ? `${summary.load.min.toFixed(2)}–${summary.load.max.toFixed(2)}` : '?'}`);
    console.log(consoleSummary(summary));
    if (summary.errors.length) console.log(`\n${summary.errors.length} measurement(s) failed; first: ${summary.errors[0].workload} ${summary.errors[0].variant}: ${summary.errors[0].error}`);
    // Written after every runtime, so a run stopped early still leaves its results.
    if (opts.mode !== 'quick') write(opts.out, snapshot(runtimes.length < entries.length ? `${runtimes.length} of ${entries.length} runtimes` : null));
  }
  const final = snapshot(null);
  console.log(`\nDone in ${(final.meta.durationMs / 1000).toFixed(0)} s (load average at start ${meta.loadStart.join(' / ')}, at end ${final.meta.loadEnd.join(' / ')}).`);
  if (opts.mode !== 'quick') {
    write(opts.out, final);
    console.log(`Wrote ${path.relative(process.cwd(), opts.out) || '.'}/results.json, results.md, chart.svg`);
  }
  if (runtimes.some((rt) => rt.summary.errors.length)) process.exitCode = 1;
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err && err.stack ? err.stack : err);
    process.exit(1);
  });
}
