'use strict';
// Owns: what each mode runs — workloads, their counts per mode, storage counts, repetitions.
// Quick (`npm run bench`) must finish in under 3 minutes on a 2-core machine; full (`npm run
// bench:full`) runs the whole runtime matrix in about 25 minutes. Change counts here, nowhere else.
// Measured on the 2-core dev machine under load (load average 3–8): the slowest parts of a full
// run are timers (2e5 callbacks × 3 kinds per process) and memory (100,000 requests per process),
// hence 1 and 10 storages only for timers and no sanity variant for memory.

const WORKLOADS = {
  awaits: {
    title: 'awaits',
    describe: 'one async fn awaiting trivial async calls inside a context, store read every 100',
    counts: { quick: [1, 10], full: [1, 5, 10, 50] },
    config: { quick: { iterations: 2e5, warmup: 2e4 }, full: { iterations: 1e6, warmup: 5e4 } },
  },
  fanout: {
    title: 'fan-out',
    describe: 'Promise.all of 10 async fns (one await + store read each)',
    counts: { quick: [1, 10], full: [1, 10, 50] },
    // 1e3 warm-up rounds left the measured 1e4 tiering up (no-context 27 vs 18 CPU ms on Node 24).
    config: { quick: { iterations: 2e3, warmup: 1e3 }, full: { iterations: 1e4, warmup: 5e3 } },
  },
  timers: {
    title: 'timers',
    describe: 'nextTick / setImmediate / setTimeout(0) callbacks scheduled inside a context, each reading the store',
    counts: { quick: [1, 10], full: [1, 10] },
    config: { quick: { count: 1e4, warmup: 1e3 }, full: { count: 2e5, warmup: 1e4 } },
  },
  micro: {
    title: 'micro',
    describe: 'ns per run() / getStore() / enterWith() / run() after 10 more storages were used',
    counts: { quick: [1, 10], full: [1, 10, 50] },
    // 150 ms warm-up: with 20 ms the frame backend's run() without its native part was measured
    // before TurboFan had compiled it (145 ns against 50 ns, Node 24, same machine and load).
    config: { quick: { sampleMs: 1, samples: 15, warmupMs: 150 }, full: { sampleMs: 1, samples: 40, warmupMs: 150 } },
  },
  spans: {
    title: 'spans',
    describe: 'a request-like unit opening 50 nested spans (run() + await each)',
    counts: { quick: [1, 10], full: [1, 10, 50] },
    // Long warm-up: with 100 warm-up units the measured 1,000 were still mostly tiering up
    // (no-context 22 µs/unit vs 8 µs/unit in steady state on Node 24).
    config: { quick: { units: 1000, depth: 50, warmup: 500 }, full: { units: 3000, depth: 50, warmup: 1000 } },
  },
  http: {
    title: 'http',
    describe: 'node:http, every request in a context, 3 awaits, store read; autocannon on loopback',
    server: true,
    counts: { quick: [1, 10], full: [1, 10] },
    config: { quick: { warmupS: 0.3, durationS: 1 }, full: { warmupS: 0.3, durationS: 1.5 } },
  },
  memory: {
    title: 'memory',
    describe: 'heap after N requests of the http workload and a forced GC (--expose-gc); retained = growth since a GC after the warm-up requests',
    server: true,
    flags: ['--expose-gc'],
    counts: { quick: [1], full: [1] },
    sanity: false, // ctxframe-builtin adds nothing to a heap measurement and costs 100,000 requests
    // Pipelined load: the server does the same work per request, the 100,000 requests just take
    // a third of the time. Only the heap is measured here; req/s comes from the http workload.
    load: { pipelining: 10 },
    config: { quick: { warmupRequests: 1000, requests: 5e3 }, full: { warmupRequests: 2000, requests: 1e5 } },
  },
  scaling: {
    title: 'scaling',
    describe: 'run/getStore/enterWith with 1, 1,000 and 10,000 live storages; run with 10,000 disabled; a storage per request',
    counts: { quick: [1], full: [1] },
    sanity: false, // what it measures is the backend's own representation
    config: {
      quick: { live: 1e4, sampleMs: 1, samples: 9, warmupMs: 20, warmupRequests: 500, requests: 5e3 },
      full: { live: 1e4, sampleMs: 1, samples: 25, warmupMs: 60, warmupRequests: 2000, requests: 2e4 },
    },
  },
};

const DEFAULT_REPS = { quick: 5, full: 5 };

// The interleaved variant order of one repetition for the given storage counts.
function variantsFor(counts, spec = {}) {
  const list = ['none'];
  for (const n of counts) list.push(`builtin-${n}`, `ctxframe-${n}`);
  if (counts.includes(1) && spec.sanity !== false) list.push('ctxframe-builtin');
  return list;
}

module.exports = { WORKLOADS, DEFAULT_REPS, variantsFor };
