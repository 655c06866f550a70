'use strict';
// Tests for ctxframe/winston with real winston and a Stream transport whose lines are collected.

const assert = require('node:assert/strict');
const { Writable } = require('node:stream');
const { setTimeout: sleep } = require('node:timers/promises');
const winston = require('winston');
const { requestContext, createContext } = require('ctxframe/context');
const { contextFormat } = require('ctxframe/winston');

function collectingLogger(formatOptions, loggerOptions = {}) {
  const lines = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line));
      cb();
    },
  });
  const logger = winston.createLogger({
    level: 'debug',
    format: winston.format.combine(contextFormat(formatOptions), winston.format.json()),
    transports: [new winston.transports.Stream({ stream })],
    ...loggerOptions,
  });
  // Resolves once `count` lines have reached the stream (winston pipes entries through streams).
  const flushed = async (count) => {
    while (lines.length < count) await new Promise((resolve) => setImmediate(resolve));
  };
  return { lines, logger, flushed };
}

describe('kit/winston', () => {
  it('adds the well-known fields of the current context', async () => {
    const { lines, logger, flushed } = collectingLogger();
    requestContext.run({ requestId: 'r-1', tenantId: 't-1', userId: 'u-1', plan: 'gold' }, () => logger.info('hello'));
    await flushed(1);
    assert.deepEqual(lines, [{ level: 'info', message: 'hello', requestId: 'r-1', tenantId: 't-1', userId: 'u-1' }]);
  });

  it('adds nothing outside a context', async () => {
    const { lines, logger, flushed } = collectingLogger();
    logger.info('plain');
    logger.warn('with meta', { extra: 1 });
    await flushed(2);
    assert.deepEqual(lines, [{ level: 'info', message: 'plain' }, { level: 'warn', message: 'with meta', extra: 1 }]);
  });

  it('never overrides a field the log call (or defaultMeta) set explicitly', async () => {
    const { lines, logger, flushed } = collectingLogger(undefined, { defaultMeta: { userId: 'from-default-meta' } });
    requestContext.run({ requestId: 'ctx-id', tenantId: 'ctx-tenant', userId: 'ctx-user' }, () => {
      logger.info('m', { tenantId: 'explicit', requestId: null });
      logger.log({ level: 'info', message: 'raw', requestId: 'raw-id' });
    });
    await flushed(2);
    assert.equal(lines[0].tenantId, 'explicit');
    assert.equal(lines[0].requestId, null, 'an explicit null is the caller\'s choice');
    assert.equal(lines[0].userId, 'from-default-meta');
    assert.equal(lines[1].requestId, 'raw-id');
    assert.equal(lines[1].tenantId, 'ctx-tenant');
  });

  it('options: fields, key (never replacing an explicit one), "all", another context', async () => {
    const nested = collectingLogger({ key: 'ctx', fields: ['requestId', 'plan'] });
    const all = collectingLogger({ fields: 'all' });
    const Jobs = createContext({ name: 'JobContext' });
    const jobs = collectingLogger({ context: Jobs });
    requestContext.run({ requestId: 'r', plan: 'gold', tenantId: 't' }, () => {
      nested.logger.info('a');
      nested.logger.info('b', { ctx: 'mine' });
      all.logger.info('c');
      jobs.logger.info('outside jobs');
      Jobs.run({ requestId: 'job-3' }, () => jobs.logger.info('inside jobs'));
    });
    await nested.flushed(2);
    await all.flushed(1);
    await jobs.flushed(2);
    assert.deepEqual(nested.lines[0].ctx, { requestId: 'r', plan: 'gold' });
    assert.equal(nested.lines[0].requestId, undefined);
    assert.equal(nested.lines[1].ctx, 'mine');
    assert.equal(all.lines[0].plan, 'gold');
    assert.equal(jobs.lines[0].requestId, undefined);
    assert.equal(jobs.lines[1].requestId, 'job-3');
  });

  it('child loggers, awaits, timers and 300 concurrent contexts: each line has its own id', async () => {
    const { lines, logger, flushed } = collectingLogger();
    const child = logger.child({ component: 'worker' });
    await Promise.all(Array.from({ length: 300 }, (_, i) => requestContext.run(
      { requestId: `id-${i}`, tenantId: `tenant-${i % 5}` },
      async () => {
        child.info('start', { i });
        await sleep(Math.floor(Math.random() * 10));
        logger.info('middle', { i });
        await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 3)));
        child.debug('end', { i });
      })));
    logger.info('after');
    await flushed(901);
    assert.equal(lines.length, 901);
    for (const line of lines.slice(0, 900)) {
      assert.equal(line.requestId, `id-${line.i}`);
      assert.equal(line.tenantId, `tenant-${line.i % 5}`);
    }
    assert.equal(lines.filter((l) => l.component === 'worker').length, 600);
    assert.equal(lines[900].requestId, undefined);
  });

  it('bad options throw with stable codes', () => {
    assert.throws(() => contextFormat(7), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => contextFormat({ context: null }), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => contextFormat({ fields: [1] }), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => contextFormat({ key: 5 }), { code: 'ERR_INVALID_ARG_VALUE' });
  });
});

describe('kit/winston: context never forges winston\'s own keys', () => {
  const FORGED = { requestId: 'r-forge', level: 'error', message: 'forged', timestamp: 'then', label: 'l', ms: '+0', stack: 's' };

  for (const [label, fields] of [['fields: "all"', 'all'], ['a field list naming winston\'s keys', Object.keys(FORGED)]]) {
    it(`${label}: one key of each name, the real level, the context's values under ctx_*`, async () => {
      const raw = [];
      const stream = new Writable({
        write(chunk, _enc, cb) {
          for (const line of chunk.toString('utf8').split('\n')) if (line) raw.push(line);
          cb();
        },
      });
      const logger = winston.createLogger({
        format: winston.format.combine(winston.format.timestamp(), contextFormat({ fields }), winston.format.json()),
        transports: [new winston.transports.Stream({ stream })],
      });
      requestContext.run(FORGED, () => logger.info('real message'));
      while (raw.length < 1) await new Promise((resolve) => setImmediate(resolve));
      const keys = [...raw[0].matchAll(/"([^"]+)":/g)].map((m) => m[1]);
      assert.equal(new Set(keys).size, keys.length, `duplicate keys in ${raw[0]}`);
      const line = JSON.parse(raw[0]);
      assert.equal(line.level, 'info');
      assert.equal(line.message, 'real message');
      assert.notEqual(line.timestamp, 'then');
      for (const name of ['level', 'message', 'timestamp', 'label', 'ms', 'stack']) {
        assert.equal(line[`ctx_${name}`], FORGED[name], name);
      }
      assert.equal(line.requestId, 'r-forge');
    });
  }

  it('options.key must not be one of winston\'s keys', () => {
    assert.throws(() => contextFormat({ key: 'message' }), { code: 'ERR_INVALID_ARG_VALUE' });
  });
});

describe('kit/winston: a "__proto__" context field', () => {
  it('is written as a field, never becomes the prototype of the log entry', async () => {
    const { lines, logger, flushed } = collectingLogger({ fields: 'all' });
    const ctx = JSON.parse('{"requestId":"r-p","__proto__":{"level":"error","polluted":true}}');
    requestContext.run(ctx, () => logger.info('x'));
    await flushed(1);
    assert.equal(lines[0].level, 'info');
    assert.equal(lines[0].polluted, undefined);
    assert.deepEqual(lines[0].__proto__, { level: 'error', polluted: true }); // eslint-disable-line no-proto
    assert.equal({}.polluted, undefined);
  });
});
