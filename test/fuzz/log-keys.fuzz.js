'use strict';
// Owns: fuzzing log forging through context fields: whatever keys a context carries (pino's own
// level/time/msg/pid/hostname, winston's level/message, anything else), the logger's own fields
// keep their values and no key appears twice in a line; a "__proto__" field neither throws nor
// gives the logged object a prototype.

const assert = require('node:assert');
const { Writable } = require('node:stream');
const { fc, check, hostileString } = require('./support.js');
const { requestContext } = require('ctxframe/context');
const { pinoMixin } = require('ctxframe/pino');
const { contextFormat } = require('ctxframe/winston');
const pino = require('pino');
const winston = require('winston');
const { jsonData } = require('./values.js');

const OWN_PINO = ['level', 'time', 'msg', 'pid', 'hostname'];
const OWN_WINSTON = ['level', 'message'];
const logKey = fc.oneof(hostileString(10), fc.constantFrom(...OWN_PINO, ...OWN_WINSTON, '__proto__', 'constructor'));
const ctxArb = fc.dictionary(logKey, jsonData, { minKeys: 1, maxKeys: 6 })
  .map((o) => ({ ...JSON.parse(JSON.stringify(o)), requestId: 'req-1' }));

// Top-level keys of one JSON object text, duplicates kept (JSON.parse keeps only the last).
function topLevelKeys(text) {
  const keys = [];
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (depth === 1 && expectKey) keys.push(JSON.parse(text.slice(i, j + 1)));
      expectKey = false;
      i = j;
    } else if (c === '{' || c === '[') {
      depth++;
      expectKey = c === '{' && depth === 1;
    } else if (c === '}' || c === ']') {
      depth--;
    } else if (c === ',' && depth === 1) {
      expectKey = true;
    }
  }
  return keys;
}

function frozenOrNull(ctx) {
  try { return requestContext.freeze(ctx); } catch { return null; }
}

describe('fuzz: log keys a context cannot forge', function () {
  it('pino (fields: all or naming its own keys): level, time, msg, pid, hostname stay pino\'s; no duplicate key', function () {
    const fieldsArb = fc.oneof(fc.constant('all'), fc.subarray([...OWN_PINO, 'requestId'], { minLength: 1 }));
    check(fc.property(ctxArb, fieldsArb, hostileString(20), (raw, fields, msg) => {
      const ctx = frozenOrNull(raw);
      if (ctx === null) return;
      const lines = [];
      const log = pino({ mixin: pinoMixin({ fields }), timestamp: () => ',"time":1234', base: { pid: 7, hostname: 'h' } },
        { write: (s) => lines.push(s) });
      requestContext.run(ctx, () => log.info(msg));
      const keys = topLevelKeys(lines[0]);
      assert.strictEqual(new Set(keys).size, keys.length, `duplicate keys in ${lines[0]}`);
      const parsed = JSON.parse(lines[0]);
      assert.strictEqual(parsed.level, 30);
      assert.strictEqual(parsed.time, 1234);
      assert.strictEqual(parsed.pid, 7);
      assert.strictEqual(parsed.hostname, 'h');
      assert.strictEqual(parsed.msg, msg);
    }), 1000);
  });

  it('winston: level and message stay winston\'s; no duplicate key', function () {
    check(fc.property(ctxArb, fc.constantFrom('all', [...OWN_WINSTON, 'requestId']), hostileString(20), (raw, fields, message) => {
      const ctx = frozenOrNull(raw);
      if (ctx === null) return;
      const lines = [];
      const logger = winston.createLogger({
        format: winston.format.combine(contextFormat({ fields }), winston.format.json()),
        transports: [new winston.transports.Stream({ stream: new Writable({ write(chunk, enc, cb) { lines.push(String(chunk)); cb(); } }) })],
      });
      requestContext.run(ctx, () => logger.info(message));
      const keys = topLevelKeys(lines[0]);
      assert.strictEqual(new Set(keys).size, keys.length, `duplicate keys in ${lines[0]}`);
      const parsed = JSON.parse(lines[0]);
      assert.strictEqual(parsed.level, 'info');
      assert.strictEqual(parsed.message, message);
    }), 500);
  });
});
