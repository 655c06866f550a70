'use strict';
// Owns: the contract between bench/run.js and a workload process.
// The runner starts `node [flags] bench/workloads/<name>.js '<json config>'`; the config always has
// `variant` plus the workload's own counts. The workload prints exactly one JSON line starting with
// RESULT_PREFIX on stdout: { ...describe(variant), workload, metrics: { name: number } }.

const { describe } = require('./variant.js');

const RESULT_PREFIX = 'BENCH-RESULT ';

function readConfig() {
  const raw = process.argv[2];
  if (!raw) throw new Error('workload needs a JSON config as its first argument');
  return JSON.parse(raw);
}

function report(workload, variant, metrics, extra = {}) {
  const line = JSON.stringify({ ...describe(variant), workload, metrics, ...extra });
  process.stdout.write(`${RESULT_PREFIX}${line}\n`);
}

function parseResult(stdout) {
  const line = stdout.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
  if (!line) return null;
  return JSON.parse(line.slice(RESULT_PREFIX.length));
}

// Milliseconds since `start` (a process.hrtime.bigint()).
function msSince(start) {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

// CPU milliseconds (user + system) since `start` (a process.cpuUsage()).
function cpuMsSince(start) {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1000;
}

// Any unexpected store is a broken benchmark, not a number to report.
function mismatch(what) {
  throw new Error(`benchmark saw the wrong store in ${what}`);
}

// Runs `loop(config.warmup)` then, measured, `loop(config.iterations)`, both inside the
// variant's context. Returns the measured loop's result with its wall and CPU ms.
async function timedLoop(variant, config, loop) {
  await variant.enter(() => loop(config.warmup));
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  const result = await variant.enter(() => loop(config.iterations));
  return { result, ms: msSince(start), cpuMs: cpuMsSince(cpu) };
}

// ns per op of `body(k)` (k ops, returns true when every op read what it should): warm-up
// doubles as calibration, growing k until one sample takes a quarter of config.sampleMs; then
// config.samples samples of k ops, the fastest one (on a shared machine noise only ever adds time).
function fastestNsPerOp(body, config, what, minOps) {
  const timeOnce = (k) => {
    const start = process.hrtime.bigint();
    const ok = body(k);
    const ns = Number(process.hrtime.bigint() - start);
    if (ok !== true) mismatch(what);
    return ns;
  };
  const sampleNs = config.sampleMs * 1e6;
  let k = minOps;
  const warmUntil = process.hrtime.bigint() + BigInt(Math.round(config.warmupMs * 1e6));
  for (;;) {
    const ns = timeOnce(k);
    if (ns < sampleNs / 4 && k < 1e9) k *= 2;
    else if (process.hrtime.bigint() >= warmUntil) break;
  }
  k = Math.max(minOps, Math.round((k * sampleNs) / Math.max(1, timeOnce(k))));
  const perOp = [];
  for (let s = 0; s < config.samples; s++) perOp.push(timeOnce(k) / k);
  return Math.min(...perOp);
}

module.exports = {
  RESULT_PREFIX, readConfig, report, parseResult, msSince, cpuMsSince, mismatch, timedLoop,
  fastestNsPerOp,
};
