'use strict';
// Owns: the measured server of the services benchmark — a small realistic service.
//   node [agent/register flags] bench/services/service.js '<json config>'
//   config: { variant, agent, pgUrl, downstream, profile?, broken? }
// Fastify 5 with its pino logger (to /dev/null; a mixin adds the request id from the service's
// own AsyncLocalStorage, as services do for log correlation), a pg pool, and GET /work doing what
// a handler does: a query (await 1), a fetch to the downstream service and its body (awaits 2, 3),
// a macrotask turn (await 4), a log line. The APM agent, when there is one, was preloaded on the
// command line.
//
// What every request checks, so that a broken variant fails instead of winning: after each await
// the service's own store is this request's (x-request-id); with an agent, there is a current
// trace at the start, no other request in flight has it, it is the same after every await, and
// the downstream received it in the agent's propagation header. Any difference answers 500 and is
// counted; the runner refuses the measurement. `broken` keeps the request in a module variable
// instead of the storage (what losing the context looks like): the harness's own check that a
// broken variant is reported as failing.
//
// Speaks bench/peers/server.js's line protocol (PORT, mark → MARKED, sample → SAMPLE, report →
// BENCH-RESULT); the result names the measured window on V8's profiler clock, so that a run
// started with --cpu-prof (run.js --profile) can be cut to it (profile.js).

const readline = require('node:readline');
const { AsyncLocalStorage } = require('node:async_hooks');
const { readConfig, report } = require('../lib/child.js');
const { currentTrace, propagatedTrace, normalTrace } = require('./agents.js');

const config = readConfig();
const current = currentTrace(config.agent);
const Fastify = require('fastify');
const pino = require('pino');
const { Pool } = require('pg');

const requestStore = new AsyncLocalStorage();
let shared = null; // the broken variant's "context"
const read = config.broken ? () => shared : () => requestStore.getStore();
const inFlight = new Map(); // traceId → request id
let failures = 0;
let abandoned = 0; // failed after the client had gone (see the error handler)
let firstFailure = null;

const fail = (message) => { throw new Error(message); };

async function main() {
  const pool = new Pool({ connectionString: config.pgUrl, max: 10 });
  const app = Fastify({
    logger: {
      level: 'info',
      stream: pino.destination({ dest: '/dev/null', sync: true }),
      mixin() {
        const store = read();
        return store ? { requestId: store.requestId } : {};
      },
    },
  });
  app.addHook('onRequest', (req, reply, done) => {
    const store = { requestId: String(req.headers['x-request-id']) };
    if (config.broken) {
      shared = store;
      done();
    } else {
      requestStore.run(store, done);
    }
  });
  app.setErrorHandler((err, req, reply) => {
    // The load generator closes its connections when its window ends, with requests in flight;
    // some agents (New Relic) end such a request's transaction at once, so its handler finds no
    // trace after its next await — on the built-in as on ctxframe. Nobody reads that answer: it
    // is counted apart. Every other failure fails the measurement.
    if (req.raw.socket === null || req.raw.socket.destroyed) {
      abandoned++;
    } else {
      failures++;
      if (!firstFailure) firstFailure = err.message;
    }
    reply.code(500).send(err.message);
  });

  app.get('/work', async (req) => {
    const id = String(req.headers['x-request-id']);
    const trace = current ? current() : null;
    const traceId = trace ? normalTrace(trace.traceId) : null;
    const expect = (where) => {
      const store = read();
      if (!store || store.requestId !== id) fail(`${where}: request ${id} read ${store && store.requestId}`);
      if (current) {
        const now = current();
        if (!now || normalTrace(now.traceId) !== traceId) fail(`${where}: request ${id} in trace ${traceId} saw ${now && now.traceId}`);
      }
    };
    if (current) {
      if (!trace || !trace.traceId) fail(`request ${id} has no current trace`);
      if (inFlight.has(traceId)) fail(`request ${id} shares trace ${traceId} with request ${inFlight.get(traceId)}`);
      inFlight.set(traceId, id);
    }
    try {
      expect('start');
      const { rows } = await pool.query('SELECT $1::text AS id, now() AS at', [id]);
      if (rows[0].id !== id) fail(`request ${id} got row ${rows[0].id}`);
      expect('after the query');
      const res = await fetch(`${config.downstream}/down?id=${encodeURIComponent(id)}`);
      const down = await res.json();
      if (down.id !== id) fail(`request ${id}: the downstream answered for ${down.id}`);
      expect('after the fetch');
      if (current && propagatedTrace(down.headers) !== traceId) {
        fail(`request ${id} in trace ${traceId}: the downstream got ${JSON.stringify(down.headers)}`);
      }
      await new Promise((resolve) => setImmediate(resolve));
      expect('after a macrotask turn');
      req.log.info({ rows: rows.length, downstream: res.status }, 'work done');
      return `ok ${id}`;
    } finally {
      if (current) inFlight.delete(traceId);
    }
  });

  let requests = 0;
  app.addHook('onResponse', (req, reply, done) => {
    requests++;
    done();
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  process.stdout.write(`PORT ${app.server.address().port}\n`);

  let mark = null;
  let reporting = false;
  const lines = readline.createInterface({ input: process.stdin });
  // The runner is gone (interrupted, or it died) before asking for the report: nothing will.
  lines.on('close', () => { if (!reporting) process.exit(1); });
  lines.on('line', async (line) => {
    const command = line.trim();
    if (command === 'mark') {
      mark = { requests, failures, cpu: process.cpuUsage(), start: process.hrtime.bigint() };
      process.stdout.write('MARKED\n');
    } else if (command === 'sample') {
      const cpu = process.cpuUsage(mark.cpu);
      const n = requests - mark.requests;
      mark = { requests, failures, cpu: process.cpuUsage(), start: process.hrtime.bigint() };
      process.stdout.write(`SAMPLE ${(cpu.user + cpu.system) / n} ${n}\n`);
    } else if (command === 'report') {
      reporting = true;
      const cpu = process.cpuUsage(mark.cpu);
      const ms = Number(process.hrtime.bigint() - mark.start) / 1e6;
      const n = requests - mark.requests;
      // The measured window on the clock V8's --cpu-prof stamps its samples with (µs, monotonic).
      const window = { fromUs: Number(mark.start / 1000n), toUs: Number(process.hrtime.bigint() / 1000n) };
      const store = new AsyncLocalStorage();
      const registered = store.constructor === require('../../lib/index.js').AsyncLocalStorage;
      const backend = registered ? require('../../lib/index.js').backend : 'builtin';
      report('services', { name: config.variant, kind: config.agent, count: 0, backend }, {
        'cpu µs/req': (cpu.user + cpu.system) / n,
        'req/s': n / (ms / 1000),
      }, { requests: n, failures, abandoned, firstFailure, registered, agent: config.agent, window });
      lines.close();
      await app.close();
      await pool.end();
      setTimeout(() => process.exit(0), 50).unref();
    }
  });
}

main().catch((err) => {
  console.error(err && err.stack ? err.stack : err);
  process.exit(1);
});
