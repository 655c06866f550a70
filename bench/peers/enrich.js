#!/usr/bin/env node
'use strict';
// Owns: what adding one field to the running request costs — ctxframe's requestContext.enrich()
// beside @fastify/request-context's set() — per add, inside a request's context of the same
// fields (requestId, tenantId, userId and the trace fields ingress makes). Every variant runs in
// its own process, variants interleaved, `--reps` repetitions (default 5); prints the median
// ns per add and the ratio to set().
//
//   node bench/peers/enrich.js [--reps N] [--ops N]
//
// `add` is the add alone; `add+read` also reads the field back once (what a request that adds a
// field then logs does: enrich() pays its copy at the add, set() nothing at the read).

const { spawnSync } = require('node:child_process');

const VARIANTS = ['frc-set', 'kit-enrich', 'kit-enrich-field', 'frc-set+read', 'kit-enrich+read', 'kit-enrich-field+read'];

function base() {
  return {
    requestId: 'req-1', tenantId: 'acme', traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: '00f067aa0ba902b7', parentSpanId: '00f067aa0ba902b8', traceFlags: '01',
  };
}

function measure(variant, ops) {
  const read = variant.endsWith('+read');
  let add;
  let get;
  let enter;
  if (variant.startsWith('frc')) {
    const { requestContext } = require('@fastify/request-context');
    const als = require('@fastify/request-context').asyncLocalStorage;
    add = (i) => requestContext.set('userId', `user-${i & 1023}`);
    get = () => requestContext.get('userId');
    enter = (fn) => als.run({ ...base() }, fn);
  } else {
    const { requestContext } = require('ctxframe/context');
    add = variant.includes('field') ? (i) => requestContext.enrich('userId', `user-${i & 1023}`) : (i) => requestContext.enrich({ userId: `user-${i & 1023}` });
    get = () => requestContext.get('userId');
    enter = (fn) => requestContext.run(base(), fn);
  }
  return enter(() => {
    let sink = 0;
    const loop = (n) => {
      for (let i = 0; i < n; i++) {
        add(i);
        if (read) sink += get().length;
      }
    };
    loop(Math.min(ops, 200000)); // warm-up
    const start = process.hrtime.bigint();
    loop(ops);
    const ns = Number(process.hrtime.bigint() - start) / ops;
    if (sink < 0) throw new Error('unreachable');
    return ns;
  });
}

function main() {
  const args = process.argv.slice(2);
  const value = (name, fallback) => {
    const i = args.indexOf(name);
    return i === -1 ? fallback : Number(args[i + 1]);
  };
  if (args[0] === '--child') {
    process.stdout.write(`${measure(args[1], Number(args[2]))}\n`);
    return;
  }
  const reps = value('--reps', 5);
  const ops = value('--ops', 2e6);
  const results = Object.fromEntries(VARIANTS.map((v) => [v, []]));
  for (let r = 0; r < reps; r++) {
    for (const variant of VARIANTS) {
      const out = spawnSync(process.execPath, [...process.execArgv, __filename, '--child', variant, String(ops)], { encoding: 'utf8' });
      if (out.status !== 0) throw new Error(`${variant} failed:\n${out.stderr}`);
      results[variant].push(Number(out.stdout));
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const backend = require('ctxframe').backend;
  console.log(`node ${process.version} ${process.execArgv.join(' ')} (ctxframe backend ${backend}), ${reps} interleaved reps of ${ops} adds`);
  for (const variant of VARIANTS) {
    const m = median(results[variant]);
    const ref = median(results[variant.endsWith('+read') ? 'frc-set+read' : 'frc-set']);
    const range = `${Math.min(...results[variant]).toFixed(1)}-${Math.max(...results[variant]).toFixed(1)}`;
    console.log(`${variant.padEnd(16)} ${m.toFixed(1).padStart(7)} ns/add  (range ${range})  ×${(m / ref).toFixed(2)} of set()`);
  }
}

main();
