'use strict';
// Owns: the services benchmark's summaries (paired ratios ctxframe register ÷ built-in per agent
// and runtime, the noise row, the goal verdicts, profile differences) and their renderings:
// console, bench/services/results.md and the README-ready table.

const { spread, pairedRatio } = require('../lib/stats.js');
const { AGENTS } = require('./agents.js');

const CPU = 'cpu µs/req';
const RPS = 'req/s';
// The goal: on frame runtimes, register ≤ 0.9× the built-in's CPU per request for every agent
// that keeps more than one storage or creates spans per request (every agent here does both; the
// service alone keeps one storage and no spans); never more than 1.02× anywhere.
const GOAL_AGENT_FRAME = 0.9;
const GOAL_ANYWHERE = 1.02;

const seriesOf = (results, metric) => (results || []).map((r) => (r && r.metrics && !r.error ? r.metrics[metric] : NaN));
const f3 = (x) => (x === null || x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(3));
const f2 = (x) => (x === null || x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(2));
const num = (x) => (x === null || x === undefined || !Number.isFinite(x) ? '–' : x >= 100 ? x.toFixed(0) : x.toPrecision(3));
const ratioText = (r) => (r ? `${f3(r.median)} (${f2(r.min)}–${f2(r.max)})` : '–');
const spreadText = (s) => (s ? `${num(s.median)} (${num(s.min)}–${num(s.max)})` : '–');

// raw[variant] = [result per repetition], variant = `<agent>:<side>`.
function summarizeRuntime(runtime, raw, loads) {
  const errors = [];
  const expectedFailures = [];
  for (const [variant, results] of Object.entries(raw)) {
    results.forEach((r, rep) => {
      if (!r || !r.error) return;
      (variant === 'none:broken' ? expectedFailures : errors).push({ variant, rep, error: r.error });
    });
  }
  const brokenMeasured = (raw['none:broken'] || []).filter((r) => r && !r.error).length;
  if (brokenMeasured) errors.push({ variant: 'none:broken', rep: null, error: `the deliberately broken variant was measured ${brokenMeasured} time(s) instead of failing` });
  const backends = new Set();
  const rows = [];
  const agents = [...new Set(Object.keys(raw).map((v) => v.split(':')[0]))];
  for (const agent of agents) {
    const builtin = raw[`${agent}:builtin`];
    const register = raw[`${agent}:register`];
    if (!builtin || !register) continue;
    for (const r of register) if (r && r.backend && !r.error) backends.add(r.backend);
    const bCpu = seriesOf(builtin, CPU);
    const rCpu = seriesOf(register, CPU);
    rows.push({
      agent, title: AGENTS[agent].title,
      builtin: { cpu: spread(bCpu), rps: spread(seriesOf(builtin, RPS)) },
      register: { cpu: spread(rCpu), rps: spread(seriesOf(register, RPS)) },
      cpuRatio: pairedRatio(rCpu, bCpu),
      rpsRatio: pairedRatio(seriesOf(register, RPS), seriesOf(builtin, RPS)),
      profile: profileDiff(builtin, register),
    });
  }
  let noise = null;
  if (raw['none:builtin'] && raw['none:builtin-again']) {
    noise = {
      cpuRatio: pairedRatio(seriesOf(raw['none:builtin-again'], CPU), seriesOf(raw['none:builtin'], CPU)),
      rpsRatio: pairedRatio(seriesOf(raw['none:builtin-again'], RPS), seriesOf(raw['none:builtin'], RPS)),
    };
  }
  const backend = [...backends].join('+') || 'unknown';
  const onFrame = (backend === 'frame' || backend === 'unknown') && runtime.expected === 'frame';
  const goals = rows.map((row) => {
    const max = onFrame && row.agent !== 'none' ? GOAL_AGENT_FRAME : GOAL_ANYWHERE;
    const r = row.cpuRatio;
    return { agent: row.agent, max, ratio: r, met: r ? r.median <= max : null, rangeIncludes: r ? r.min <= max : null };
  });
  // Processes whose CPU per request still moved by more than 3 % between their last two settling
  // windows: measured before steady state (more --settle windows or larger --window help).
  const unsettled = Object.entries(raw).flatMap(([variant, results]) => results
    .filter((r) => r && !r.error && r.load && r.load.settled === false).map(() => variant));
  const shortOfRate = Object.entries(raw).flatMap(([variant, results]) => results
    .filter((r) => r && !r.error && r.load && r.load.shortOfRate).map(() => variant));
  const l = loads.filter(Number.isFinite);
  return { backend, rows, noise, goals, errors, expectedFailures, unsettled, shortOfRate, load: l.length ? spread(l) : null };
}

// Per package, µs per request: built-in, register, difference (medians over the profiled reps).
function profileDiff(builtin, register) {
  const profiles = (results) => results.filter((r) => r && !r.error && r.profile).map((r) => r.profile);
  const b = profiles(builtin);
  const r = profiles(register);
  if (!b.length || !r.length) return null;
  const med = (list, key, name) => spread(list.map((p) => p[key][name] || 0));
  const table = (key) => {
    const names = new Set([...b, ...r].flatMap((p) => Object.keys(p[key])));
    return [...names].map((name) => {
      const bv = med(b, key, name).median;
      const rv = med(r, key, name).median;
      return { name, builtin: bv, register: rv, diff: rv - bv };
    }).sort((x, y) => Math.abs(y.diff) - Math.abs(x.diff));
  };
  const contextOf = (list) => (list.every((p) => p.context) ? {
    ctxframe: spread(list.map((p) => p.context.ctxframe)).median,
    node: spread(list.map((p) => p.context.node)).median,
  } : null);
  const cb = contextOf(b);
  const cr = contextOf(r);
  return {
    total: { builtin: spread(b.map((p) => p.totalUsPerReq)).median, register: spread(r.map((p) => p.totalUsPerReq)).median },
    context: cb && cr ? { builtin: cb, register: cr } : null,
    packages: table('packages'),
    functions: table('functions').slice(0, 15),
  };
}

const mark = (g) => (g.met === null ? '' : g.met ? '✓' : g.rangeIncludes ? '(✗)' : '✗');
const short = (rt) => `${rt.label.replace(/^Node /, '')} (${rt.summary.backend})`;

function pad(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows.map((r) => r.map((c, i) => String(c).padEnd(widths[i])).join('  ')).join('\n');
}
const mdTable = (header, rows) => [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');

function runtimeRows(summary) {
  const rows = summary.rows.map((row) => [
    row.title, spreadText(row.builtin.cpu), spreadText(row.register.cpu), ratioText(row.cpuRatio),
    spreadText(row.builtin.rps), spreadText(row.register.rps), ratioText(row.rpsRatio),
  ]);
  if (summary.noise) rows.push(['noise: no agent, built-in ÷ itself', '', '', ratioText(summary.noise.cpuRatio), '', '', ratioText(summary.noise.rpsRatio)]);
  return rows;
}
const HEADER = ['agent', 'built-in cpu µs/req', 'register cpu µs/req', 'cpu register ÷ built-in', 'built-in req/s', 'register req/s', 'req/s register ÷ built-in'];

function consoleSummary(summary) {
  return pad([HEADER, ...runtimeRows(summary)]);
}

// The README-ready table: ctxframe register ÷ built-in server CPU per request, median (min–max),
// per agent × runtime, and the noise row.
function readmeTable(data) {
  const rts = data.runtimes;
  const agents = [...new Set(rts.flatMap((rt) => rt.summary.rows.map((r) => r.agent)))];
  const rows = agents.map((agent) => [AGENTS[agent].title, ...rts.map((rt) => {
    const row = rt.summary.rows.find((r) => r.agent === agent);
    const goal = rt.summary.goals.find((g) => g.agent === agent);
    return row ? `${ratioText(row.cpuRatio)} ${goal ? mark(goal) : ''}`.trim() : '–';
  })]);
  rows.push(['noise: no agent, built-in ÷ itself', ...rts.map((rt) => ratioText(rt.summary.noise && rt.summary.noise.cpuRatio))]);
  return mdTable(['server CPU per request, ctxframe register ÷ built-in', ...rts.map(short)], rows);
}

// README's block: what was measured, when, where and at what load, then readmeTable().
function readmeCaption(data) {
  const m = data.meta;
  const load = m.loadDuring ? `${f2(m.loadDuring.min)}–${f2(m.loadDuring.max)}` : m.loadStart.join('/');
  return [
    `Server CPU per request of a Fastify 5 + pg + fetch + pino service, \`-r ctxframe/register\` ÷ the built-in ` +
    `under the same agent (below 1 is cheaper; median (min–max) of ${m.reps} interleaved repetitions, each variant ` +
    `in its own process). Measured ${m.date.slice(0, 10)} on ${m.machine}, 1-minute load average ${load}` +
    `${m.loadDuring && m.loadDuring.max > 2.5 ? ' (above 2.5 on 2 cores: noisy)' : ''}; ✓/✗: the goal ` +
    `(≤ ${GOAL_AGENT_FRAME} for an agent on a frame runtime, ≤ ${GOAL_ANYWHERE} otherwise). The noise row is the ` +
    'no-agent built-in against itself: a ratio inside its spread is no difference.',
    '',
    readmeTable(data),
  ].join('\n');
}

// Profiled runs: per runtime and agent, the async-context work's self time per request (ctxframe's
// own functions + Node's AsyncLocalStorage/AsyncContextFrame/async_hooks functions), built-in →
// register, beside the whole profile's: how much of a difference in CPU the context accounts for.
function contextTable(data) {
  const rows = [];
  for (const rt of data.runtimes) {
    for (const row of rt.summary.rows) {
      const p = row.profile;
      if (!p || !p.context) continue;
      const sum = (c) => c.ctxframe + c.node;
      const b = sum(p.context.builtin);
      const r = sum(p.context.register);
      const sign = (x) => (x >= 0 ? `+${f2(x)}` : f2(x));
      rows.push([short(rt), row.title, f2(b), `${f2(r)} (${f2(p.context.register.ctxframe)} + ${f2(p.context.register.node)})`,
        sign(r - b), `${num(p.total.builtin)} → ${num(p.total.register)}`, sign(p.total.register - p.total.builtin)]);
    }
  }
  if (!rows.length) return [];
  return ['', '## Async-context work in the profiles', '',
    'Self time per request, µs, in async-context code: ctxframe\'s own functions plus Node\'s AsyncLocalStorage, ' +
    'AsyncContextFrame and async_hooks functions (on `carrier` runtimes register still runs on async_hooks), from every ' +
    'sample of the measured window; beside it the whole profile\'s self time per request. Medians over the profiled ' +
    'repetitions. A difference in CPU that the context column does not account for is work elsewhere in the process.',
    '', mdTable(['runtime', 'agent', 'context, built-in', 'context, register (ctxframe + Node)', 'context, register − built-in',
      'all self time, built-in → register', 'all, register − built-in'], rows)];
}

function markdown(data) {
  const m = data.meta;
  const out = [
    '# Services benchmark: APM agents with the built-in AsyncLocalStorage vs `-r ctxframe/register`',
    '',
    `Generated by \`${m.command}\` on ${m.date} (${m.machine}; runner ${m.runner}). ${m.reps} repetition(s), interleaved, each variant a fresh process; ` +
      `warm-up ${m.config.warmupS} s, then windows of ${m.config.windowRequests} requests until two agree within 3 % (at most ${m.config.settleWindows}), then ${m.config.durationS} s measured; ` +
      `${m.config.rate ? `offered ${m.config.rate} req/s; ` : ''}${m.pinned ? `server on CPU ${m.pinned.server || 1}, load generator, PostgreSQL, downstream and collector on CPU ${m.pinned.peers || 0}` : 'not pinned'}; ` +
      `load average ${m.loadStart.join(' / ')} at the start, ${m.loadEnd ? m.loadEnd.join(' / ') : '?'} at the end, ${m.durationMs ? Math.round(m.durationMs / 1000) : '?'} s.` +
      (m.profile ? ' **Profiled run** (V8 sampling profiler on in the measured window): its CPU numbers include the profiler and are not the benchmark\'s.' : '') +
      (m.partial ? ` **Partial**: ${m.partial}.` : ''),
    '',
    'The service: Fastify 5 with pino logging (a mixin reads the request id from the service\'s own AsyncLocalStorage), a pg query on a private PostgreSQL, a fetch to a loopback downstream and its body, a macrotask turn — 4 awaits per request. Every request checks its own store and the agent\'s current trace after each await, that no other request in flight has its trace, and that the downstream got it; the load generator checks every body. A variant with any wrong answer is reported as failing, not measured.',
    '',
    '## ctxframe register ÷ built-in, server CPU per request',
    '',
    'Median (min–max) of per-repetition ratios. ✓ meets the goal (≤ 0.9 for an agent on a frame runtime, ≤ 1.02 otherwise), ✗ misses it, (✗) misses it by the median but its range includes it.',
    '',
    readmeTable(data),
    ...contextTable(data),
  ];
  for (const rt of data.runtimes) {
    const s = rt.summary;
    out.push('', `## ${rt.label} — ctxframe backend ${s.backend}${s.load ? `, load ${f2(s.load.min)}–${f2(s.load.max)}` : ''}`, '', mdTable(HEADER, runtimeRows(s)));
    if (s.errors.length) {
      out.push('', `Failed measurements (${s.errors.length}):`, '', ...s.errors.map((e) => `- ${e.variant}${e.rep === null ? '' : ` rep ${e.rep + 1}`}: ${String(e.error).slice(0, 300)}`));
    }
    if (s.unsettled && s.unsettled.length) out.push('', `Not settled within ${data.meta.config.settleWindows} windows (measured before steady state): ${s.unsettled.length} process(es): ${s.unsettled.join(', ')}.`);
    if (s.shortOfRate && s.shortOfRate.length) out.push('', `Fell more than 5 % short of the offered ${data.meta.config.rate} req/s (saturated: not at the same rate as the others): ${s.shortOfRate.join(', ')}.`);
    if (s.expectedFailures.length) out.push('', `The deliberately broken variant failed as it must (${s.expectedFailures.length}×): ${String(s.expectedFailures[0].error).slice(0, 200)}`);
    for (const row of s.rows) {
      if (!row.profile) continue;
      const p = row.profile;
      out.push('', `### Profile, ${row.title}: self time µs per request (total built-in ${f2(p.total.builtin)}, register ${f2(p.total.register)})`, '',
        mdTable(['package', 'built-in', 'register', 'register − built-in'], p.packages.slice(0, 12).map((x) => [x.name, f2(x.builtin), f2(x.register), f2(x.diff)])),
        '', mdTable(['function', 'built-in', 'register', 'register − built-in'], p.functions.slice(0, 12).map((x) => [x.name.replace(/\|/g, '\\|'), f2(x.builtin), f2(x.register), f2(x.diff)])));
    }
  }
  return out.join('\n');
}

module.exports = { summarizeRuntime, consoleSummary, markdown, readmeTable, readmeCaption, GOAL_AGENT_FRAME, GOAL_ANYWHERE };
