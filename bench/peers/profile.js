#!/usr/bin/env node
'use strict';
// Owns: where one peers variant's server CPU goes, per request — what the benchmark's ratios do
// not say. Linux only; needs `perf` (Debian: linux-perf).
//
//   node bench/peers/profile.js <workload> <variant> [--against <variant>] [options]
//     e.g.  node bench/peers/profile.js koa kit --against als-1 --only 22
//   --only <runtime>   a runtime of the matrix (20 22 22-acf 24 24-no-acf 26); default: this node
//   --seconds N        the measured window (default 8); --warmup N  seconds of load before it (default 5)
//   --top N            functions listed per group (default 12); --no-pin  do not pin to CPUs
//
// The server runs as in the benchmark (bench/peers/server.js, pinned to CPU 1, autocannon in this
// process on CPU 0), started with --perf-basic-prof so perf can name JIT-compiled functions.
// During the measured window only, `perf record` samples its stacks (cpu-clock, 2 kHz, frame
// pointers) and `perf stat` counts its I/O system calls. Each sample goes to the innermost
// JavaScript function on its stack: the builtins, runtime calls and native code a function calls
// count with it (an inlined callee counts with the function it was inlined into). Unlike the V8
// inspector's profiler this adds no work to the server: its CPU per request is what the benchmark
// measures. Epoll waits per request tell how saturated the server was: a server that often waits
// for the load generator pays wake-ups per request that a saturated one does not.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn, spawnSync, execFileSync } = require('node:child_process');
const { specFor, variantId, WORKLOADS } = require('./plan.js');
const { loadHeaders } = require('./request.js');
const { RUNTIMES, prepare, currentRuntime, cleanEnv } = require('../lib/runtimes.js');
const { load, lineReader } = require('../lib/execute.js');
const { parseResult } = require('../lib/child.js');

const ROOT = path.resolve(__dirname, '..', '..');
const HZ = 2000;
const ATTACH_MS = 500;
const SYSCALLS = ['read', 'writev', 'write', 'epoll_wait', 'epoll_pwait'];

function parseArgs(argv) {
  const opts = { positional: [], against: null, only: null, seconds: 8, warmup: 5, top: 12, pin: true };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      if (argv[i + 1] === undefined) throw new Error(`${arg} needs a value`);
      return argv[++i];
    };
    const number = () => {
      const n = Number(value());
      if (!(n > 0)) throw new Error(`${arg} needs a positive number`);
      return n;
    };
    if (arg === '--against') opts.against = value();
    else if (arg === '--only') opts.only = value();
    else if (arg === '--seconds') opts.seconds = number();
    else if (arg === '--warmup') opts.warmup = number();
    else if (arg === '--top') opts.top = number();
    else if (arg === '--no-pin') opts.pin = false;
    else if (arg === '--help' || arg === '-h') opts.help = true;
    else if (arg.startsWith('--')) throw new Error(`unknown option ${arg} (try --help)`);
    else opts.positional.push(arg);
  }
  if (opts.help) return opts;
  const [workload, variant, ...more] = opts.positional;
  if (variant === undefined || more.length > 0) throw new Error('usage: node bench/peers/profile.js <workload> <variant> [--against <variant>] [options] (try --help)');
  if (!WORKLOADS[workload] || !WORKLOADS[workload].server) {
    throw new Error(`a server workload is needed (${Object.keys(WORKLOADS).filter((w) => WORKLOADS[w].server).join(', ')}), got "${workload}"`);
  }
  const known = [...WORKLOADS[workload].variants, ...(WORKLOADS[workload].extra || [])];
  for (const v of [variant, opts.against]) {
    if (v !== null && !known.includes(v)) throw new Error(`unknown ${workload} variant "${v}" (known: ${known.join(', ')})`);
  }
  if (opts.only && !RUNTIMES.some((r) => r.name === opts.only)) {
    throw new Error(`unknown runtime "${opts.only}" (known: ${RUNTIMES.map((r) => r.name).join(', ')})`);
  }
  return { ...opts, workload, variant };
}

function requirePerf() {
  const res = spawnSync('perf', ['--version'], { encoding: 'utf8' });
  if (res.status !== 0) throw new Error('this needs Linux perf on PATH (Debian: apt-get install linux-perf)');
}

function exited(child) {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', resolve));
}

// One measured window of one variant: { result, samples: [[period ns, frames...]], calls }.
async function measure(runtime, opts, variant, dir) {
  const spec = specFor(opts.workload, variant);
  const args = [...runtime.flags, ...spec.flags, '--perf-basic-prof', spec.script, JSON.stringify({ variant: variantId(opts.workload, variant) })];
  const prefix = opts.pin && os.cpus().length > 1 ? ['taskset', '-c', '1'] : [];
  const child = spawn(prefix[0] || runtime.bin, [...prefix.slice(1), ...(prefix.length ? [runtime.bin] : []), ...args], {
    env: cleanEnv(), stdio: ['pipe', 'pipe', 'inherit'],
  });
  const next = lineReader(child.stdout);
  const record = path.join(dir, `${variant}.data`);
  const stat = path.join(dir, `${variant}.stat`);
  try {
    const port = Number(/^PORT (\d+)$/.exec(await next())?.[1]);
    if (!port) throw new Error('the server did not print its port');
    const url = `http://127.0.0.1:${port}/`;
    const check = (r, what) => {
      if (r.errors || r.non2xx) throw new Error(`${what}: ${r.errors} errors, ${r.non2xx} non-2xx answers`);
    };
    check(await load(url, { duration: opts.warmup, requests: loadHeaders() }), 'warm-up');
    const perfs = [
      spawn('perf', ['record', '-q', '-g', '-e', 'cpu-clock', '-F', String(HZ), '-p', String(child.pid), '-o', record], { stdio: 'ignore' }),
      spawn('perf', ['stat', '-x', ',', '-e', SYSCALLS.map((s) => `syscalls:sys_enter_${s}`).join(','), '-p', String(child.pid), '-o', stat], { stdio: 'ignore' }),
    ];
    await new Promise((resolve) => setTimeout(resolve, ATTACH_MS)); // perf attaches to an idle server
    child.stdin.write('mark\n');
    if ((await next()) !== 'MARKED') throw new Error('the server did not mark');
    check(await load(url, { duration: opts.seconds, requests: loadHeaders() }), 'measured window');
    child.stdin.write('report\n');
    let result = null;
    while (!result) result = parseResult(`${await next()}\n`);
    for (const p of perfs) p.kill('SIGINT');
    await Promise.all(perfs.map(exited));
    await exited(child);
    if (!fs.existsSync(record) || !fs.existsSync(stat)) {
      throw new Error('perf recorded nothing: may this user profile other processes? (sysctl kernel.perf_event_paranoid)');
    }
    const requests = result.requests;
    const calls = {};
    for (const line of fs.readFileSync(stat, 'utf8').split('\n')) {
      const [count, , event] = line.split(',');
      const m = /syscalls:sys_enter_(\w+)/.exec(event || '');
      if (m && /^\d+$/.test(count)) calls[m[1]] = Number(count) / requests;
    }
    const script = execFileSync('perf', ['script', '-i', record, '-F', 'period,ip,sym,dso'], { maxBuffer: 1 << 30, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return { result, calls, samples: parseSamples(script), requests };
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    fs.rmSync(`/tmp/perf-${child.pid}.map`, { force: true });
  }
}

// perf script blocks: a line with the period, then one frame per line, leaf first.
function parseSamples(text) {
  const samples = [];
  for (const block of text.split('\n\n')) {
    const rows = block.split('\n').map((l) => l.trim()).filter(Boolean);
    if (rows.length === 0 || !/^\d+$/.test(rows[0])) continue;
    samples.push([Number(rows[0]), ...rows.slice(1).map((r) => r.replace(/^[0-9a-f]+ /, ''))]);
  }
  return samples;
}

// The innermost JavaScript function of a sample and its group.
function attribute(frames) {
  for (const frame of frames) {
    // V8's perf map: JS:<tier mark><name> <file>:<line>:<column>; the name may hold spaces (get x).
    const m = /^(?:JS|Eval):[*~^+'-]?(.*?) ?(\S+):(\d+):\d+ \(/.exec(frame);
    if (!m) continue;
    const [, name, file, line] = m;
    const where = file.startsWith(ROOT + path.sep) ? path.relative(ROOT, file) : file;
    let group;
    if (where.startsWith(`lib${path.sep}`)) group = 'ctxframe';
    else if (where.startsWith('node:')) group = 'Node internals';
    else if (where.startsWith(`bench${path.sep}`)) group = 'benchmark app';
    else if (where.includes('node_modules')) group = `node_modules: ${/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(where)[1]}`;
    else group = 'other JavaScript';
    return { group, fn: `${name || '(anonymous)'} ${where.replace(/.*node_modules\//, '')}:${line}` };
  }
  const leaf = frames[0] || '';
  return { group: /\[kernel/.test(leaf) ? 'no JavaScript on the stack: kernel' : 'no JavaScript on the stack: native', fn: null };
}

function tally(measured) {
  const groups = new Map();
  const fns = new Map();
  const per = (ns) => ns / 1000 / measured.requests;
  for (const [period, ...frames] of measured.samples) {
    const { group, fn } = attribute(frames);
    groups.set(group, (groups.get(group) || 0) + per(period));
    if (fn) fns.set(`${group}\t${fn}`, (fns.get(`${group}\t${fn}`) || 0) + per(period));
  }
  return { groups, fns };
}

const us = (x) => (x === undefined ? '' : x.toFixed(2)).padStart(8);

function print(opts, runtime, a, b) {
  const name = (m) => `${opts.workload}:${m}`;
  const head = (v, m) => `${name(v)}: ${m.result.metrics['cpu µs/req'].toFixed(1)} µs CPU per request, ${Math.round(m.result.metrics['req/s'])} req/s, ` +
    `backend ${m.result.backend}; per request ${SYSCALLS.filter((s) => m.calls[s]).map((s) => `${s} ${m.calls[s].toFixed(2)}`).join(', ')}`;
  console.log(`${runtime.label}, ${opts.seconds} s measured after ${opts.warmup} s of load`);
  console.log(head(opts.variant, a));
  if (b) console.log(head(opts.against, b));
  const ta = tally(a);
  const tb = b ? tally(b) : null;
  const cols = b ? `${opts.variant.padStart(8)}${opts.against.padStart(8)}  difference` : '';
  console.log(`\nµs of CPU per request, by the innermost JavaScript function on the stack${b ? ` (${cols})` : ''}:`);
  const rows = (ma, mb, keys) => keys.map((k) => [k, ma.get(k) || 0, mb ? mb.get(k) || 0 : undefined])
    .sort((x, y) => (mb ? Math.abs(y[1] - y[2]) - Math.abs(x[1] - x[2]) : y[1] - x[1]));
  const line = ([k, x, y], label) => console.log(`${us(x)}${b ? `${us(y)}${us(x - y)}` : ''}  ${label || k}`);
  const union = (x, y) => [...new Set([...x.keys(), ...(y ? y.keys() : [])])];
  for (const row of rows(ta.groups, tb && tb.groups, union(ta.groups, tb && tb.groups))) line(row);
  const sum = (m) => [...m.values()].reduce((s, x) => s + x, 0);
  line(['', sum(ta.groups), tb ? sum(tb.groups) : undefined], 'all (sampled)');
  for (const group of ['ctxframe', 'Node internals']) {
    const keys = union(ta.fns, tb && tb.fns).filter((k) => k.startsWith(`${group}\t`));
    if (keys.length === 0) continue;
    console.log(`\n${group}, by function (top ${opts.top}):`);
    for (const row of rows(ta.fns, tb && tb.fns, keys).slice(0, opts.top)) line(row, row[0].split('\t')[1]);
  }
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.help) {
    const text = fs.readFileSync(__filename, 'utf8').split('\n');
    console.log(text.slice(2, text.findIndex((l, i) => i > 2 && !l.startsWith('//'))).map((l) => l.slice(3)).join('\n'));
    return;
  }
  requirePerf();
  if (opts.pin && os.cpus().length > 1) spawnSync('taskset', ['-a', '-p', '-c', '0', String(process.pid)]);
  const runtime = opts.only ? prepare(RUNTIMES.find((r) => r.name === opts.only), (m) => console.error(m)) : currentRuntime();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctxframe-profile-'));
  try {
    const a = await measure(runtime, opts, opts.variant, dir);
    const b = opts.against ? await measure(runtime, opts, opts.against, dir) : null;
    print(opts, runtime, a, b);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err && err.message ? err.message : err);
    process.exit(1);
  });
}

module.exports = { parseArgs, parseSamples, attribute, tally };
