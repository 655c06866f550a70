'use strict';
// Owns: turning raw per-repetition results of one runtime into table rows and target verdicts.
// raw[workload][variant] = [result of repetition 0, 1, ...] (a result is { metrics } or { error }).

const { spread, pairedRatio } = require('./stats.js');
const { judge } = require('./targets.js');

// Lower is better for every metric except these.
const HIGHER_IS_BETTER = new Set(['req/s', 'units/s']);

function seriesOf(raw) {
  return (workload, variant, metric) => ((raw[workload] || {})[variant] || []).map((r) => (r && r.metrics ? r.metrics[metric] : NaN));
}

function metricsOf(raw, workload) {
  for (const results of Object.values(raw[workload] || {})) {
    for (const r of results) if (r && r.metrics) return Object.keys(r.metrics);
  }
  return [];
}

function backendOf(raw) {
  const seen = {};
  for (const byVariant of Object.values(raw)) {
    for (const [variant, results] of Object.entries(byVariant)) {
      if (!variant.startsWith('ctxframe-') || variant === 'ctxframe-builtin') continue;
      for (const r of results) if (r && r.backend) seen[r.backend] = (seen[r.backend] || 0) + 1;
    }
  }
  const names = Object.keys(seen).sort((a, b) => seen[b] - seen[a]);
  return names.length ? names.join('+') : 'unknown';
}

function summarizeWorkload(raw, workload, counts) {
  const series = seriesOf(raw);
  const rows = [];
  for (const metric of metricsOf(raw, workload)) {
    for (const count of counts) {
      const none = series(workload, 'none', metric);
      const builtin = series(workload, `builtin-${count}`, metric);
      const ctxframe = series(workload, `ctxframe-${count}`, metric);
      const row = {
        workload, metric, count,
        higherIsBetter: HIGHER_IS_BETTER.has(metric),
        none: spread(none),
        builtin: spread(builtin),
        ctxframe: spread(ctxframe),
        ratio: pairedRatio(ctxframe, builtin),
        ratioNone: pairedRatio(ctxframe, none),
        sanity: null,
      };
      if (count === 1) {
        row.ctxframeBuiltin = spread(series(workload, 'ctxframe-builtin', metric));
        row.sanity = pairedRatio(series(workload, 'ctxframe-builtin', metric), builtin);
      }
      rows.push(row);
    }
  }
  return rows;
}

function errorsOf(raw) {
  const errors = [];
  for (const [workload, byVariant] of Object.entries(raw)) {
    for (const [variant, results] of Object.entries(byVariant)) {
      results.forEach((r, rep) => { if (r && r.error) errors.push({ workload, variant, rep, error: r.error }); });
    }
  }
  return errors;
}

// rows per workload, the backend ctxframe reported, and the target verdicts for that backend.
function summarizeRuntime(runtime, raw, countsByWorkload) {
  const backend = backendOf(raw);
  const targetSet = backend === 'frame' || backend === 'frame-js' || backend === 'carrier' ? backend : runtime.backend;
  const workloads = {};
  for (const workload of Object.keys(raw)) workloads[workload] = summarizeWorkload(raw, workload, countsByWorkload[workload]);
  return {
    backend,
    targetSet,
    targetNote: targetSet === backend ? '' : `ctxframe reported backend "${backend}"; judged against the ${targetSet} targets this runtime is meant to get`,
    workloads,
    targets: judge(seriesOf(raw), targetSet, (workload, variant) => ((raw[workload] || {})[variant] || []).map((r) => (r && Number.isFinite(r.requests) ? r.requests : NaN))),
    errors: errorsOf(raw),
  };
}

module.exports = { summarizeRuntime, HIGHER_IS_BETTER };
