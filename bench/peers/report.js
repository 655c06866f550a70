'use strict';
// Owns: summaries of the peers benchmark (paired ratios per runtime and target verdicts) and their
// renderings: console table, bench/peers/results.md, the README table and the chart.

const { WORKLOADS, variantId } = require('./plan.js');
const { spread, pairedRatio } = require('../lib/stats.js');
const { ratioChart } = require('../lib/chart.js');

const CPU = 'cpu µs/req';
const RPS = 'req/s';

const seriesOf = (results, metric) => (results || []).map((r) => (r && r.metrics ? r.metrics[metric] : NaN));

// raw[workload][variant] = [result per repetition]; loads = 1-minute load averages seen.
function summarizeRuntime(runtime, raw, loads) {
  const workloads = {};
  const targets = [];
  const errors = [];
  const backends = new Set();
  for (const [workload, byVariant] of Object.entries(raw)) {
    const w = WORKLOADS[workload];
    const refCpu = seriesOf(byVariant[w.reference], CPU);
    const refRps = seriesOf(byVariant[w.reference], RPS);
    const noneCpu = seriesOf(byVariant.none, CPU);
    const rows = [];
    for (const [variant, results] of Object.entries(byVariant)) {
      results.forEach((r, rep) => { if (r && r.error) errors.push({ workload, variant, rep, error: r.error }); });
      const backend = (results.find((r) => r && r.backend) || {}).backend || '?';
      if (variant === w.target.variant) backends.add(backend);
      const cpu = seriesOf(results, CPU);
      const rps = seriesOf(results, RPS);
      rows.push({
        variant, backend,
        cpu: spread(cpu), rps: spread(rps),
        cpuVsRef: pairedRatio(cpu, refCpu), rpsVsRef: pairedRatio(rps, refRps), cpuVsNone: pairedRatio(cpu, noneCpu),
      });
    }
    workloads[workload] = rows;
  }
  const backend = [...backends].join('+') || 'unknown';
  const set = backend === 'frame' || backend === 'carrier' ? backend : runtime.expected;
  for (const [workload, rows] of Object.entries(workloads)) {
    const w = WORKLOADS[workload];
    const row = rows.find((r) => r.variant === w.target.variant);
    const max = w.target[set];
    const ratio = row ? row.cpuVsRef : null;
    targets.push({
      workload, variant: w.target.variant, reference: w.reference, max, ratio,
      met: ratio ? ratio.median <= max : null, rangeIncludes: ratio ? ratio.min <= max : null,
    });
  }
  const l = loads.filter(Number.isFinite);
  return { backend, targetSet: set, workloads, targets, errors, load: l.length ? spread(l) : null };
}

const f3 = (x) => (x === null || x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(3));
const f2 = (x) => (x === null || x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(2));
const num = (x) => (x === null || x === undefined || !Number.isFinite(x) ? '–' : x >= 100 ? x.toFixed(0) : x.toPrecision(3));
const ratioText = (r) => (r ? `${f3(r.median)} (${f2(r.min)}–${f2(r.max)})` : '–');
const mark = (t) => (t.met === null ? '' : t.met ? '✓' : t.rangeIncludes ? '(✗)' : '✗');
const short = (rt) => `${rt.label.replace(/^Node /, '')} (${rt.summary.backend})`;

const LABELS = {
  none: 'no context (floor)',
  kit: 'ctxframe kit (defaults)',
  'kit-notrace': 'ctxframe kit, trace: false',
  'kit-enrich': 'ctxframe kit, enrich() to add',
  'kit-server': 'ctxframe kit around the whole app',
  frc: '@fastify/request-context',
  'frc+register': '@fastify/request-context, -r ctxframe/register',
  'als-1': 'hand-written AsyncLocalStorage middleware',
  'als-5': 'built-in, 5 libraries each with a storage',
  'als-20': 'built-in, 20 libraries each with a storage',
  'als-20+register': '20 libraries, -r ctxframe/register',
  cls: 'cls-hooked',
  ctxframe: 'ctxframe/otel CtxframeContextManager',
  als: 'OTel AsyncLocalStorageContextManager',
  'als+register': 'OTel AsyncLocalStorageContextManager, -r ctxframe/register',
  hooks: 'OTel AsyncHooksContextManager',
};
const labelOf = (workload, variant) => (workload === 'otel' && variant === 'none' ? 'no manager, parents by hand (floor)' : LABELS[variant] || variant);

function pad(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows.map((r) => r.map((c, i) => String(c).padEnd(widths[i])).join('  ')).join('\n');
}

function mdTable(header, rows) {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

function consoleSummary(summary) {
  const rows = [['workload', 'variant', 'backend', 'CPU µs/req', 'req/s', 'CPU ÷ reference (min–max)', 'CPU ÷ floor']];
  for (const [workload, list] of Object.entries(summary.workloads)) {
    for (const r of list) {
      const ref = r.variant === WORKLOADS[workload].reference ? ' (reference)' : '';
      rows.push([workload, `${r.variant}${ref}`, r.backend, num(r.cpu && r.cpu.median), num(r.rps && r.rps.median), ratioText(r.cpuVsRef), f3(r.cpuVsNone && r.cpuVsNone.median)]);
    }
  }
  const t = [['target', 'wanted', 'ratio (min–max)', 'met?']];
  for (const x of summary.targets) t.push([`${x.workload}: ${x.variant} ÷ ${x.reference}`, `≤ ${x.max}`, ratioText(x.ratio), mark(x) || 'no data']);
  return `${pad(rows)}\n\nTargets (${summary.targetSet}):\n${pad(t)}`;
}

function header(meta) {
  const load = meta.loadDuring ? `; 1-min load average during the run ${f2(meta.loadDuring.min)}–${f2(meta.loadDuring.max)} (median ${f2(meta.loadDuring.median)})` : '';
  return `\`npm run bench:peers\` of ${meta.date} — ${meta.machine}; ${meta.reps} repetitions; ` +
    `${(meta.durationMs / 60000).toFixed(1)} min; load average at start ${meta.loadStart.join(' / ')}, at end ${meta.loadEnd.join(' / ')}${load}; ` +
    `${meta.pinned ? 'servers pinned to CPU 1, load generator (autocannon, in the runner) to CPU 0' : 'no CPU pinning'}.` +
    (meta.partial ? ` **Partial: ${meta.partial}.**` : '');
}

function markdown(data) {
  const { meta, runtimes } = data;
  const out = ['# ctxframe compared with the alternatives', '', header(meta), ''];
  out.push('Every variant runs in its own process, variants interleaved within each repetition; a ratio is computed per ' +
    'repetition (same repetition, same runtime) and the median is shown with the min–max of the repetitions. CPU is the ' +
    'server process\'s user + system time per request (for the OpenTelemetry workload, the process\'s CPU per request), ' +
    'which does not depend on how fast the load generator is. Every variant checks what it reads (request id, tenant, ' +
    'user and an added value per request; each span\'s parent), and a run with any wrong answer is refused. ' +
    'Servers are measured at steady state: each is first loaded in windows of requests until two successive windows\' ' +
    'CPU per request agree within 3 % (at most 8 windows; the windows are in results.json), then measured; the ' +
    'OpenTelemetry workload runs its warm-up requests first.', '');
  out.push('## Targets', '');
  out.push('Kit CPU per request ÷ the reference on the same runtime; ✓ met, ✗ missed, (✗) missed but the min–max range includes the target.', '');
  const targetRows = Object.keys(WORKLOADS).filter((w) => runtimes.some((rt) => rt.summary.workloads[w])).map((w) => {
    const spec = WORKLOADS[w];
    return [`${spec.title}: ${labelOf(w, spec.target.variant)} ÷ ${labelOf(w, spec.reference)}`,
      spec.target.frame === spec.target.carrier ? `≤ ${spec.target.frame}` : `≤ ${spec.target.frame} frame, ≤ ${spec.target.carrier} carrier`,
      ...runtimes.map((rt) => {
        const t = rt.summary.targets.find((x) => x.workload === w);
        return t && t.ratio ? `${ratioText(t.ratio)} ${mark(t)}` : '–';
      })];
  });
  out.push(mdTable(['target', 'wanted', ...runtimes.map(short)], targetRows), '');
  for (const [workload, spec] of Object.entries(WORKLOADS)) {
    if (!runtimes.some((rt) => rt.summary.workloads[workload])) continue;
    out.push(`## ${spec.title} — ${spec.describe}`, '');
    out.push(`CPU per request ÷ ${labelOf(workload, spec.reference)} (median, min–max), then req/s (median).`, '');
    const variants = [...new Set(runtimes.flatMap((rt) => (rt.summary.workloads[workload] || []).map((r) => r.variant)))];
    out.push(mdTable(['variant', ...runtimes.map(short)], variants.map((v) => [labelOf(workload, v), ...runtimes.map((rt) => {
      const r = (rt.summary.workloads[workload] || []).find((x) => x.variant === v);
      if (!r) return '–';
      return `${ratioText(r.cpuVsRef)}; ${num(r.rps && r.rps.median)} req/s`;
    })])), '');
    out.push(`CPU µs per request (median) and ÷ the floor:`, '');
    out.push(mdTable(['variant', ...runtimes.map(short)], variants.map((v) => [labelOf(workload, v), ...runtimes.map((rt) => {
      const r = (rt.summary.workloads[workload] || []).find((x) => x.variant === v);
      return r ? `${num(r.cpu && r.cpu.median)} µs (${f2(r.cpuVsNone && r.cpuVsNone.median)}×)` : '–';
    })])), '');
  }
  const errors = runtimes.flatMap((rt) => rt.summary.errors.map((e) => ({ ...e, runtime: rt.label })));
  if (errors.length) {
    out.push('## Failed measurements', '');
    for (const e of errors) out.push(`- ${e.runtime} ${e.workload} ${e.variant} rep ${e.rep + 1}: ${e.error}`);
    out.push('');
  }
  return out.join('\n');
}

// The short table the README shows: each target's ratio per runtime, plus the main peers.
const README_ROWS = [
  ['fastify', 'kit'], ['fastify', 'none'], ['fastify', 'frc+register'],
  ['http', 'kit'], ['http', 'none'], ['http', 'als-20'], ['http', 'als-20+register'], ['http', 'cls'],
  ['express', 'kit'], ['express', 'kit-server'], ['koa', 'kit'],
  ['otel', 'ctxframe'], ['otel', 'none'], ['otel', 'als+register'], ['otel', 'hooks'],
];

function readmeTable(data) {
  const { meta, runtimes } = data;
  const measured = ([w, v]) => runtimes.some((rt) => (rt.summary.workloads[w] || []).some((x) => x.variant === v && x.cpuVsRef));
  const rows = README_ROWS.filter(measured).map(([w, v]) => {
    const spec = WORKLOADS[w];
    return [`${spec.title}: ${labelOf(w, v)} ÷ ${labelOf(w, spec.reference)}`, ...runtimes.map((rt) => {
      const r = (rt.summary.workloads[w] || []).find((x) => x.variant === v);
      return r && r.cpuVsRef ? f2(r.cpuVsRef.median) : '–';
    })];
  });
  const load = meta.loadDuring ? `${f2(meta.loadDuring.min)}–${f2(meta.loadDuring.max)}` : meta.loadStart.join('/');
  return [
    `Server CPU per request, ratio to the usual choice on the same runtime (lower is cheaper; median of ${meta.reps} ` +
    `interleaved repetitions, each variant in its own process, servers at steady state). Measured ` +
    `${meta.date.slice(0, 10)} on ${meta.machine}, 1-minute load average ${load}` +
    `${meta.loadDuring && meta.loadDuring.max > 2.5 ? ' (above 2.5 on 2 cores: noisy)' : ''}: each ratio's min–max is in the results.`,
    '',
    mdTable(['', ...runtimes.map(short)], rows),
  ].join('\n');
}

function chartSvg(data) {
  const { meta, runtimes } = data;
  const groups = [];
  for (const [workload, spec] of Object.entries(WORKLOADS)) {
    const variants = [...new Set(runtimes.flatMap((rt) => (rt.summary.workloads[workload] || []).map((r) => r.variant)))];
    for (const v of variants) {
      if (v === spec.reference) continue;
      groups.push({
        label: `${spec.title}: ${v === 'none' ? 'floor' : v}`,
        bars: runtimes.map((rt) => {
          const r = (rt.summary.workloads[workload] || []).find((x) => x.variant === v);
          return r && r.cpuVsRef && r.cpuVsRef.min > 0 ? r.cpuVsRef : null;
        }),
      });
    }
  }
  return ratioChart({
    title: 'CPU per request ÷ the usual choice (log scale)',
    notes: [
      'Reference: @fastify/request-context (Fastify), a hand-written AsyncLocalStorage middleware (node:http, Express, Koa), OTel AsyncLocalStorageContextManager (spans).',
      `Median of ${meta.reps} paired repetitions, whiskers min–max; ${meta.date.slice(0, 16).replace('T', ' ')} UTC, ${meta.machine}`,
    ],
    axis: 'CPU/request ÷ reference',
    groups,
    series: runtimes.map((rt) => ({ name: rt.label, legend: `${rt.label} (${rt.summary.backend})` })),
  });
}

module.exports = { summarizeRuntime, consoleSummary, markdown, readmeTable, chartSvg, variantId };
