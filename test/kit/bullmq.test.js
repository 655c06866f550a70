'use strict';
// ctxframe/bullmq against a real redis-server: the producer (this process) adds jobs inside
// request contexts; a worker in a separate process (fixtures/bullmq-worker.js) processes each
// job in its producer's context, including on retries; a job without _ctx runs fresh, warns once.
// End to end: the worker's log lines, outbound HTTP calls (ctxframe/outbound) and SQL comments
// in a real PostgreSQL's statement log (ctxframe/kysely) carry the producer's requestId.

const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const http = require('node:http');
const path = require('node:path');
const readline = require('node:readline');
const { Queue } = require('bullmq');
const { startRedis } = require('../support/redis.js');
const { startPostgres } = require('../support/postgres.js');
const { requestContext } = require('ctxframe/context');
const { addJob, contextQueue, contextProcessor } = require('ctxframe/bullmq');

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const FIXTURE = path.join(__dirname, 'fixtures', 'bullmq-worker.js');

// Starts the worker process; resolves once it is ready. `lines` collects its parsed log lines.
function startWorker(...args) {
  const child = spawn(process.execPath, [...process.execArgv, FIXTURE, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const state = { child, lines: [], stderr: '', waiters: [], exited: false };
  child.stderr.on('data', (c) => { state.stderr += c; });
  child.on('exit', () => { state.exited = true; state.notify(); });
  state.notify = () => { for (const w of state.waiters.slice()) w(); };
  readline.createInterface({ input: child.stdout }).on('line', (line) => {
    let parsed;
    try { parsed = JSON.parse(line); } catch { parsed = { unparsed: line }; }
    state.lines.push(parsed);
    state.notify();
  });
  // Resolves when predicate(lines) holds; rejects if the worker dies or after timeoutMs.
  state.waitFor = (predicate, what, timeoutMs = 15000) => new Promise((resolve, reject) => {
    const check = () => {
      if (predicate(state.lines)) { done(); resolve(); } else if (state.exited) {
        done(); reject(new Error(`worker exited while waiting for ${what}; stderr:\n${state.stderr}`));
      }
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`timed out waiting for ${what}; ${state.lines.length} lines; stderr:\n${state.stderr}`));
    }, timeoutMs);
    const done = () => { clearTimeout(timer); state.waiters.splice(state.waiters.indexOf(check), 1); };
    state.waiters.push(check);
    check();
  });
  state.stop = async () => {
    if (state.exited) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  return state;
}

describe('ctxframe/bullmq (real redis-server, worker in a separate process)', function () {
  let redis;
  let pg;
  let httpServer;
  const httpSeen = []; // { key, requestId } per request the worker made
  let worker;
  let queue;

  before(async () => {
    [redis, pg] = await Promise.all([startRedis(), startPostgres()]);
    httpServer = http.createServer((req, res) => {
      httpSeen.push({ key: new URL(req.url, 'http://x').searchParams.get('key'), requestId: req.headers['x-request-id'] });
      res.end('ok');
    });
    await new Promise((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
    const queueName = `ctxframe-test-${process.pid}`;
    const { hostname, port } = new URL(redis.url);
    queue = new Queue(queueName, { connection: { host: hostname, port: Number(port) } });
    worker = startWorker(redis.url, queueName, `http://127.0.0.1:${httpServer.address().port}`, pg.connectionString);
    await worker.waitFor((lines) => lines.some((l) => l.msg === 'ready'), 'worker ready');
  });

  after(async () => {
    if (worker) await worker.stop();
    if (queue) await queue.close();
    if (httpServer) await new Promise((resolve) => httpServer.close(resolve));
    await Promise.all([redis && redis.stop(), pg && pg.stop()]);
  });

  it('processes 1,000 jobs from 50 concurrent contexts, each in its producer\'s context; retries keep it; a job without _ctx runs fresh and warns once', async () => {

    const expected = new Map(); // job key -> { requestId, tenantId }
    const producer = contextQueue(queue);
    const CONTEXTS = 50;
    const JOBS_PER_CONTEXT = 20;
    await Promise.all(Array.from({ length: CONTEXTS }, (_, c) => requestContext.withContext(
      { requestId: `producer-${c}-${Math.random().toString(36).slice(2)}`, tenantId: `tenant-${c % 7}` },
      async () => {
        const { requestId, tenantId } = requestContext.current();
        const keys = Array.from({ length: JOBS_PER_CONTEXT }, (_, j) => `c${c}-j${j}`);
        for (const key of keys) expected.set(key, { requestId, tenantId });
        if (c % 2 === 0) {
          // one job at a time, yielding between adds so the 50 producers interleave
          for (const key of keys) await producer.add('work', { key, delayMs: (c + key.length) % 3 });
        } else {
          await producer.addBulk(keys.map((key) => ({ name: 'work', data: { key } })));
        }
      })));
    assert.equal(expected.size, CONTEXTS * JOBS_PER_CONTEXT);

    // A job that fails its first attempt, added with addJob (attempts: 3).
    const retry = await requestContext.withContext({ requestId: 'retry-producer', tenantId: 'tenant-r' },
      () => addJob(queue, 'work', { key: 'retry', failFirst: true }, { attempts: 3 }));
    assert.equal(retry.data._ctx.ctx.requestId, 'retry-producer');
    // Two jobs added with the plain queue (no _ctx), even from inside a context.
    await requestContext.withContext({ requestId: 'not-carried' }, async () => {
      await queue.add('work', { key: 'plain-1' });
      await queue.add('work', { key: 'plain-2' });
    });

    const processed = (l) => l.msg === 'processed';
    await worker.waitFor((lines) => lines.filter(processed).length >= expected.size + 4,
      `${expected.size + 4} processed jobs`);

    const lines = worker.lines.filter(processed);
    const byKey = new Map();
    for (const line of lines) byKey.set(line.key, [...(byKey.get(line.key) || []), line]);

    let checked = 0;
    for (const [key, want] of expected) {
      const got = byKey.get(key);
      assert.equal(got && got.length, 1, `job ${key} processed once`);
      assert.equal(got[0].seenInContext, want.requestId, `job ${key}: requestId in the worker's context`);
      assert.equal(got[0].requestId, want.requestId, `job ${key}: requestId in the worker's log line`);
      assert.equal(got[0].tenantId, want.tenantId, `job ${key}: tenantId in the log line`);
      checked++;
    }
    assert.equal(checked, 1000);

    const attempts = byKey.get('retry');
    assert.deepEqual(attempts.map((l) => l.attempt), [0, 1]);
    for (const l of attempts) {
      assert.equal(l.seenInContext, 'retry-producer');
      assert.equal(l.requestId, 'retry-producer');
      assert.equal(l.tenantId, 'tenant-r');
    }
    // The log line is written before the job is moved to completed: poll for the final state.
    let state;
    for (let i = 0; i < 100 && state !== 'completed'; i++) {
      state = await queue.getJobState(retry.id);
      if (state !== 'completed') await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(state, 'completed');
    const retried = await queue.getJob(retry.id);
    assert.equal(retried.attemptsMade, 2);
    assert.equal(retried.returnvalue, 'retry-producer');

    const plain = [...byKey.get('plain-1'), ...byKey.get('plain-2')];
    assert.equal(plain.length, 2);
    for (const l of plain) {
      assert.match(l.seenInContext, UUID);
      assert.equal(l.requestId, l.seenInContext);
      assert.equal(l.tenantId, undefined);
    }
    assert.notEqual(plain[0].seenInContext, plain[1].seenInContext);

    // The worker's stderr is its own pipe: wait for the warning, then count.
    for (let i = 0; i < 100 && !worker.stderr.includes('CTXFRAME_JOB_CONTEXT_MISSING'); i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const warnings = worker.stderr.match(/\[CTXFRAME_JOB_CONTEXT_MISSING\]/g) || [];
    assert.equal(warnings.length, 1, `one MISSING warning, stderr:\n${worker.stderr}`);
    assert.doesNotMatch(worker.stderr, /CTXFRAME_JOB_CONTEXT_(MALFORMED|TOO_LARGE|UNKNOWN_VERSION|TAMPERED)/);
  });

  it('end to end: the consumer\'s log lines, outbound calls and SQL comments carry the producer\'s requestId', async () => {
    const before = worker.lines.length;
    const expected = new Map();
    await Promise.all(Array.from({ length: 10 }, (_, i) => requestContext.withContext(
      { requestId: `e2e-producer-${i}-${Math.random().toString(36).slice(2, 8)}`, tenantId: `tenant-e2e-${i}` },
      async () => {
        const key = `e2e-${i}`;
        expected.set(key, requestContext.get('requestId'));
        await addJob(queue, 'work', { key, e2e: true });
      })));
    await worker.waitFor((lines) => lines.slice(before).filter((l) => l.msg === 'processed').length >= 10, '10 e2e jobs');
    const logLines = worker.lines.slice(before).filter((l) => l.msg === 'processed');
    const pgLog = pg.readLog().split('\n');
    for (const [key, requestId] of expected) {
      const line = logLines.find((l) => l.key === key);
      assert.equal(line.requestId, requestId, `log line of ${key}`);
      assert.deepEqual(httpSeen.filter((h) => h.key === key).map((h) => h.requestId), [requestId], `HTTP call of ${key}`);
      const statements = pgLog.filter((l) => l.includes(`'${key}' as job_key`));
      assert.equal(statements.length, 1, `one logged statement for ${key}`);
      const i = key.slice(4);
      assert.ok(statements[0].endsWith(`/*request_id='${requestId}',tenant_id='tenant-e2e-${i}'*/`), statements[0]);
    }
  });

  it('strict: a job without a valid context fails (in BullMQ\'s own terms) and its processor never runs', async () => {
    const { Worker } = require('bullmq');
    const name = `ctxframe-strict-${process.pid}`;
    const { hostname, port } = new URL(redis.url);
    const connection = { host: hostname, port: Number(port), maxRetriesPerRequest: null };
    const q = new Queue(name, { connection });
    let calls = 0;
    const w = new Worker(name, contextProcessor(async () => { calls++; }, { strict: true }), { connection });
    try {
      const failed = new Promise((resolve) => w.on('failed', (job, err) => resolve([job, err])));
      const added = await q.add('n', { a: 1, _ctx: { v: 1, ctx: { requestId: 'x' }, ts: 1, forged: true } });
      const [job, err] = await failed;
      assert.equal(job.id, added.id);
      assert.equal(err.code, 'CTXFRAME_JOB_CONTEXT_TAMPERED');
      assert.match(job.failedReason, /strict/);
      assert.equal(calls, 0);
    } finally {
      await w.close();
      await q.obliterate({ force: true });
      await q.close();
    }
  });

  it('rejects misuse with stable codes', () => {
    assert.throws(() => addJob({}, 'x', {}), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => contextQueue(null), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => contextProcessor('./processor.js'), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => contextQueue({ add() {} }, { maxBytes: 0 }), { code: 'ERR_OUT_OF_RANGE' });
  });

  it('contextQueue leaves the rest of the queue working', async () => {
    const name = `ctxframe-proxy-${process.pid}`;
    const { hostname, port } = new URL(redis.url);
    const q = new Queue(name, { connection: { host: hostname, port: Number(port) } });
    try {
      const cq = contextQueue(q);
      assert.ok(cq instanceof Queue);
      assert.equal(cq.name, name);
      const job = await requestContext.withContext({ requestId: 'proxy-req' }, () => cq.add('n', { a: 1 }));
      assert.equal(job.data._ctx.ctx.requestId, 'proxy-req');
      assert.equal(await cq.count(), 1);
      const [fromRedis] = await cq.getJobs(['waiting']);
      assert.equal(fromRedis.data._ctx.ctx.requestId, 'proxy-req');
      await cq.obliterate({ force: true });
    } finally {
      await q.close();
    }
  });
});
