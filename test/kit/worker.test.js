'use strict';
// ctxframe/worker with real worker_threads workers: 20 concurrent callers each get an answer
// computed in their own context (and a worker log line with their requestId); workerData
// carries the creator's context; plain and malformed messages still reach the handler.

const assert = require('node:assert/strict');
const path = require('node:path');
const readline = require('node:readline');
const { Worker, MessageChannel } = require('node:worker_threads');
const { requestContext, createContext } = require('ctxframe/context');
const {
  postWithContext, workerDataWithContext, onContextMessage, runWithWorkerDataContext, ENVELOPE_MARK,
} = require('ctxframe/worker');

const FIXTURE = path.join(__dirname, 'fixtures', 'context-worker.js');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function startWorker(workerData) {
  const worker = new Worker(FIXTURE, { workerData, stdout: true, stderr: true });
  const logLines = [];
  let stderr = '';
  let onLine = () => {};
  readline.createInterface({ input: worker.stdout }).on('line', (l) => { logLines.push(JSON.parse(l)); onLine(); });
  // The worker's stdout is its own stream: its lines may arrive after the replies.
  const waitForLogLines = (n) => new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${logLines.length} of ${n} log lines`)), 10000);
    onLine = () => { if (logLines.length >= n) { clearTimeout(timer); onLine = () => {}; resolve(); } };
    onLine();
  });
  worker.stderr.on('data', (c) => { stderr += c; });
  const boot = new Promise((resolve, reject) => {
    worker.once('error', reject);
    worker.on('message', (m) => { if (m.type === 'boot') resolve(m); });
  });
  return { worker, logLines, waitForLogLines, boot, stderr: () => stderr };
}

describe('ctxframe/worker (real worker_threads)', () => {
  const started = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((w) => w.worker.terminate()));
  });

  it('20 concurrent callers: each answer and log line carries the caller\'s requestId, never another\'s', async () => {
    const w = startWorker(undefined);
    started.push(w);
    await w.boot;
    // Replies come back with the worker's (= the caller's) context: collect them per call,
    // recording the requestId the reply handler runs in on this side.
    const pending = new Map();
    const stopListening = onContextMessage((reply) => {
      if (reply.type !== 'reply') return;
      pending.get(reply.call)({ ...reply, replyHandlerRequestId: requestContext.get('requestId') });
    }, { port: w.worker });
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => requestContext.withContext(
      { requestId: `caller-${i}-${Math.random().toString(36).slice(2, 8)}`, tenantId: `t${i}` },
      async () => {
        const call = `call-${i}`;
        const reply = new Promise((resolve) => pending.set(call, resolve));
        await new Promise((resolve) => setTimeout(resolve, i % 3));
        const buffer = new ArrayBuffer(8 + i);
        postWithContext(w.worker, { call, delayMs: (i * 7) % 5, buffer }, [buffer]);
        assert.equal(buffer.byteLength, 0, 'the buffer was transferred');
        return { call, i, mine: requestContext.get('requestId'), reply: await reply };
      })));
    stopListening();
    await w.waitForLogLines(20);
    for (const { i, mine, reply } of results) {
      assert.equal(reply.requestId, mine);
      assert.equal(reply.before, mine);
      assert.equal(reply.tenantId, `t${i}`);
      assert.equal(reply.bytes, 8 + i);
      assert.equal(reply.replyHandlerRequestId, mine);
      const logged = w.logLines.filter((l) => l.call === `call-${i}`);
      assert.deepEqual(logged.map((l) => l.requestId), [mine]);
    }
    assert.equal(new Set(results.map((r) => r.mine)).size, 20);
  });

  it('workerData carries the creator\'s context; outside a context the worker starts fresh', async () => {
    const w = requestContext.withContext({ requestId: 'creator-1' }, () => startWorker(workerDataWithContext({ boot: 'x' })));
    started.push(w);
    assert.deepEqual(await w.boot, { type: 'boot', data: { boot: 'x' }, requestId: 'creator-1' });
    const plain = startWorker(workerDataWithContext({ boot: 'y' }));
    started.push(plain);
    const boot = await plain.boot;
    assert.deepEqual(boot.data, { boot: 'y' });
    assert.match(boot.requestId, UUID);
  });

  it('plain and malformed messages still reach the handler, in a fresh context, with one warning', async () => {
    const w = startWorker(undefined);
    started.push(w);
    await w.boot;
    const replies = [];
    const all = new Promise((resolve) => {
      const off = onContextMessage((m) => {
        // The reply came back enveloped in the worker's fresh context: we run in it too.
        if (m.type === 'reply') replies.push({ ...m, here: requestContext.get('requestId') });
        if (replies.length === 4) { off(); resolve(); }
      }, { port: w.worker });
    });
    requestContext.withContext({ requestId: 'not-sent' }, () => {
      w.worker.postMessage({ call: 'plain' });
      w.worker.postMessage({ [ENVELOPE_MARK]: 1, ctx: 'bad', data: { call: 'bad-1' } });
      w.worker.postMessage({ [ENVELOPE_MARK]: 1, ctx: { requestId: 'x' }, data: { call: 'bad-2' }, evil: 1 });
      w.worker.postMessage({ [ENVELOPE_MARK]: 7, ctx: { requestId: 'x' }, data: { call: 'bad-3' } });
    });
    await all;
    const ids = replies.map((r) => r.requestId);
    assert.deepEqual(replies.map((r) => r.call).sort(), ['bad-1', 'bad-2', 'bad-3', 'plain']);
    for (const r of replies) {
      assert.match(r.requestId, UUID);
      assert.equal(r.before, r.requestId);
      assert.equal(r.here, r.requestId);
    }
    assert.equal(new Set(ids).size, 4);
    // The worker's stderr is its own stream: give the warning time to arrive, then count.
    for (let i = 0; i < 100 && !w.stderr().includes('CTXFRAME_WORKER_CONTEXT_MALFORMED'); i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal((w.stderr().match(/\[CTXFRAME_WORKER_CONTEXT_MALFORMED\]/g) || []).length, 1, w.stderr());
  });

  it('works over a MessageChannel in one thread too, and with a custom context', async () => {
    const testContext = createContext({ name: 'JobCtx' });
    const { port1, port2 } = new MessageChannel();
    const seen = [];
    const done = new Promise((resolve) => {
      const off = onContextMessage((m) => {
        seen.push([m, testContext.get('requestId')]);
        if (seen.length === 2) { off(); port1.close(); resolve(); }
      }, { port: port2, context: testContext });
    });
    testContext.run({ requestId: 'chan-1' }, () => postWithContext(port1, 'hello', undefined, { context: testContext }));
    postWithContext(port1, 'outside', undefined, { context: testContext });
    await done;
    assert.deepEqual(seen[0], ['hello', 'chan-1']);
    assert.equal(seen[1][0], 'outside');
    assert.match(seen[1][1], UUID);
  });

  it('runWithWorkerDataContext also takes an explicit workerData and passes errors through', () => {
    const data = requestContext.withContext({ requestId: 'wd' }, () => workerDataWithContext([1, 2]));
    assert.deepEqual(runWithWorkerDataContext((d) => [d, requestContext.get('requestId')], { workerData: data }),
      [[1, 2], 'wd']);
    const boom = new Error('boom');
    assert.throws(() => runWithWorkerDataContext(() => { throw boom; }, { workerData: data }), (e) => e === boom);
    assert.throws(() => runWithWorkerDataContext(() => { throw boom; }, { workerData: 'plain' }), (e) => e === boom);
  });

  it('only JSON-safe context crosses; misuse fails with stable codes', () => {
    const fake = { run: (c, fn, ...a) => fn(...a), currentOrNull: () => ({ requestId: 'x', when: new Date() }) };
    const { port1 } = new MessageChannel();
    try {
      assert.throws(() => postWithContext(port1, 'm', undefined, { context: fake }), { code: 'CTXFRAME_INVALID_CONTEXT' });
      assert.throws(() => workerDataWithContext({}, { context: fake }), { code: 'CTXFRAME_INVALID_CONTEXT' });
      assert.throws(() => postWithContext({}, 'm'), { code: 'ERR_INVALID_ARG_TYPE' });
      assert.throws(() => onContextMessage('x', { port: port1 }), { code: 'ERR_INVALID_ARG_TYPE' });
      assert.throws(() => onContextMessage(() => {}), { code: 'ERR_INVALID_ARG_TYPE' }); // main thread: no parentPort
      assert.throws(() => runWithWorkerDataContext(null), { code: 'ERR_INVALID_ARG_TYPE' });
      assert.throws(() => workerDataWithContext({}, { context: {} }), { code: 'ERR_INVALID_ARG_TYPE' });
    } finally {
      port1.close();
    }
  });
});
