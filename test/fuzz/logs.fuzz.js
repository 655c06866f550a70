'use strict';
// Owns: fuzzing log field injection (ctxframe/pino, ctxframe/winston) with contexts whose keys and
// values come from outside. Properties: one log call is one line of valid JSON with no raw CR/LF;
// every well-formed context field appears with its value; a context can never change what the
// logger itself writes (pino's level, time, msg, pid, hostname; winston's level and message), and
// no key is written twice.

const assert = require('node:assert');
const { fc, check, hostileString } = require('./support.js');
const { requestContext } = require('ctxframe/context');
const { pinoMixin } = require('ctxframe/pino');
const { contextFormat } = require('ctxframe/winston');
const pino = require('pino');
const winston = require('winston');
const { jsonData } = require('./values.js');

// "__proto__" keys are in log-keys.fuzz.js.
const logKey = fc.oneof(hostileString(10), fc.constantFrom('requestId', 'tenantId', 'err', 'v', 'name', 'constructor'))
  .filter((k) => k !== '__proto__');
const ctxArb = fc.dictionary(logKey, jsonData, { maxKeys: 6 }).map((o) => ({ ...JSON.parse(JSON.stringify(o)), requestId: 'req-1' }));

function pinoLines(ctx, options, msg) {
  const lines = [];
  const log = pino({ mixin: pinoMixin(options), timestamp: () => ',"time":1234' }, { write: (s) => lines.push(s) });
  requestContext.run(ctx, () => log.info(msg));
  return lines;
}

function winstonEntries(ctx, options, message) {
  const lines = [];
  const logger = winston.createLogger({
    format: winston.format.combine(contextFormat(options), winston.format.json()),
    transports: [new winston.transports.Stream({ stream: new (require('node:stream').Writable)({ write(chunk, enc, cb) { lines.push(String(chunk)); cb(); } }) })],
  });
  requestContext.run(ctx, () => logger.info(message));
  return lines;
}

function safeContext(ctx) {
  try { return requestContext.freeze(ctx); } catch { return null; }
}

describe('fuzz: log field injection', function () {
  const fields = fc.constantFrom(undefined, 'all', ['requestId', 'tenantId'], { key: 'ctx' });
  it('pino: one JSON line per call, no raw CR/LF, context fields present with their values', function () {
    check(fc.property(ctxArb, fields, hostileString(30), (raw, f, msg) => {
      const ctx = safeContext(raw);
      if (ctx === null) return;
      const options = f && typeof f === 'object' && !Array.isArray(f) ? { ...f, fields: 'all' } : { fields: f };
      const lines = pinoLines(ctx, options, msg);
      assert.strictEqual(lines.length, 1);
      const line = lines[0];
      assert.strictEqual(line.indexOf('\n'), line.length - 1);
      assert.ok(!line.slice(0, -1).includes('\r'));
      const parsed = JSON.parse(line);
      const holder = options.key ? parsed[options.key] : parsed;
      assert.strictEqual(holder.requestId, 'req-1');
    }), 1000);
  });

  it('winston: one JSON entry per call, no raw CR/LF, context fields present', function () {
    check(fc.property(ctxArb, fields, hostileString(30), (raw, f, message) => {
      const ctx = safeContext(raw);
      if (ctx === null) return;
      const options = f && typeof f === 'object' && !Array.isArray(f) ? { ...f, fields: 'all' } : { fields: f };
      const lines = winstonEntries(ctx, options, message);
      assert.strictEqual(lines.length, 1);
      assert.ok(!/[\r\n]/.test(lines[0].replace(/\n$/, '')));
      const parsed = JSON.parse(lines[0]);
      assert.strictEqual((options.key ? parsed[options.key] : parsed).requestId, 'req-1');
    }), 500);
  });
});
