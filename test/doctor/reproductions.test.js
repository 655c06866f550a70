'use strict';
// Real reproductions of each kind of lost or leaked context, each run under
// `node -r ctxframe/doctor` in a child process: doctor must name the kind and the site (file and
// line), and the application must see exactly what it sees without doctor.

const assert = require('node:assert/strict');
const { startPostgres } = require('../support/postgres.js');
const { buildNativeCallback } = require('./build-addon.js');
const { runFixture, assertOneFinding, answers, withAndWithout } = require('./run-fixture.js');

describe('doctor: reproductions', function () {
  this.timeout(60000);

  describe('against PostgreSQL', () => {
    let pg;
    let env;
    before(async function () {
      this.timeout(60000);
      pg = await startPostgres();
      env = { DATABASE_URL: pg.connectionString };
    });
    after(async () => { if (pg) await pg.stop(); });

    it('pg.Pool with a callback, connection opened at startup: lost at the query call', async () => {
      const result = await withAndWithout('pg-pool.js', { env });
      assert.deepEqual(answers(result), Array(3).fill('CTXFRAME_NO_CONTEXT 1'));
      const finding = assertOneFinding(result, { type: 'lost', kind: 'pool', marker: 'pg-query' });
      assert.equal(finding.count, 3);
      assert.equal(finding.example.resource.type, 'TCPWRAP');
      assert.equal(finding.example.resource.createdIn, null);
      assert.deepEqual([...finding.requestIds].sort(), result.responses.map((r) => r.requestId).sort());
    });

    it('two concurrent requests through one pooled connection: conflated, both ids', async () => {
      const result = await runFixture('conflation.js', { env });
      const [a, b] = result.responses;
      assert.equal(b.body, a.requestId, 'the reproduction must show B reading A\'s context');
      const finding = assertOneFinding(result, { type: 'conflated', kind: 'pool', marker: 'conflation-query' });
      assert.deepEqual(finding.requestIds, [a.requestId]);
      assert.deepEqual(finding.otherRequestIds, [b.requestId]);
      assert.equal(finding.example.resource.createdIn, a.requestId);
    });

    it('the same boundaries with their fixes: nothing to report', async () => {
      const result = await withAndWithout('fixed.js', { env });
      assert.deepEqual(answers(result), ['same', 'same', 'same']);
      assert.deepEqual(result.report.findings, []);
      assert.equal(result.report.requests.started, 3);
      assert.match(result.stderr, /ctxframe doctor: no lost or leaked context \(3 requests seen/);
    });
  });

  it('a generic pool parks the callback; a startup job releases: lost at acquire()', async () => {
    const result = await withAndWithout('generic-pool.js');
    assert.deepEqual(answers(result), Array(3).fill('CTXFRAME_NO_CONTEXT'));
    const finding = assertOneFinding(result, { type: 'lost', kind: 'pool', marker: 'generic-acquire' });
    assert.match(finding.example.invokedBy.site, /lib\/generic-pool\.js:\d+$/);
  });

  it('an EventEmitter created at startup: lost at the listener', async () => {
    const result = await withAndWithout('emitter.js');
    assert.deepEqual(answers(result), Array(3).fill('CTXFRAME_NO_CONTEXT true'));
    const finding = assertOneFinding(result, { type: 'lost', kind: 'emitter', marker: 'emitter-listener' });
    assert.deepEqual(finding.apis, ['assertContext()']);
  });

  it('a DataLoader-style batcher: lost at load()', async () => {
    const result = await withAndWithout('batcher.js');
    assert.deepEqual(answers(result), Array(3).fill('CTXFRAME_NO_CONTEXT user 7'));
    const finding = assertOneFinding(result, { type: 'lost', kind: 'queue', marker: 'batcher-load' });
    assert.match(finding.example.resource.createdAt.site, /lib\/batcher\.js:\d+$/);
  });

  it('a startup setInterval logging through pino and winston while requests are in flight', async () => {
    const result = await withAndWithout('interval-log.js');
    const finding = assertOneFinding(result, { type: 'lost', kind: 'timer', marker: 'interval' });
    assert.deepEqual([...finding.apis].sort(), ['pino', 'winston']);
    assert.equal(finding.example.resource.interval, true);
  });

  it('a stored resolve: a startup loop awaits, requests resolve', async () => {
    const result = await withAndWithout('stored-resolve.js');
    assert.deepEqual(answers(result), Array(3).fill('CTXFRAME_NO_CONTEXT'));
    assertOneFinding(result, { type: 'lost', kind: 'stored-resolve', marker: 'stored-resolve' });
  });

  it('a thenable settled by a startup poller: lost at then()', async () => {
    const result = await withAndWithout('thenable.js');
    assert.deepEqual(answers(result), Array(3).fill('CTXFRAME_NO_CONTEXT 2'));
    const finding = assertOneFinding(result, { type: 'lost', kind: 'thenable', marker: 'thenable-then' });
    assert.match(finding.example.invokedBy.site, /lib\/lazy-promise\.js:\d+$/);
  });

  it('a native addon calling back without napi_make_callback', async function () {
    this.timeout(120000); // the first run on a runtime builds the addon
    const addon = buildNativeCallback();
    const result = await withAndWithout('native-callback.js', { env: { NATIVE_CALLBACK_ADDON: addon } });
    assert.deepEqual(answers(result), Array(3).fill('CTXFRAME_NO_CONTEXT'));
    const finding = assertOneFinding(result, { type: 'lost', kind: 'native-callback', marker: 'native-later' });
    assert.equal(finding.example.resource.type, null);
  });

  it('requests one after the other on a kept-alive connection: nothing to report', async () => {
    const result = await withAndWithout('keep-alive.js');
    assert.deepEqual(answers(result), ['same', 'same', 'same', 'same']);
    assert.deepEqual(result.report.findings, []);
    assert.equal(result.report.requests.ended, 4);
  });

  it('on the builtin backend (CTXFRAME_BACKEND=builtin) too', async () => {
    const result = await runFixture('batcher.js', { env: { CTXFRAME_BACKEND: 'builtin' } });
    assert.equal(result.report.backend, 'builtin');
    assertOneFinding(result, { type: 'lost', kind: 'queue', marker: 'batcher-load' });
    const leaked = await runFixture('leak-interval.js', { env: { CTXFRAME_BACKEND: 'builtin' } });
    assertOneFinding(leaked, { type: 'leaked', kind: 'timer', marker: 'leak-interval' });
  });

  it('an interval a request started keeps reading its context after it ended: leaked', async () => {
    const result = await withAndWithout('leak-interval.js');
    const finding = assertOneFinding(result, { type: 'leaked', kind: 'timer', marker: 'leak-interval' });
    assert.deepEqual(finding.requestIds, [result.responses[0].requestId]);
    assert.ok(finding.count >= 1);
  });
});
