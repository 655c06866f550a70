'use strict';
// Owns: the service under test of `npm run stress` (bench/stress/run.js starts one per backend).
// A real HTTP service built from the kit's public modules: one node:http server that serves
// /http/* through ctxframe/http and mounts an Express 5 app (ctxframe/express) for /express/*;
// pino logging through ctxframe/pino; an outbound call to a second local server (itself behind
// ctxframe/http) through ctxframe/outbound (http.request on a keep-alive agent);
// a shared ctxframe/gate; a hand-off to worker threads through ctxframe/worker.
//
// Every request runs in its own context in several storages (the request context, three ctxframe
// storages, one node:async_hooks storage) and crosses every kind of async boundary, checking at
// each step that all five storages hold this request's values. A failed check is a mismatch:
// counted, the first ones described, and the response says so (the driver counts those too).
//
// Talks to its parent over IPC: sends { type: 'ready', port } once listening; answers
// { type: 'stats' } with counters and process CPU time; exits on { type: 'stop' }.

const http = require('node:http');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const zlib = require('node:zlib');
const crypto = require('node:crypto');
const events = require('node:events');
const { Readable, Writable, Transform } = require('node:stream');
const { pipeline } = require('node:stream/promises');
const timersPromises = require('node:timers/promises');
const { Worker } = require('node:worker_threads');
const builtin = require('node:async_hooks');

const { AsyncLocalStorage, backend } = require('ctxframe');
const { requestContext } = require('ctxframe/context');
const { withRequestContext } = require('ctxframe/http');
const { requestContextMiddleware } = require('ctxframe/express');
const { pinoMixin } = require('ctxframe/pino');
const { installOutbound } = require('ctxframe/outbound');
const { AsyncGate } = require('ctxframe/gate');
const { postWithContext, onContextMessage } = require('ctxframe/worker');
const express = require('express');
const pino = require('pino');

const WORKERS = Number(process.env.STRESS_WORKERS || 2);
const GATE_CONCURRENCY = 64;

// ---- the storages every request fills ----------------------------------------------------------
const storeA = new AsyncLocalStorage({ name: 'stress.a' });
const storeB = new AsyncLocalStorage({ name: 'stress.b' });
const storeC = new AsyncLocalStorage({ name: 'stress.c' });
const nodeStore = new builtin.AsyncLocalStorage(); // Node's own, beside ctxframe's

const stats = {
  requests: 0, checks: 0, mismatches: 0, examples: [], errors: 0, errorExamples: [],
  logLines: 0, logMismatches: 0, upstream: 0, workerReplies: 0,
};

function note(list, text) {
  if (list.length < 10) list.push(text);
}

// One request's expected view: { id, a, b, c, n }.
function check(me, step) {
  stats.checks++;
  const ctx = requestContext.currentOrNull();
  const got = ctx === null ? undefined : ctx.requestId;
  const a = storeA.getStore();
  const b = storeB.getStore();
  const c = storeC.getStore();
  const n = nodeStore.getStore();
  if (got === me.id && a === me.a && b === me.b && c === me.c && n === me.n) return;
  stats.mismatches++;
  note(stats.examples, `${step}: expected ${me.id}, saw context=${got} a=${a && a.id} b=${b && b.id} ` +
    `c=${c && c.id} node=${n && n.id}`);
  me.failed = true;
}

// ---- pino: every line must carry the requestId of the request that logged it ------------------
const destination = {
  write(line) {
    stats.logLines++;
    const ctxId = /"requestId":"([^"]*)"/.exec(line);
    const own = /"own":"([^"]*)"/.exec(line);
    if (!ctxId || !own || ctxId[1] !== own[1]) {
      stats.logMismatches++;
      stats.mismatches++;
      note(stats.examples, `pino line carries another request's context: ${line.trim().slice(0, 200)}`);
    }
  },
};
const log = pino({ base: null, timestamp: false, mixin: pinoMixin() }, destination);

// ---- shared machinery that runs outside any request --------------------------------------------
const gate = new AsyncGate({ concurrency: GATE_CONCURRENCY });
const tmpFile = path.join(os.tmpdir(), `ctxframe-stress-${process.pid}.txt`);
fs.writeFileSync(tmpFile, 'ctxframe stress\n'.repeat(64));

// Callbacks queued by requests, drained by one interval created at startup (no context): a
// snapshot or a bound function must bring its own request's context back.
const drainQueue = [];
const drainTimer = setInterval(() => {
  const batch = drainQueue.splice(0, drainQueue.length);
  for (const fn of batch) fn();
}, 1);
drainTimer.unref();

// Workers: replies come back with postWithContext and are handled in the carried context.
const pendingWork = new Map();
let workId = 0;
const workers = [];
for (let i = 0; i < WORKERS; i++) {
  const worker = new Worker(path.join(__dirname, 'worker.js'));
  onContextMessage((reply) => {
    const pending = pendingWork.get(reply.id);
    if (!pending) return;
    pendingWork.delete(reply.id);
    stats.workerReplies++;
    const ctx = requestContext.currentOrNull();
    if (!reply.ok || ctx === null || ctx.requestId !== pending.me.id) {
      pending.reject(new Error(`worker saw ${reply.seen}, reply ran in ${ctx && ctx.requestId}, expected ${pending.me.id}`));
    } else {
      pending.resolve();
    }
  }, { port: worker });
  worker.unref();
  workers.push(worker);
}
let nextWorker = 0;

function toWorker(me) {
  return new Promise((resolve, reject) => {
    const id = ++workId;
    pendingWork.set(id, { me, resolve, reject });
    postWithContext(workers[nextWorker++ % workers.length], { id, requestId: me.id });
  });
}

// ---- the second local server, reached through ctxframe/outbound --------------------------------
const upstream = http.createServer(withRequestContext((req, res) => {
  const ctx = requestContext.current();
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ requestId: ctx.requestId, traceId: ctx.traceId, parentSpanId: ctx.parentSpanId }));
}));
upstream.keepAliveTimeout = 60000;
const upstreamAgent = new http.Agent({ keepAlive: true, maxSockets: 64 });
installOutbound();

function viaHttpRequest(port) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/upstream', agent: upstreamAgent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => { body += chunk; });
      res.on('end', () => resolve(body));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

async function callUpstream(me) {
  const body = await viaHttpRequest(upstream.address().port);
  check(me, 'after outbound http.request');
  stats.upstream++;
  const seen = JSON.parse(body);
  const ctx = requestContext.current();
  if (seen.requestId !== me.id || seen.traceId !== ctx.traceId || seen.parentSpanId !== ctx.spanId) {
    stats.mismatches++;
    note(stats.examples, `upstream saw ${body}, expected requestId ${me.id} trace ${ctx.traceId}/${ctx.spanId}`);
    me.failed = true;
  }
}

// ---- the async boundaries ------------------------------------------------------------------------
function cb2promise(me, step, start) {
  return new Promise((resolve, reject) => {
    start((err) => {
      check(me, step);
      if (err) reject(err); else resolve();
    });
  });
}

async function* ticks(me) {
  for (let i = 0; i < 3; i++) {
    check(me, `async generator before yield ${i}`);
    yield i;
    await timersPromises.setImmediate();
  }
}

async function boundaries(me) {
  check(me, 'start');
  await null;
  check(me, 'await');
  await Promise.all([
    new Promise((r) => setTimeout(() => { check(me, 'setTimeout'); r(); }, 1)),
    new Promise((r) => setImmediate(() => { check(me, 'setImmediate'); r(); })),
    new Promise((r) => process.nextTick(() => { check(me, 'nextTick'); r(); })),
    new Promise((r) => queueMicrotask(() => { check(me, 'queueMicrotask'); r(); })),
    timersPromises.setTimeout(1).then(() => check(me, 'timers/promises setTimeout')),
    timersPromises.setImmediate().then(() => check(me, 'timers/promises setImmediate')),
  ]);
  check(me, 'Promise.all');
  await Promise.allSettled([Promise.reject(new Error('x')), timersPromises.setImmediate()]);
  check(me, 'Promise.allSettled');
  await Promise.race([timersPromises.setImmediate(), new Promise((r) => setTimeout(r, 5))]);
  check(me, 'Promise.race');
  await Promise.any([Promise.reject(new Error('x')), new Promise((r) => process.nextTick(r))]);
  check(me, 'Promise.any');
  await { then(resolve) { check(me, 'thenable then()'); setImmediate(resolve); } };
  check(me, 'await thenable');
  for await (const i of ticks(me)) check(me, `for await ${i}`);
  check(me, 'after async generator');

  await fs.promises.readFile(tmpFile);
  check(me, 'fs.promises.readFile');
  await cb2promise(me, 'fs.stat callback', (done) => fs.stat(tmpFile, done));
  await cb2promise(me, 'zlib.gzip callback', (done) => zlib.gzip(me.id, done));
  await cb2promise(me, 'crypto.randomBytes callback', (done) => crypto.randomBytes(16, done));

  await pipeline(
    Readable.from([me.id, '-', me.id]),
    new Transform({ transform(chunk, enc, cb) { check(me, 'stream transform'); setImmediate(cb, null, chunk); } }),
    new Writable({ write(chunk, enc, cb) { check(me, 'stream write'); setImmediate(cb); } }),
  );
  check(me, 'stream.pipeline');

  // EventEmitter: a plain emitter emitted from a timer of this request; an
  // EventEmitterAsyncResource emitted from the shared drain interval (another context).
  const plain = new events.EventEmitter();
  const plainDone = events.once(plain, 'ping').then(() => check(me, 'after events.once'));
  plain.on('ping', () => check(me, 'EventEmitter listener'));
  setTimeout(() => plain.emit('ping'), 0);
  await plainDone;
  const bound = new events.EventEmitterAsyncResource({ name: 'stress' });
  await new Promise((resolve) => {
    bound.on('ping', () => { check(me, 'EventEmitterAsyncResource listener'); resolve(); });
    drainQueue.push(() => bound.emit('ping'));
  });
  bound.emitDestroy();

  // bind / snapshot, called from the shared interval.
  await new Promise((resolve) => {
    const snapshot = AsyncLocalStorage.snapshot();
    drainQueue.push(() => snapshot(() => { check(me, 'AsyncLocalStorage.snapshot()'); resolve(); }));
  });
  await new Promise((resolve) => {
    drainQueue.push(AsyncLocalStorage.bind(() => { check(me, 'AsyncLocalStorage.bind()'); resolve(); }));
  });

  // A shared gate: the task starts when some other request frees a slot.
  await gate.run(async () => {
    check(me, 'gate task');
    await timersPromises.setImmediate();
    check(me, 'gate task after await');
  });
  check(me, 'after gate');

  await toWorker(me);
  check(me, 'after worker hand-off');
}

// One request: fill the ctxframe and node storages with fresh objects, then do everything.
async function handle(req, res, framework) {
  stats.requests++;
  const ctx = requestContext.current();
  const headerId = req.headers['x-request-id'];
  const me = { id: ctx.requestId, a: { id: ctx.requestId }, b: { id: ctx.requestId }, c: { id: ctx.requestId }, n: { id: ctx.requestId }, failed: false };
  if (headerId !== undefined && headerId !== me.id) {
    stats.mismatches++;
    note(stats.examples, `ingress context has requestId ${me.id}, header says ${headerId}`);
    me.failed = true;
  }
  await storeA.run(me.a, () => storeB.run(me.b, () => nodeStore.run(me.n, async () => {
    storeC.enterWith(me.c);
    log.info({ own: me.id, framework }, 'request start');
    await boundaries(me);
    await callUpstream(me);
    log.info({ own: me.id }, 'request end');
    check(me, 'end');
  })));
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ requestId: me.id, ok: !me.failed }));
}

function fail(res, err) {
  stats.errors++;
  note(stats.errorExamples, String(err && err.stack ? err.stack : err).split('\n').slice(0, 3).join(' | '));
  if (!res.headersSent) {
    res.statusCode = 500;
    res.end('{"ok":false}');
  } else {
    res.destroy();
  }
}

const app = express();
app.use(requestContextMiddleware());
app.get('/express/:n', (req, res) => handle(req, res, 'express').catch((err) => fail(res, err)));

const plainHandler = withRequestContext((req, res) => handle(req, res, 'http').catch((err) => fail(res, err)));
const server = http.createServer((req, res) => {
  if (req.url.startsWith('/express/')) app(req, res);
  else plainHandler(req, res);
});
server.keepAliveTimeout = 60000;
server.maxConnections = 100000;

let cpuAtStart = process.cpuUsage();
process.on('message', (msg) => {
  if (msg.type === 'reset') {
    cpuAtStart = process.cpuUsage();
    for (const key of ['requests', 'checks', 'logLines', 'upstream', 'workerReplies']) stats[key] = 0;
    process.send({ type: 'reset' });
  } else if (msg.type === 'stats') {
    const cpu = process.cpuUsage(cpuAtStart);
    process.send({ type: 'stats', stats, cpuUs: cpu.user + cpu.system, backend, rssBytes: process.memoryUsage().rss });
  } else if (msg.type === 'stop') {
    fs.rmSync(tmpFile, { force: true });
    process.exit(0);
  }
});

upstream.listen(0, '127.0.0.1', () => {
  server.listen(0, '127.0.0.1', 511 * 8, () => {
    process.send({ type: 'ready', port: server.address().port, backend, node: process.version, execArgv: process.execArgv });
  });
});
