'use strict';
// Owns: the cost targets ctxframe holds itself to, per backend (frame, carrier), and judging a
// runtime's results against them (docs/benchmarks.md explains them).
// A ratio is ctxframe-N ÷ reference on the same runtime, paired per repetition (medians, one run).
// The reference is built-in with the same storage count unless `ref` says otherwise.
// Time targets are judged on CPU time of the workload process (process.cpuUsage): on a shared
// machine wall time also counts the time spent waiting for a core; wall time is in the tables too.
// `frame-js`: the frame backend without its native part (continuation 'js'); judged on what it
// promises (run(), getStore(), awaits as free as without a context); its enterWith() and the runs
// that depend on it have no target.

const { pairedRatio } = require('./stats.js');

const TARGETS = [
  { id: 'run()', workload: 'micro', metric: 'run ns', count: 1, frame: { max: 0.10 }, 'frame-js': { max: 0.25 }, carrier: { max: 1.2 } },
  { id: 'getStore()', workload: 'micro', metric: 'getStore ns', count: 1, frame: { max: 0.7 }, 'frame-js': { max: 1.3 }, carrier: { max: 1.15 } },
  { id: 'enterWith()', workload: 'micro', metric: 'enterWith ns', count: 1, frame: { max: 0.2 }, carrier: { max: 1.2 } },
  { id: 'run() after 10 other storages used', workload: 'micro', metric: 'run10 ns', count: 1, frame: { max: 0.05 }, carrier: { max: 1.2 } },
  { id: 'awaits, 1 storage', workload: 'awaits', metric: 'cpu ms', count: 1, frame: { max: 1.03, ref: 'none' }, 'frame-js': { max: 1.05, ref: 'none' }, carrier: { max: 1.05 } },
  { id: 'awaits, 10 storages', workload: 'awaits', metric: 'cpu ms', count: 10, frame: { max: 1.03, ref: 'none' }, 'frame-js': { max: 1.05, ref: 'none' }, carrier: { max: 1.2, ref: 'builtin-1' } },
  { id: 'spans (50 runs per unit)', workload: 'spans', metric: 'cpu µs/unit', count: 1, frame: { max: 0.5 }, carrier: { max: 1.1 } },
  { id: 'http req/s, 1 storage', workload: 'http', metric: 'req/s', count: 1, frame: { min: 1.0 }, 'frame-js': { min: 1.0 }, carrier: { min: 1.0 } },
  { id: 'http req/s, 10 storages', workload: 'http', metric: 'req/s', count: 10, carrier: { min: 1.3 } },
  // Retained = heap growth over the measured requests, after a forced GC. It is a few hundred KB
  // for every variant (V8's own caches and feedback), so a difference of less than one byte per
  // request between ctxframe and the built-in is noise, not retention: `slackBytesPerRequest`.
  { id: 'memory retained after GC', workload: 'memory', metric: 'retained KB', count: 1, frame: { max: 1.0, slackBytesPerRequest: 1 }, 'frame-js': { max: 1.0, slackBytesPerRequest: 1 }, carrier: { max: 1.0, slackBytesPerRequest: 1 } },
];

function describeTarget(rule, count) {
  const ref = rule.ref || `builtin-${count}`;
  const refText = ref === 'none' ? 'no-context' : ref.replace('builtin-', 'built-in ').replace(/ (\d+)$/, (m, n) => ` ${n} st.`);
  const slack = rule.slackBytesPerRequest ? ` (or < ${rule.slackBytesPerRequest} B/request more)` : '';
  return `${rule.max !== undefined ? '≤' : '≥'} ${rule.max !== undefined ? rule.max : rule.min} × ${refText}${slack}`;
}

const median = (values) => {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  return v.length ? v[Math.floor((v.length - 1) / 2)] : NaN;
};

// Judge one runtime: `series(workload, variant, metric)` returns the per-repetition values, and
// `requestsOf(workload, variant)` the requests each repetition measured.
function judge(series, backend, requestsOf) {
  const out = [];
  for (const t of TARGETS) {
    const rule = t[backend];
    if (!rule) continue;
    const ref = rule.ref || `builtin-${t.count}`;
    const ratio = pairedRatio(series(t.workload, `ctxframe-${t.count}`, t.metric), series(t.workload, ref, t.metric));
    let met = null;
    if (ratio) met = rule.max !== undefined ? ratio.median <= rule.max : ratio.median >= rule.min;
    let note = '';
    if (ratio && !met && rule.slackBytesPerRequest) {
      const extraKB = median(series(t.workload, `ctxframe-${t.count}`, t.metric)) - median(series(t.workload, ref, t.metric));
      const requests = median(requestsOf(t.workload, ref));
      const perRequest = (extraKB * 1024) / requests;
      if (perRequest <= rule.slackBytesPerRequest) {
        met = true;
        const sign = extraKB >= 0 ? '+' : '−';
        note = `median retained ${sign}${Math.abs(extraKB).toFixed(1)} KB vs built-in over ${requests} requests = ${sign}${Math.abs(perRequest).toFixed(2)} B/request: within noise`;
      }
    }
    const bound = rule.max !== undefined ? rule.max : rule.min;
    // A miss whose per-repetition range still includes the target is not a clear miss.
    if (ratio && met === false && ratio.min <= bound && bound <= ratio.max) note = `range ${ratio.min.toFixed(2)}–${ratio.max.toFixed(2)} includes ${bound}: within this run's noise`;
    out.push({ id: t.id, workload: t.workload, metric: t.metric, count: t.count, target: describeTarget(rule, t.count), ref, ratio, met, note });
  }
  return out;
}

module.exports = { TARGETS, judge };
