'use strict';
// Owns: what `npm run bench:peers` measures — workloads, their variants in interleaved order, the
// reference each target is judged against, counts per mode and repetitions. Change counts here.
//
// A variant is `<framework>:<mechanism>` (see apps.js) or `otel:<manager>` (see otel.js); a
// `+register` suffix starts the same code under `-r ctxframe/register`, so every storage made
// through node:async_hooks is ctxframe's. Timing: a server variant costs ~0.4 s to start plus
// its settling and measured load; the full mode (6 runtimes × 5 repetitions) needs a quiet machine
// and about an hour. `extra` variants run only when named with --variants (they are
// informative, not part of a target, and the full run has no time for them).

const path = require('node:path');

const REGISTER = path.join(__dirname, '..', '..', 'lib', 'register.js');
const SERVER = path.join(__dirname, 'server.js');
const OTEL = path.join(__dirname, 'otel.js');

// Servers are measured at steady state. A fixed warm-up of a few hundred or thousand requests
// measures JIT compilation and heap growth instead, and those last longer for a variant with more
// code: on a quiet machine (Node 24, Fastify) every variant's CPU per request still fell by ~25 %
// between 10,000 and 40,000 requests, the kit's most. So each server is loaded in windows of
// `windowRequests` until two successive windows' CPU per request agree within `tolerance`
// (bench/lib/execute.js, settle), then measured for `durationS`.
const settle = (windowRequests) => ({ windowRequests, minWindows: 3, maxWindows: 8, tolerance: 0.03 });
const serverConfig = { quick: { settle: settle(4000), durationS: 1 }, full: { settle: settle(4000), durationS: 1 } };

const WORKLOADS = {
  fastify: {
    title: 'Fastify 5',
    describe: 'GET with the context read, a value added and read again after awaits in the handler',
    script: SERVER,
    server: true,
    variants: ['none', 'kit', 'frc', 'frc+register'],
    extra: ['als-1', 'kit-notrace', 'kit-enrich'],
    reference: 'frc',
    target: { variant: 'kit', frame: 1.0, carrier: 1.0 },
    config: serverConfig,
  },
  http: {
    title: 'node:http',
    describe: 'the same handler on a bare node:http server',
    script: SERVER,
    server: true,
    variants: ['none', 'kit', 'als-1', 'als-5', 'als-20', 'cls'],
    extra: ['als-20+register', 'kit-notrace'],
    reference: 'als-1',
    target: { variant: 'kit', frame: 1.0, carrier: 1.0 },
    config: serverConfig,
  },
  express: {
    title: 'Express 5',
    describe: 'the same handler as an Express route after the context middleware',
    script: SERVER,
    server: true,
    variants: ['kit', 'kit-server', 'als-1'],
    extra: ['none', 'cls', 'kit-notrace'],
    reference: 'als-1',
    target: { variant: 'kit', frame: 1.0, carrier: 1.0 },
    config: serverConfig,
  },
  koa: {
    title: 'Koa 3',
    describe: 'the same handler as a Koa middleware after the context middleware',
    script: SERVER,
    server: true,
    variants: ['kit', 'als-1'],
    extra: ['none', 'kit-notrace'],
    reference: 'als-1',
    target: { variant: 'kit', frame: 1.0, carrier: 1.0 },
    config: serverConfig,
  },
  otel: {
    title: 'OpenTelemetry spans',
    describe: 'a root span and 20 nested child spans with awaits per request, 10 requests at a time, BasicTracerProvider + in-memory exporter',
    script: OTEL,
    server: false,
    variants: ['none', 'ctxframe', 'als', 'als+register', 'hooks'],
    reference: 'als',
    target: { variant: 'ctxframe', frame: 0.85, carrier: 1.0 },
    config: {
      quick: { requests: 2000, warmup: 4000, depth: 20, concurrency: 10 },
      full: { requests: 2000, warmup: 4000, depth: 20, concurrency: 10 },
    },
  },
};

const DEFAULT_REPS = { quick: 3, full: 5 };

// What the workload process is started with for a variant: the script and its extra flags.
function specFor(workload, variant) {
  const w = WORKLOADS[workload];
  return {
    script: w.script,
    server: w.server,
    flags: variant.endsWith('+register') ? ['-r', REGISTER] : [],
  };
}

// The full variant name the workload process receives (`fastify:kit`, `otel:als+register`).
const variantId = (workload, variant) => `${workload}:${variant}`;

module.exports = { WORKLOADS, DEFAULT_REPS, specFor, variantId };
