'use strict';
// Conflation handed over in JavaScript, per-callback attribution on a shared connection,
// promise-library schedulers, framework work before ingress and work marked as outside
// requests: real libraries (generic-pool 2, async's queue, a startup Transform, Bluebird,
// node_redis 3 against a real redis-server, Fastify with the documented pino mixin), each run
// under `node -r ctxframe/doctor` and without it. Doctor must name the type, kind, both request
// ids and the fixture's marked line; the fixed variants must report nothing; the application
// must observe the same with and without doctor.

const assert = require('node:assert/strict');
const { startRedis } = require('../support/redis.js');
const { runFixture, assertOneFinding, markedLine, answers, withAndWithout } = require('./run-fixture.js');

function clean(result) {
  assert.equal(result.report.internalErrors, 0);
  assert.deepEqual(result.report.findings, [], result.stderr);
}

// A CTXFRAME_BACKEND=builtin run of the same fixture gives the same finding.
const BACKENDS = [{}, { CTXFRAME_BACKEND: 'builtin' }];

describe('doctor: conflation handed over in JavaScript', function () {
  this.timeout(60000);

  for (const backend of BACKENDS) {
    const label = backend.CTXFRAME_BACKEND ? ' (builtin backend)' : '';

    it(`a callback pool with one resource: B's acquire() callback runs in A's release(): conflated${label}`, async () => {
      const result = await withAndWithout('js-pool.js', { env: { ...backend } });
      const [a, b] = result.responses;
      assert.deepEqual(answers(result), ['<request 0>', '<request 0>'], 'the reproduction must show B reading A\'s id');
      const finding = assertOneFinding(result, { type: 'conflated', kind: 'pool', marker: 'pool-acquire' });
      assert.deepEqual(finding.requestIds, [a.requestId]);
      assert.deepEqual(finding.otherRequestIds, [b.requestId]);
      assert.equal(finding.library, 'generic-pool');
      assert.deepEqual(finding.apis, ['res.end()']);
      if (backend.CTXFRAME_BACKEND) assert.equal(result.report.backend, 'builtin');
    });

    it(`the same pool, released by A after its response finished: leaked into B${label}`, async () => {
      const result = await withAndWithout('js-pool.js', { env: { ...backend, MODE: 'ended' } });
      const [a, b] = result.responses;
      assert.deepEqual(answers(result), ['<request 0>', '<request 0>']);
      const finding = assertOneFinding(result, { type: 'leaked', kind: 'pool', marker: 'pool-acquire' });
      assert.deepEqual(finding.requestIds, [a.requestId]);
      assert.deepEqual(finding.otherRequestIds, [b.requestId]);
      assert.match(result.stderr, /read .*\(ended\)'s context in work of /);
    });

    it(`a queue with one worker (async.queue(worker, 1)): conflated at B's push()${label}`, async () => {
      const result = await withAndWithout('worker-queue.js', { env: { ...backend } });
      const [a, b] = result.responses;
      assert.deepEqual(answers(result), ['<request 0>', '<request 0> 4']);
      const finding = assertOneFinding(result, { type: 'conflated', kind: 'queue', marker: 'queue-push' });
      assert.deepEqual(finding.requestIds, [a.requestId]);
      assert.deepEqual(finding.otherRequestIds, [b.requestId]);
      assert.equal(finding.library, 'async');
    });

    it(`a Transform created at startup: B's 'data' listener runs in A's context: conflated at on()${label}`, async () => {
      const result = await withAndWithout('startup-stream.js', { env: { ...backend } });
      const [a, b] = result.responses;
      assert.deepEqual(answers(result), ['<request 0>', '<request 0>']);
      const finding = assertOneFinding(result, { type: 'conflated', kind: 'emitter', marker: 'stream-on' });
      assert.deepEqual(finding.requestIds, [a.requestId]);
      assert.deepEqual(finding.otherRequestIds, [b.requestId]);
    });

    it(`a Bluebird promise made in A and settled by B: thenable, Bluebird's fix${label}`, async () => {
      const result = await withAndWithout('bluebird-settle.js', { env: { ...backend } });
      const [a, b] = result.responses;
      assert.deepEqual(answers(result), ['<request 1> 42', '<request 1>']);
      const finding = assertOneFinding(result, { type: 'conflated', kind: 'thenable', marker: 'bluebird-then' });
      assert.deepEqual(finding.requestIds, [b.requestId]);
      assert.deepEqual(finding.otherRequestIds, [a.requestId]);
      assert.equal(finding.library, 'bluebird');
      assert.match(finding.fix, /Promise\.config\(\{ asyncHooks: true \}\)/);
      assert.match(finding.fix, /await/);
    });
  }

  for (const [name, modes] of [
    ['js-pool.js', ['fixed']], ['worker-queue.js', ['fixed']], ['startup-stream.js', ['fixed']],
    ['bluebird-settle.js', ['fixed', 'await']],
  ]) {
    for (const mode of modes) {
      it(`${name} fixed (MODE=${mode}): each request sees its own id, nothing to report`, async () => {
        const result = await withAndWithout(name, { env: { MODE: mode } });
        const body = answers(result);
        assert.match(body[0], /^<request 0>/);
        assert.match(body[1], /^<request 1>/);
        clean(result);
        assert.equal(result.report.requests.started, 2);
      });
    }
  }

  describe('a shared Redis connection (node_redis 3 callbacks)', () => {
    let redis;
    before(async function () {
      this.timeout(30000);
      redis = await startRedis();
    });
    after(async () => { if (redis) await redis.stop(); });

    for (const backend of BACKENDS) {
      const label = backend.CTXFRAME_BACKEND ? ' (builtin backend)' : '';
      it(`each lost callback belongs to the request whose call waits for the reply, at its line${label}`, async () => {
        const result = await withAndWithout('redis-callbacks.js', { env: { ...backend, REDIS_URL: redis.url } });
        const [a, b] = result.responses;
        assert.deepEqual(answers(result), ['CTXFRAME_NO_CONTEXT CTXFRAME_NO_CONTEXT v', 'CTXFRAME_NO_CONTEXT v']);
        const { findings } = result.report;
        assert.equal(result.report.internalErrors, 0);
        const byLine = new Map(findings.map((f) => [f.line, f]));
        assert.equal(findings.length, 3, JSON.stringify(findings, null, 2));
        for (const [marker, owner] of [['redis-a', a], ['redis-nested', a], ['redis-b', b]]) {
          const f = byLine.get(markedLine(result.file, marker));
          assert.ok(f, `no finding at ${marker}: ${findings.map((x) => x.site).join(', ')}`);
          assert.equal(f.type, 'lost');
          assert.equal(f.kind, 'pool');
          assert.equal(f.file, result.file);
          assert.deepEqual(f.requestIds, [owner.requestId], `${marker} blamed on the wrong request`);
          assert.equal(f.example.resource.type, 'TCPWRAP');
        }
      });
    }

    it('bound callbacks: nothing to report', async () => {
      const result = await withAndWithout('redis-callbacks.js', { env: { REDIS_URL: redis.url, MODE: 'fixed' } });
      assert.deepEqual(answers(result), ['<request 0> <request 0> v', '<request 1> v']);
      clean(result);
    });
  });

  describe('framework work before ingress, and work marked as outside requests', () => {
    for (const backend of BACKENDS) {
      const label = backend.CTXFRAME_BACKEND ? ' (builtin backend)' : '';
      it(`docs/ingress.md's Fastify setup (pino mixin), 10 concurrent requests: a clean report${label}`, async () => {
        const result = await withAndWithout('fastify-logger.js', { env: { ...backend } });
        assert.equal(result.responses.filter((r) => r.status === 200).length, 10);
        clean(result);
        assert.equal(result.report.requests.started, 10);
        // Fastify's "incoming request" line is counted as the framework's, not reported.
        const [entry] = result.report.beforeIngress;
        assert.equal(entry.library, 'fastify');
        assert.match(entry.site, /node_modules\/fastify\/lib\/[\w-]+\.js:\d+$/);
        assert.ok(entry.count >= 1);
        assert.match(result.stderr, /no lost or leaked context \(10 requests seen/);
        assert.match(result.stderr, /\(not a finding\) \d+× read without a context by fastify before the request entered its context/);
      });
    }

    it('an onRequest hook registered before the plugin: before-ingress at the hook, each request named', async () => {
      const result = await withAndWithout('fastify-logger.js', { env: { MODE: 'hook-first' } });
      assert.equal(answers(result).pop(), Array(10).fill('CTXFRAME_NO_CONTEXT').join(','));
      const finding = assertOneFinding(result, { type: 'lost', kind: 'before-ingress', marker: 'hook-first' });
      assert.equal(finding.count, 10);
      assert.equal(finding.requestIds.length, 5); // five samples of the ten requests
    });

    it('Express and Koa middleware use()d before ctxframe\'s: before-ingress at each middleware; ingress first: clean', async () => {
      const result = await withAndWithout('middleware-order.js');
      assert.deepEqual(answers(result), Array(6).fill('CTXFRAME_NO_CONTEXT'));
      assert.equal(result.report.internalErrors, 0);
      const sites = result.report.findings.map((f) => [f.type, f.kind, f.line, f.count, f.requestIds.length]);
      assert.deepEqual(sites.sort((x, y) => x[2] - y[2]), [
        ['lost', 'before-ingress', markedLine(result.file, 'express-audit'), 3, 3],
        ['lost', 'before-ingress', markedLine(result.file, 'koa-audit'), 3, 3],
      ]);
      for (const f of result.report.findings) assert.equal(f.file, result.file);
      const fixed = await withAndWithout('middleware-order.js', { env: { MODE: 'fixed' } });
      assert.deepEqual(answers(fixed), Array(6).fill('same'));
      clean(fixed);
    });

    it('outsideRequests(fn): a startup interval that logs is counted as marked, not reported', async () => {
      const result = await withAndWithout('interval-log.js', { env: { MODE: 'marked' } });
      clean(result);
      const [mark] = result.report.marked;
      assert.equal(mark.kind, 'timer');
      assert.equal(mark.site, `test/doctor/fixtures/interval-log.js:${markedLine(result.file, 'interval')}`);
      assert.ok(mark.count >= 1);
      assert.match(result.stderr, /\(marked\) +\d+× lost RequestContext at test\/doctor\/fixtures\/interval-log\.js:\d+ \(timer\)/);
    });

    it('CTXFRAME_DOCTOR_OUTSIDE_REQUESTS=file:line marks the same site without a code change', async () => {
      const line = markedLine(require('node:path').join(__dirname, 'fixtures', 'interval-log.js'), 'interval');
      const result = await withAndWithout('interval-log.js', {
        env: { CTXFRAME_DOCTOR_OUTSIDE_REQUESTS: `test/doctor/fixtures/interval-log.js:${line}` },
      });
      clean(result);
      assert.equal(result.report.marked.length, 1);
      assert.equal(result.report.marked[0].site, `test/doctor/fixtures/interval-log.js:${line}`);
    });
  });
});
