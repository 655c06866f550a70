#!/usr/bin/env node
'use strict';
// Owns: the benchmark CLI.
//
//   node bench/run.js --quick      (npm run bench)       the current node, 1 and 10 storages, every
//                                                        workload with small counts; prints a table
//   node bench/run.js --full       (npm run bench:full)  the runtime matrix (20, 22, 22-acf, 24,
//                                                        24-no-acf, 26); writes bench/results/
//   --only 24,24-no-acf   full run of some runtimes only
//   --no-native           without ctxframe's native part (scripts/hide-native.js): the frame
//                         backend's JS path. Quick: the current node. Full: the frame runtimes
//                         (22-acf, 24, 26; --only picks among them) as rows <name>-no-native;
//                         with --merge they join an earlier full run's results (README's column
//                         "without the native part": npm run bench:full -- --no-native --merge)
//   --workloads awaits,micro      some workloads only (awaits fanout timers micro spans http memory scaling)
//   --reps N              repetitions (default 5)
//   --counts 1,10         storage counts instead of the plan's
//   --out DIR             where --full writes results.json / results.md / chart.svg
//   --merge               with --full: replace only the measured workloads (and runtimes) in the
//                         existing DIR/results.json, keep the rest
//   --render              rewrite results.md, chart.svg and the table in docs/benchmarks.md from
//                         DIR/results.json (after changing the report code; measures nothing)
//
// Every (runtime, variant, workload) runs in its own process; variants are interleaved within each
// repetition (none, builtin-1, ctxframe-1, …, ctxframe-builtin, then again). See docs/benchmarks.md.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { WORKLOADS, DEFAULT_REPS, variantsFor } = require('./lib/plan.js');
const { RUNTIMES, prepare, currentRuntime } = require('./lib/runtimes.js');
const { runOne } = require('./lib/execute.js');
const { summarizeRuntime } = require('./lib/summarize.js');
const { consoleTable, consoleTargets, markdown, readmeTable } = require('./lib/report.js');
const { chartSvg, MEASURES } = require('./lib/chart.js');
const { createProgress } = require('./lib/progress.js');
const { answer } = require('./lib/answer.js');

const DOCS = path.join(__dirname, '..', 'docs', 'benchmarks.md');
const START = '<!-- bench:results:start -->';
const END = '<!-- bench:results:end -->';

const list = (s) => String(s).split(',').map((x) => x.trim()).filter(Boolean);

function parseArgs(argv) {
  const opts = { mode: 'quick', only: null, workloads: Object.keys(WORKLOADS), reps: null, counts: null, out: path.join(__dirname, 'results') };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      if (argv[i + 1] === undefined) throw new Error(`${arg} needs a value`);
      return argv[++i];
    };
    if (arg === '--quick') opts.mode = 'quick';
    else if (arg === '--full') opts.mode = 'full';
    else if (arg === '--only') opts.only = list(value());
    else if (arg === '--workloads') opts.workloads = list(value());
    else if (arg === '--reps') opts.reps = Number(value());
    else if (arg === '--counts') opts.counts = list(value()).map(Number);
    else if (arg === '--out') opts.out = path.resolve(value());
    else if (arg === '--render') opts.mode = 'render';
    else if (arg === '--merge') opts.merge = true;
    else if (arg === '--no-native') opts.noNative = true;
    else if (arg === '--help' || arg === '-h') opts.help = true;
    else throw new Error(`unknown option ${arg} (try --help)`);
  }
  for (const w of opts.workloads) if (!WORKLOADS[w]) throw new Error(`unknown workload "${w}" (known: ${Object.keys(WORKLOADS).join(', ')})`);
  const known = RUNTIMES.filter((r) => !opts.noNative || withoutNativeRow(r)).map((r) => r.name);
  if (opts.only) for (const name of opts.only) if (!known.includes(name)) throw new Error(`unknown runtime "${name}"${opts.noNative ? ' with --no-native' : ''} (known: ${known.join(', ')})`);
  if (opts.reps !== null && !(Number.isInteger(opts.reps) && opts.reps >= 1)) throw new Error('--reps needs a positive integer');
  if (opts.counts && !opts.counts.every((n) => Number.isInteger(n) && n >= 1)) throw new Error('--counts needs positive integers');
  if (opts.only && opts.mode !== 'full') throw new Error('--only selects runtimes of the full matrix: use it with --full');
  if (opts.merge && opts.mode !== 'full') throw new Error('--merge works with --full');
  return opts;
}

// --full --no-native: a frame runtime of the table as a row without the native part, named like the
// table's own such row (24-no-native); null for runtimes where that changes nothing (carrier) and
// for the rows that already run without it.
function withoutNativeRow(runtime) {
  if (runtime.backend !== 'frame' || runtime.native === false) return null;
  return { ...runtime, name: `${runtime.name}-no-native`, base: runtime.name, native: false };
}

const log = (msg) => process.stderr.write(`${msg}\n`);
const loadavg = () => os.loadavg().map((x) => x.toFixed(2));
const machine = () => `${os.cpus().length} × ${os.cpus()[0].model.trim()}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}`;

// Measurements one runtime takes: repetitions × variants, per workload.
function stepsPerRuntime(opts) {
  const reps = opts.reps || DEFAULT_REPS[opts.mode];
  return opts.workloads.reduce((n, w) => n + reps * variantsFor(opts.counts || WORKLOADS[w].counts[opts.mode], WORKLOADS[w]).length, 0);
}

async function benchRuntime(runtime, opts, progress) {
  const reps = opts.reps || DEFAULT_REPS[opts.mode];
  const raw = {};
  const counts = {};
  for (const workload of opts.workloads) {
    const spec = WORKLOADS[workload];
    counts[workload] = opts.counts || spec.counts[opts.mode];
    const variants = variantsFor(counts[workload], spec);
    const config = spec.config[opts.mode];
    raw[workload] = Object.fromEntries(variants.map((v) => [v, []]));
    const workloadStart = Date.now();
    for (let rep = 0; rep < reps; rep++) {
      for (const variant of variants) {
        const result = await runOne(runtime, workload, spec, variant, config);
        raw[workload][variant].push(result);
        progress.step(`[${runtime.name}] ${workload} ${rep + 1}/${reps} ${variant}`, result.error && result.error.slice(0, 300));
      }
    }
    progress.milestone(`[${runtime.name}] ${workload} done in ${((Date.now() - workloadStart) / 1000).toFixed(1)} s`);
  }
  return { raw, counts, summary: summarizeRuntime(runtime, raw, counts) };
}

function printRuntime(runtime, summary) {
  console.log('');
  console.log(`${runtime.label} — ctxframe backend: ${summary.backend}${summary.targetNote ? ` (${summary.targetNote})` : ''}`);
  console.log(consoleTable(summary));
  console.log('');
  console.log(`Targets (${summary.targetSet} backend):`);
  console.log(consoleTargets(summary));
  if (summary.errors.length) console.log(`\n${summary.errors.length} measurement(s) failed; first: ${summary.errors[0].workload} ${summary.errors[0].variant}: ${summary.errors[0].error}`);
}

// --merge: the new measurements of some workloads replace those in an earlier full run.
function mergeInto(out, meta, runtimes) {
  const file = path.join(out, 'results.json');
  if (!fs.existsSync(file)) throw new Error(`--merge: ${file} does not exist`);
  const old = JSON.parse(fs.readFileSync(file, 'utf8'));
  const merged = old.runtimes.map((rt) => {
    const fresh = runtimes.find((r) => r.name === rt.name);
    if (!fresh) return rt;
    const raw = { ...rt.raw, ...fresh.raw };
    const counts = { ...rt.counts, ...fresh.counts };
    return { ...rt, raw, counts, summary: summarizeRuntime(rt, raw, counts) };
  });
  for (const fresh of runtimes) if (!merged.some((r) => r.name === fresh.name)) merged.push(fresh);
  const note = `${Object.keys(meta.plan).join(', ')} re-measured ${meta.date} (${(meta.durationMs / 60000).toFixed(1)} min, load ${meta.loadStart.join('/')})`;
  const mergedMeta = { ...old.meta, merged: [...(old.meta.merged || []), note], plan: { ...(old.meta.plan || {}), ...meta.plan } };
  return { meta: mergedMeta, runtimes: merged };
}

// After every runtime (final = false) and once at the end (final = true). A merge happens once,
// at the end.
function writeFull(out, meta, runtimes, started, planned, merge, final) {
  const snapshot = { ...meta, durationMs: Date.now() - started, loadEnd: loadavg() };
  if (runtimes.length < planned) snapshot.partial = `${runtimes.length} of ${planned} runtimes so far`;
  if (merge) {
    if (final) writeData(out, mergeInto(out, snapshot, runtimes));
    return;
  }
  writeData(out, { meta: snapshot, runtimes });
}

function writeData(out, data) {
  const snapshot = data.meta;
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, 'results.json'), `${JSON.stringify(data, null, 1)}\n`);
  fs.writeFileSync(path.join(out, 'results.md'), `${markdown(data)}\n`);
  fs.writeFileSync(path.join(out, 'chart.svg'), `${chartSvg(data)}\n`);
  if (!snapshot.partial) fillDocs(out, data);
}

// The README section's results table, from a complete run written to the default place.
function fillDocs(out, data) {
  if (path.resolve(out) !== path.join(__dirname, 'results') || !fs.existsSync(DOCS)) return false;
  const text = fs.readFileSync(DOCS, 'utf8');
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  if (a < 0 || b < a) return false;
  fs.writeFileSync(DOCS, `${text.slice(0, a + START.length)}\n${readmeTable(data, MEASURES)}\n${text.slice(b)}`);
  return true;
}

function render(out) {
  const data = JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8'));
  // Summaries and verdicts are recomputed from the raw measurements with the current code.
  for (const rt of data.runtimes) rt.summary = summarizeRuntime(rt, rt.raw, rt.counts);
  fs.writeFileSync(path.join(out, 'results.json'), `${JSON.stringify(data, null, 1)}\n`);
  fs.writeFileSync(path.join(out, 'results.md'), `${markdown(data)}\n`);
  fs.writeFileSync(path.join(out, 'chart.svg'), `${chartSvg(data)}\n`);
  const filled = !data.meta.partial && fillDocs(out, data);
  console.log(`Rewrote ${out}/results.md and chart.svg${filled ? ' and the table in docs/benchmarks.md' : ''}`);
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.help) {
    console.log(fs.readFileSync(__filename, 'utf8').split('\n').filter((l) => l.startsWith('//')).slice(1, 18).map((l) => l.slice(3)).join('\n'));
    return;
  }
  if (opts.mode === 'render') {
    render(opts.out);
    return;
  }
  const started = Date.now();
  const meta = {
    mode: opts.mode,
    date: new Date().toISOString(),
    machine: machine(),
    runner: process.version,
    reps: opts.reps || DEFAULT_REPS[opts.mode],
    loadStart: loadavg(),
    plan: Object.fromEntries(opts.workloads.map((w) => [w, {
      counts: opts.counts || WORKLOADS[w].counts[opts.mode],
      config: WORKLOADS[w].config[opts.mode],
      ...(WORKLOADS[w].load ? { load: WORKLOADS[w].load } : {}),
    }])),
  };
  const runtimes = [];
  const rows = opts.noNative ? RUNTIMES.map(withoutNativeRow).filter(Boolean) : RUNTIMES;
  const entries = opts.mode === 'quick' ? [] : rows.filter((r) => !opts.only || opts.only.includes(r.base || r.name));
  const progress = createProgress(stepsPerRuntime(opts) * Math.max(1, entries.length));
  if (opts.mode === 'quick') {
    const runtime = currentRuntime(!opts.noNative);
    console.log(`ctxframe quick benchmark — ${runtime.label}, ${meta.date}, ${meta.machine}`);
    console.log(`(${meta.reps} repetitions, variants interleaved, each in its own process; ratios are medians of per-repetition ratios)`);
    const { raw, counts, summary } = await benchRuntime(runtime, opts, progress);
    runtimes.push({ ...runtime, counts, raw, summary });
    progress.finish();
    printRuntime(runtime, summary);
  } else {
    for (const entry of entries) {
      let runtime;
      try {
        runtime = prepare(entry, log);
      } catch (err) {
        log(`[${entry.name}] skipped: ${err.message}`);
        continue;
      }
      log(`[${runtime.name}] ${runtime.label} (${runtime.bin})`);
      const { raw, counts, summary } = await benchRuntime(runtime, opts, progress);
      runtimes.push({ ...runtime, counts, raw, summary });
      progress.finish();
      printRuntime(runtime, summary);
      // Written after every runtime, so a run that is stopped early still leaves its results.
      writeFull(opts.out, meta, runtimes, started, entries.length, opts.merge, false);
    }
  }
  meta.durationMs = Date.now() - started;
  meta.loadEnd = loadavg();
  meta.loadMax = progress.maxLoad().toFixed(2);
  console.log(`\nDone in ${(meta.durationMs / 1000).toFixed(0)} s (load average at start ${meta.loadStart.join(' / ')}, at end ${meta.loadEnd.join(' / ')}, highest 1-minute ${meta.loadMax}).`);
  // The answer to "is it cheaper on my node?", last, where it is seen.
  const load = { max: Number(meta.loadMax), cores: os.cpus().length };
  console.log('');
  for (const rt of runtimes) {
    const a = answer(rt, rt.summary, load);
    console.log(a.line);
    if (opts.mode === 'quick' || rt === runtimes[runtimes.length - 1]) console.log(a.verdict);
  }
  if (opts.mode === 'full') {
    writeFull(opts.out, meta, runtimes, started, runtimes.length, opts.merge, true);
    console.log(`Wrote ${path.relative(process.cwd(), opts.out) || '.'}/results.json, results.md, chart.svg`);
  } else {
    const data = { meta, runtimes };
    const tmp = path.join(opts.out, 'tmp');
    fs.mkdirSync(tmp, { recursive: true });
    fs.writeFileSync(path.join(tmp, 'quick.json'), `${JSON.stringify(data, null, 1)}\n`);
  }
}

main().catch((err) => {
  console.error(err && err.stack ? err.stack : err);
  process.exit(1);
});
