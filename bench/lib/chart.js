'use strict';
// Owns: bench/results/chart.svg — grouped bars, one group per workload measure, one bar per
// runtime, height = median ratio ctxframe ÷ built-in (cost: lower is better) on a log scale, bars
// drawn from the 1.0 line (down = ctxframe cheaper), min–max whiskers. Hand-written SVG.

const { WORKLOADS } = require('./plan.js');

// The measures the chart shows: all costs (CPU time, memory), so below 1 always means cheaper.
const MEASURES = [
  ['micro', 'run ns', 1, 'run()'],
  ['micro', 'getStore ns', 1, 'getStore()'],
  ['micro', 'enterWith ns', 1, 'enterWith()'],
  ['micro', 'run10 ns', 1, 'run() after 10 used'],
  ['awaits', 'cpu ms', 1, 'awaits CPU, 1 st.'],
  ['awaits', 'cpu ms', 10, 'awaits CPU, 10 st.'],
  ['fanout', 'cpu ms', 1, 'fan-out CPU, 1 st.'],
  ['fanout', 'cpu ms', 10, 'fan-out CPU, 10 st.'],
  ['timers', 'nextTick cpu ms', 1, 'nextTick CPU'],
  ['timers', 'setTimeout cpu ms', 1, 'setTimeout CPU'],
  ['spans', 'cpu µs/unit', 1, 'spans CPU, 1 st.'],
  ['spans', 'cpu µs/unit', 10, 'spans CPU, 10 st.'],
  ['http', 'cpu µs/req', 1, 'http CPU/req, 1 st.'],
  ['http', 'cpu µs/req', 10, 'http CPU/req, 10 st.'],
  ['memory', 'heap MB', 1, 'heap after GC'], // retained KB can be ≤ 0: no log scale for it
];

const COLORS = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#b07aa1', '#9c755f', '#edc948'];

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function chartSvg(data) {
  const runtimes = data.runtimes;
  const groups = MEASURES.map(([workload, metric, count, label]) => ({
    label,
    bars: runtimes.map((rt) => {
      const rows = rt.summary.workloads[workload] || [];
      const row = rows.find((r) => r.metric === metric && r.count === count);
      // A log scale has no place for ratios ≤ 0 (possible when a difference is the metric).
      return row && row.ratio && row.ratio.min > 0 ? row.ratio : null;
    }),
  }));
  return ratioChart({
    title: 'ctxframe ÷ built-in AsyncLocalStorage: cost ratio (log scale)',
    notes: [
      `Black line: 1.0 = same cost as the built-in; below it ctxframe is cheaper. Median of ${data.meta.reps} paired repetitions, whiskers min–max; CPU time, heap after GC.`,
      `${data.meta.date.slice(0, 16).replace('T', ' ')} UTC, ${data.meta.machine}`,
    ],
    axis: 'ctxframe ÷ built-in',
    groups,
    series: runtimes.map((rt) => ({ name: rt.label, legend: `${rt.label} (${rt.summary.backend})` })),
  });
}

// Grouped bars of ratios on a log scale, drawn from the 1.0 line, with min–max whiskers.
// groups: [{ label, bars: [{ median, min, max } | null per series] }]; series: [{ name, legend }]
// (name in each bar's tooltip, legend under the chart).
function ratioChart({ title, notes, axis, groups: allGroups, series }) {
  const groups = allGroups.filter((g) => g.bars.some(Boolean));
  const values = groups.flatMap((g) => g.bars.filter(Boolean).flatMap((r) => [r.min, r.max]));
  const lo = Math.min(0.01, ...values.map((v) => v * 0.8));
  const hi = Math.max(3, ...values.map((v) => v * 1.25));
  const logLo = Math.floor(Math.log10(lo) * 2) / 2;
  const logHi = Math.ceil(Math.log10(hi) * 2) / 2;

  const barW = 10;
  const groupW = Math.max(1, series.length) * barW + 18;
  const left = 70;
  const top = 70;
  const plotH = 340;
  const width = Math.max(760, left + groups.length * groupW + 30);
  const legendColumns = 2;
  const legendRows = Math.ceil(series.length / legendColumns);
  const height = top + plotH + 120 + legendRows * 18;
  const y = (v) => top + plotH - ((Math.log10(v) - logLo) / (logHi - logLo)) * plotH;

  const out = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="11">`);
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="${left}" y="24" font-size="15" font-weight="bold">${esc(title)}</text>`);
  notes.slice(0, 2).forEach((note, i) => out.push(`<text x="${left}" y="${42 + i * 15}" fill="#555">${esc(note)}</text>`));

  // Grid and axis labels at 1-2-5 steps.
  for (let e = Math.floor(logLo); e <= Math.ceil(logHi); e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      const lv = Math.log10(v);
      if (lv < logLo - 1e-9 || lv > logHi + 1e-9) continue;
      const yy = y(v).toFixed(1);
      out.push(`<line x1="${left}" x2="${width - 20}" y1="${yy}" y2="${yy}" stroke="${m === 1 ? '#ccc' : '#eee'}"/>`);
      out.push(`<text x="${left - 6}" y="${Number(yy) + 4}" text-anchor="end" fill="#444">${v >= 1 ? v : v.toPrecision(1)}</text>`);
    }
  }
  out.push(`<text transform="translate(18 ${top + plotH / 2}) rotate(-90)" text-anchor="middle" fill="#444">${esc(axis)}</text>`);

  groups.forEach((g, gi) => {
    const gx = left + 10 + gi * groupW;
    g.bars.forEach((r, bi) => {
      if (!r) return;
      const x = gx + bi * barW;
      const y0 = y(1);
      const y1 = y(r.median);
      out.push(`<rect x="${x}" y="${Math.min(y0, y1).toFixed(1)}" width="${barW - 2}" height="${Math.max(1, Math.abs(y1 - y0)).toFixed(1)}" fill="${COLORS[bi % COLORS.length]}"><title>${esc(series[bi].name)} — ${esc(g.label)}: ${r.median.toFixed(3)} (${r.min.toFixed(3)}–${r.max.toFixed(3)})</title></rect>`);
      const cx = (x + (barW - 2) / 2).toFixed(1);
      out.push(`<line x1="${cx}" x2="${cx}" y1="${y(r.min).toFixed(1)}" y2="${y(r.max).toFixed(1)}" stroke="#222" stroke-width="1"/>`);
    });
    const lx = gx + (series.length * barW) / 2;
    out.push(`<text transform="translate(${lx.toFixed(1)} ${top + plotH + 14}) rotate(-35)" text-anchor="end" fill="#222">${esc(g.label)}</text>`);
  });

  // The 1.0 line on top of the bars.
  out.push(`<line x1="${left}" x2="${width - 20}" y1="${y(1).toFixed(1)}" y2="${y(1).toFixed(1)}" stroke="#000" stroke-width="1.5"/>`);

  const legendTop = top + plotH + 100;
  series.forEach((s, i) => {
    const lx = left + (i % legendColumns) * 460;
    const ly = legendTop + Math.floor(i / legendColumns) * 18;
    out.push(`<rect x="${lx}" y="${ly - 9}" width="10" height="10" fill="${COLORS[i % COLORS.length]}"/>`);
    out.push(`<text x="${lx + 15}" y="${ly}">${esc(s.legend)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}

module.exports = { chartSvg, ratioChart, MEASURES, WORKLOADS };
