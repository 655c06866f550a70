'use strict';
// Owns: the benchmark's closing answer — "on Node vX here, ctxframe costs A× the built-in for run(),
// B× for getStore(), C× per await, D× for a request with N libraries" — and whether the machine was
// quiet enough to trust it, judged from the load average seen during the run and from how far the
// repetitions of those ratios spread.

// The ratios of the answer: [label, workload, metric, storage count (null: the largest measured)].
const HEADLINE = [
  ['run()', 'micro', 'run ns', 1],
  ['getStore()', 'micro', 'getStore ns', 1],
  ['per await', 'awaits', 'cpu ms', 1],
  ['per await with 10 storages', 'awaits', 'cpu ms', 10],
  ['CPU per HTTP request', 'http', 'cpu µs/req', null],
];

// Repetitions whose ratios spread wider than this (max − min, relative to the median) are noise.
const MAX_SPREAD = 0.3;

function rowFor(summary, workload, metric, count) {
  const rows = (summary.workloads[workload] || []).filter((r) => r.metric === metric && r.ratio);
  if (!rows.length) return null;
  if (count === null) return rows.reduce((a, b) => (b.count > a.count ? b : a));
  return rows.find((r) => r.count === count) || null;
}

const times = (r) => `${r.median.toFixed(2)}×`;

// { line, trust, verdict } for one runtime's summary. load: { max, cores } (1-minute load average).
function answer(runtime, summary, load) {
  const found = HEADLINE.map(([label, workload, metric, count]) => ({ label, row: rowFor(summary, workload, metric, count) }))
    .filter((h) => h.row);
  const part = (label) => found.find((h) => h.label === label);
  const pieces = [];
  if (part('run()')) pieces.push(`${times(part('run()').row.ratio)} the built-in for run()`);
  if (part('getStore()')) pieces.push(`${times(part('getStore()').row.ratio)} for getStore()`);
  if (part('per await')) {
    const ten = part('per await with 10 storages');
    pieces.push(`${times(part('per await').row.ratio)} per await${ten ? ` (${times(ten.row.ratio)} with 10 storages)` : ''}`);
  }
  const http = part('CPU per HTTP request');
  if (http) {
    const n = http.row.count;
    pieces.push(`${times(http.row.ratio)} for a request with ${n} ${n === 1 ? 'library' : 'libraries'} keeping context (CPU)`);
  }
  const version = (runtime.label || `Node ${process.version}`).replace(/^Node (\d)/, 'Node v$1');
  const line = pieces.length
    ? `On ${version} here (${summary.backend} backend), ctxframe costs ${pieces.join(', ')}. Below 1× is cheaper than the built-in.`
    : `On ${version} here, no ratio could be computed (every measurement of the headline workloads failed).`;

  const reasons = [];
  if (load.max > load.cores) reasons.push(`the load average reached ${load.max.toFixed(1)} on ${load.cores} cores`);
  const noisy = found.filter((h) => (h.row.ratio.max - h.row.ratio.min) / h.row.ratio.median > MAX_SPREAD);
  if (noisy.length) {
    reasons.push(`repetitions spread widely: ${noisy.map((h) => `${h.label} ${h.row.ratio.min.toFixed(2)}–${h.row.ratio.max.toFixed(2)}×`).join(', ')}`);
  }
  if (summary.errors.length) reasons.push(`${summary.errors.length} measurement(s) failed`);
  const trust = reasons.length === 0 && pieces.length > 0;
  const verdict = trust
    ? `The machine was quiet enough to trust these: load average at most ${load.max.toFixed(1)} on ${load.cores} cores, every headline ratio within ${MAX_SPREAD * 100}% across ${found[0].row.ratio.n} repetitions.`
    : `Do not trust these numbers much: ${reasons.join('; ')}. Run again on a quiet machine (nothing else running; load average below ${load.cores}).`;
  return { line, trust, verdict };
}

module.exports = { answer, HEADLINE, MAX_SPREAD };
