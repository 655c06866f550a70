'use strict';
// Tests for ctxframe/pino with real pino writing to a stream whose lines are collected.

const assert = require('node:assert/strict');
const { Writable } = require('node:stream');
const { setTimeout: sleep } = require('node:timers/promises');
const pino = require('pino');
const { requestContext, createContext } = require('ctxframe/context');
const { pinoMixin, pinoOptions } = require('ctxframe/pino');

// A pino destination that is an ordinary Writable: parses every line it receives.
function collector() {
  const lines = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line));
      cb();
    },
  });
  return { lines, stream };
}

const FULL = {
  requestId: 'req-1', tenantId: 'tenant-a', organizationId: 'org-1', projectId: 'p-1', userId: 'u-1',
  apiKeyId: 'k-1', traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7',
  parentSpanId: '1111111111111111', traceFlags: '01', traceState: 'a=b', plan: 'gold',
};

describe('kit/pino', () => {
  it('adds every well-known field present in the context, not user-defined ones by default', () => {
    const { lines, stream } = collector();
    const log = pino({ mixin: pinoMixin() }, stream);
    requestContext.run(FULL, () => log.info('inside'));
    const { plan, ...wellKnown } = FULL;
    assert.equal(plan, 'gold');
    for (const [k, v] of Object.entries(wellKnown)) assert.equal(lines[0][k], v, k);
    assert.equal(lines[0].plan, undefined);
    assert.equal(lines[0].msg, 'inside');
  });

  it('adds nothing outside a context', () => {
    const { lines, stream } = collector();
    const log = pino({ mixin: pinoMixin() }, stream);
    log.info('outside');
    log.info({ extra: 1 }, 'outside with object');
    assert.deepEqual(Object.keys(lines[0]).sort(), ['hostname', 'level', 'msg', 'pid', 'time']);
    assert.deepEqual(Object.keys(lines[1]).sort(), ['extra', 'hostname', 'level', 'msg', 'pid', 'time']);
  });

  it('a context with only some fields adds only those', () => {
    const { lines, stream } = collector();
    const log = pino(pinoOptions(), stream);
    requestContext.run({ requestId: 'only-id' }, () => log.warn('x'));
    assert.equal(lines[0].requestId, 'only-id');
    for (const k of ['tenantId', 'userId', 'traceId']) assert.equal(k in lines[0], false, k);
  });

  it('fields chosen with options.fields, nested under options.key, "all" includes user fields', () => {
    const picked = collector();
    const nested = collector();
    const all = collector();
    const logs = [
      pino({ mixin: pinoMixin({ fields: ['requestId', 'plan', 'missing'] }) }, picked.stream),
      pino({ mixin: pinoMixin({ key: 'ctx', fields: ['requestId', 'tenantId'] }) }, nested.stream),
      pino({ mixin: pinoMixin({ fields: 'all' }) }, all.stream),
    ];
    requestContext.run(FULL, () => logs.forEach((l) => l.info('m')));
    assert.equal(picked.lines[0].requestId, 'req-1');
    assert.equal(picked.lines[0].plan, 'gold');
    assert.equal('missing' in picked.lines[0], false);
    assert.equal('tenantId' in picked.lines[0], false);
    assert.deepEqual(nested.lines[0].ctx, { requestId: 'req-1', tenantId: 'tenant-a' });
    assert.equal(nested.lines[0].requestId, undefined);
    assert.equal(all.lines[0].plan, 'gold');
    assert.equal(all.lines[0].traceState, 'a=b');
    // Outside a context the key is not even present.
    logs[1].info('outside');
    assert.equal('ctx' in nested.lines[1], false);
  });

  it('a field given in the log call wins over the context', () => {
    const { lines, stream } = collector();
    const log = pino({ mixin: pinoMixin() }, stream);
    requestContext.run(FULL, () => log.info({ tenantId: 'explicit' }, 'm'));
    assert.equal(lines[0].tenantId, 'explicit');
    assert.equal(lines[0].requestId, 'req-1');
  });

  it('works in child loggers, across awaits and timers, after with() overrides', async () => {
    const { lines, stream } = collector();
    const log = pino({ mixin: pinoMixin() }, stream).child({ component: 'db' });
    await requestContext.run({ requestId: 'r-async', tenantId: 't' }, async () => {
      await sleep(1);
      log.info('after await');
      await new Promise((resolve) => setTimeout(() => { log.info('in timer'); resolve(); }, 1));
      await requestContext.with({ userId: 'u-9' }, async () => {
        await null;
        log.info('in with');
      });
      log.info('after with');
    });
    assert.deepEqual(lines.map((l) => [l.msg, l.requestId, l.component, l.userId]), [
      ['after await', 'r-async', 'db', undefined],
      ['in timer', 'r-async', 'db', undefined],
      ['in with', 'r-async', 'db', 'u-9'],
      ['after with', 'r-async', 'db', undefined],
    ]);
  });

  it('300 concurrent contexts with random delays: every line carries its own id and tenant', async () => {
    const { lines, stream } = collector();
    const log = pino({ mixin: pinoMixin() }, stream);
    await Promise.all(Array.from({ length: 300 }, (_, i) => requestContext.run(
      { requestId: `id-${i}`, tenantId: `tenant-${i % 7}` },
      async () => {
        log.info({ i }, 'start');
        await sleep(Math.floor(Math.random() * 10));
        log.info({ i }, 'middle');
        await new Promise((resolve) => setImmediate(resolve));
        log.info({ i }, 'end');
      })));
    log.info('after all');
    assert.equal(lines.length, 901);
    for (const line of lines.slice(0, 900)) {
      assert.equal(line.requestId, `id-${line.i}`);
      assert.equal(line.tenantId, `tenant-${line.i % 7}`);
    }
    assert.equal(lines[900].requestId, undefined);
  });

  it('options.context reads another context type', () => {
    const Jobs = createContext({ name: 'JobContext' });
    const { lines, stream } = collector();
    const log = pino({ mixin: pinoMixin({ context: Jobs }) }, stream);
    requestContext.run({ requestId: 'request-side' }, () => Jobs.run({ requestId: 'job-1' }, () => log.info('m')));
    requestContext.run({ requestId: 'request-only' }, () => log.info('n'));
    assert.equal(lines[0].requestId, 'job-1');
    assert.equal(lines[1].requestId, undefined);
  });

  it('bad options throw with stable codes', () => {
    assert.throws(() => pinoMixin(null), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => pinoMixin({ context: {} }), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => pinoMixin({ fields: 'requestId' }), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => pinoMixin({ fields: [''] }), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => pinoOptions({ key: '' }), { code: 'ERR_INVALID_ARG_VALUE' });
  });
});

// Log forging: context (which may come from outside: a job's _ctx, claims from resolve()) must
// never write over the keys pino writes itself.
describe('kit/pino: context never forges pino\'s own keys', () => {
  const FORGED = { requestId: 'r-forge', level: 'fatal', time: 1, pid: -1, hostname: 'evil', msg: 'forged', name: 'n', err: 'e' };

  // Every key of a raw JSON line, in order (the values chosen here hold no quotes or colons).
  const rawKeys = (line) => [...line.matchAll(/"([^"]+)":/g)].map((m) => m[1]);

  function rawCollector() {
    const raw = [];
    const stream = new Writable({
      write(chunk, _enc, cb) {
        for (const line of chunk.toString('utf8').split('\n')) if (line) raw.push(line);
        cb();
      },
    });
    return { raw, stream };
  }

  for (const [label, fields] of [['fields: "all"', 'all'], ['a field list naming pino\'s keys', Object.keys(FORGED)]]) {
    it(`${label}: one key of each name, the real level, the context's values under ctx_*`, () => {
      const { raw, stream } = rawCollector();
      const log = pino({ mixin: pinoMixin({ fields }) }, stream);
      requestContext.run(FORGED, () => log.info('real message'));
      const keys = rawKeys(raw[0]);
      assert.equal(new Set(keys).size, keys.length, `duplicate keys in ${raw[0]}`);
      const line = JSON.parse(raw[0]);
      assert.equal(line.level, 30);
      assert.equal(line.msg, 'real message');
      assert.equal(line.pid, process.pid);
      assert.notEqual(line.hostname, 'evil');
      assert.equal(typeof line.time, 'number');
      assert.notEqual(line.time, 1);
      for (const name of ['level', 'time', 'pid', 'hostname', 'msg', 'name', 'err']) {
        assert.equal(line[`ctx_${name}`], FORGED[name], name);
      }
      assert.equal(line.requestId, 'r-forge');
    });
  }

  it('a field already called ctx_<name> wins; the renamed copy is left out', () => {
    const { lines, stream } = collector();
    const log = pino({ mixin: pinoMixin({ fields: 'all' }) }, stream);
    requestContext.run({ level: 'fatal', ctx_level: 'mine' }, () => log.warn('x'));
    assert.equal(lines[0].level, 40);
    assert.equal(lines[0].ctx_level, 'mine');
  });

  it('nested under options.key the names stay; key and reservedKeys are checked', () => {
    const { lines, stream } = collector();
    const log = pino({ messageKey: 'message', mixin: pinoMixin({ fields: 'all', key: 'ctx', reservedKeys: ['message'] }) }, stream);
    requestContext.run({ level: 'fatal', message: 'm' }, () => log.info('real'));
    assert.deepEqual(lines[0].ctx, { level: 'fatal', message: 'm' });
    assert.equal(lines[0].level, 30);
    assert.throws(() => pinoMixin({ key: 'level' }), { code: 'ERR_INVALID_ARG_VALUE' });
    assert.throws(() => pinoMixin({ key: 'message', reservedKeys: ['message'] }), { code: 'ERR_INVALID_ARG_VALUE' });
    assert.throws(() => pinoMixin({ reservedKeys: 'message' }), { code: 'ERR_INVALID_ARG_TYPE' });
    const custom = rawCollector();
    const customLog = pino({ messageKey: 'message', mixin: pinoMixin({ fields: 'all', reservedKeys: ['message'] }) }, custom.stream);
    requestContext.run({ message: 'forged' }, () => customLog.info('real'));
    const keys = rawKeys(custom.raw[0]);
    assert.equal(new Set(keys).size, keys.length, `duplicate keys in ${custom.raw[0]}`);
    assert.equal(JSON.parse(custom.raw[0]).message, 'real');
    assert.equal(JSON.parse(custom.raw[0]).ctx_message, 'forged');
  });
});

describe('kit/pino: a "__proto__" context field', () => {
  it('is written as a field, never becomes the prototype of what the mixin returns', () => {
    const { lines, stream } = collector();
    const log = pino({ mixin: pinoMixin({ fields: 'all' }) }, stream);
    const ctx = JSON.parse('{"requestId":"r-p","__proto__":{"level":"fatal","polluted":true}}');
    requestContext.run(ctx, () => log.info('x'));
    assert.equal(lines[0].level, 30);
    assert.equal(lines[0].requestId, 'r-p');
    assert.equal(lines[0].polluted, undefined);
    assert.deepEqual(lines[0].__proto__, { level: 'fatal', polluted: true }); // eslint-disable-line no-proto
    assert.equal({}.polluted, undefined);
  });
});
