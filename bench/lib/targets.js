'use strict';
// Owns: the targets of issue 3 and judging a runtime's results against them.
// A ratio is ctxframe-N ÷ reference on the same runtime, paired per repetition (medians, one run).
// The reference is built-in with the same storage count unless `ref` says otherwise.

const { pairedRatio } = require('./stats.js');

const TARGETS = [
  { id: 'run()', workload: 'micro', metric: 'run ns', count: 1, frame: { max: 0.10 }, carrier: { max: 1.2 } },
  { id: 'getStore()', workload: 'micro', metric: 'getStore ns', count: 1, frame: { max: 0.7 }, carrier: { max: 1.15 } },
  { id: 'enterWith()', workload: 'micro', metric: 'enterWith ns', count: 1, frame: { max: 0.2 }, carrier: { max: 1.2 } },
  { id: 'run() after 10 other storages used', workload: 'micro', metric: 'run10 ns', count: 1, frame: { max: 0.05 }, carrier: { max: 1.2 } },
  { id: 'awaits, 1 storage', workload: 'awaits', metric: 'ms', count: 1, frame: { max: 1.03, ref: 'none' }, carrier: { max: 1.05 } },
  { id: 'awaits, 10 storages', workload: 'awaits', metric: 'ms', count: 10, frame: { max: 1.03, ref: 'none' }, carrier: { max: 1.2, ref: 'builtin-1' } },
  { id: 'spans (50 runs per unit)', workload: 'spans', metric: 'µs/unit', count: 1, frame: { max: 0.5 }, carrier: { max: 1.1 } },
  { id: 'http req/s, 1 storage', workload: 'http', metric: 'req/s', count: 1, frame: { min: 1.0 }, carrier: { min: 1.0 } },
  { id: 'http req/s, 10 storages', workload: 'http', metric: 'req/s', count: 10, carrier: { min: 1.3 } },
  { id: 'memory after GC (heap)', workload: 'memory', metric: 'heap MB', count: 1, frame: { max: 1.0 }, carrier: { max: 1.0 } },
];

function describeTarget(rule, count) {
  const ref = rule.ref || `builtin-${count}`;
  const refText = ref === 'none' ? 'no-context' : ref.replace('builtin-', 'built-in ').replace(/ (\d+)$/, (m, n) => ` ${n} st.`);
  return `${rule.max !== undefined ? '≤' : '≥'} ${rule.max !== undefined ? rule.max : rule.min} × ${refText}`;
}

// Judge one runtime: `series(workload, variant, metric)` returns the per-repetition values.
function judge(series, backend) {
  const out = [];
  for (const t of TARGETS) {
    const rule = t[backend];
    if (!rule) continue;
    const ref = rule.ref || `builtin-${t.count}`;
    const ratio = pairedRatio(series(t.workload, `ctxframe-${t.count}`, t.metric), series(t.workload, ref, t.metric));
    let met = null;
    if (ratio) met = rule.max !== undefined ? ratio.median <= rule.max : ratio.median >= rule.min;
    out.push({ id: t.id, workload: t.workload, metric: t.metric, count: t.count, target: describeTarget(rule, t.count), ref, ratio, met });
  }
  return out;
}

module.exports = { TARGETS, judge };
