'use strict';
// Owns: what ctxframe/doctor costs. A request-shaped workload (concurrent "requests", each
// awaiting a chain of async calls, a timer hop and a socket-free callback, reading its context
// at every step and asserting it is its own) runs in its own process per variant, interleaved:
//
//   none             no context (the floor)
//   builtin          node's AsyncLocalStorage
//   ctxframe         ctxframe's requestContext, doctor off (its module loaded, not preloaded)
// (every variant validates and freezes the context with requestContext.freeze(), as run() does)
//   ctxframe-doctor  the same under `node -r ctxframe/doctor`
//
//   node bench/doctor.js [--reps 5] [--requests 20000]
// Prints medians of CPU per request (user + system, GC included) and of requests/s per variant,
// and ratios to ctxframe (doctor off) and to the built-in. The doctor-on ÷ doctor-off CPU ratio
// is the number that matters: doctor is for staging and load tests, and must not change what a
// load test measures by more than 2×.

const path = require('node:path');
const os = require('node:os');
const { spawnSync } = require('node:child_process');

const VARIANTS = ['none', 'builtin', 'ctxframe', 'ctxframe-doctor'];

function child(variant, requests) {
  const { AsyncLocalStorage } = require('node:async_hooks');
  if (variant === 'ctxframe-doctor' && !require('ctxframe/doctor').enabled) throw new Error('doctor is not on');
  if (variant === 'ctxframe' && require('ctxframe/doctor').enabled) throw new Error('doctor is on');
  // Every variant validates and freezes its context the way requestContext.run() does, so the
  // variants differ only in how the context is carried.
  const { requestContext: kit } = require('ctxframe/context');
  const freeze = (ctx) => kit.freeze(ctx);
  let run;
  let read;
  if (variant === 'none') {
    let current;
    run = (ctx, fn) => { const prior = current; current = freeze(ctx); try { return fn(); } finally { current = prior; } };
    read = () => current;
  } else if (variant === 'builtin') {
    const als = new AsyncLocalStorage();
    run = (ctx, fn) => als.run(freeze(ctx), fn);
    read = () => als.getStore();
  } else {
    run = (ctx, fn) => kit.run(ctx, fn);
    read = () => kit.current();
  }
  const check = (id) => {
    // 'none' has no async propagation: it only checks the synchronous read.
    if (variant !== 'none' && read().requestId !== id) throw new Error(`${variant}: wrong context`);
  };
  async function step(id, i) {
    await null;
    check(id);
    return i + 1;
  }
  async function request(id) {
    let n = 0;
    for (let i = 0; i < 10; i++) n = await step(id, n);
    await new Promise((resolve) => setImmediate(resolve));
    check(id);
    await new Promise((resolve) => process.nextTick(resolve));
    check(id);
    return n;
  }
  const CONCURRENCY = 50;
  let next = 0;
  async function worker() {
    while (next < requests) {
      const id = `r${next++}`;
      const n = await run({ requestId: id }, () => { check(id); return request(id); });
      if (n !== 10) throw new Error('bad result');
    }
  }
  const start = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  Promise.all(Array.from({ length: CONCURRENCY }, worker)).then(() => {
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    const used = process.cpuUsage(cpu);
    const cpuUs = (used.user + used.system) / requests; // µs of CPU per request, GC included
    process.stdout.write(`${JSON.stringify({ variant, rps: requests / (ms / 1000), cpuUs })}\n`);
  });
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function main() {
  const args = process.argv.slice(2);
  const opt = (name, dflt) => { const i = args.indexOf(name); return i === -1 ? dflt : Number(args[i + 1]); };
  const reps = opt('--reps', 5);
  const requests = opt('--requests', 20000);
  const results = Object.fromEntries(VARIANTS.map((v) => [v, []]));
  const cpu = Object.fromEntries(VARIANTS.map((v) => [v, []]));
  const load = os.loadavg()[0];
  for (let r = 0; r < reps; r++) {
    for (const variant of VARIANTS) {
      const pre = variant === 'ctxframe-doctor' ? ['-r', 'ctxframe/doctor'] : [];
      const out = spawnSync(process.execPath, [...process.execArgv, ...pre, __filename, '--child', variant, String(requests)], {
        cwd: path.resolve(__dirname, '..'), encoding: 'utf8', env: { ...process.env, CTXFRAME_DOCTOR: '' },
      });
      if (out.status !== 0) throw new Error(`${variant} failed:\n${out.stderr}`);
      const line = out.stdout.trim().split('\n').find((l) => l.startsWith('{'));
      const parsed = JSON.parse(line);
      results[variant].push(parsed.rps);
      cpu[variant].push(parsed.cpuUs);
    }
  }
  const backend = spawnSync(process.execPath, [...process.execArgv, '-p', "require('ctxframe').backend"], {
    cwd: path.resolve(__dirname, '..'), encoding: 'utf8',
  }).stdout.trim();
  console.log(`doctor bench: node ${process.version} ${process.execArgv.join(' ')} (backend ${backend}), ` +
    `${requests} requests x ${reps} reps, load ${load.toFixed(2)} -> ${os.loadavg()[0].toFixed(2)}`);
  const m = Object.fromEntries(VARIANTS.map((v) => [v, median(results[v])]));
  const c = Object.fromEntries(VARIANTS.map((v) => [v, median(cpu[v])]));
  for (const v of VARIANTS) {
    console.log(`  ${v.padEnd(16)} ${c[v].toFixed(1).padStart(7)} µs CPU/request  x${(c[v] / c.ctxframe).toFixed(2)} of ctxframe` +
      `  x${(c[v] / c.builtin).toFixed(2)} of built-in   ${Math.round(m[v]).toString().padStart(8)} req/s`);
  }
  console.log(`  doctor on ÷ off, CPU per request: ${(c['ctxframe-doctor'] / c.ctxframe).toFixed(2)}× ` +
    `(spread of doctor-on runs ${Math.min(...cpu['ctxframe-doctor']).toFixed(1)}–${Math.max(...cpu['ctxframe-doctor']).toFixed(1)} µs)`);
}

if (process.argv[2] === '--child') child(process.argv[3], Number(process.argv[4]));
else main();
