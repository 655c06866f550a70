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

module.exports = {
  RESULT_PREFIX, readConfig, report, parseResult, msSince, cpuMsSince, mismatch, timedLoop,
};
