'use strict';
// Owns: fuzzing what a job or a worker message carries in (ctxframe/jobs `_ctx` envelopes and
// their HMAC signatures, ctxframe/worker envelopes): decoding never throws, it yields either a
// JSON-safe plain context or one of the documented problems, a signed envelope verifies only
// unchanged and under its own secret, and no payload can pollute a prototype.

const assert = require('node:assert');
const { EventEmitter } = require('node:events');
const { fc, check, hostileString } = require('./support.js');
const { injectContext, extractContext, isJsonSafe, PROBLEM_CODES } = require('ctxframe/jobs');
const { onContextMessage, ENVELOPE_MARK } = require('ctxframe/worker');
const { requestContext } = require('ctxframe/context');

const PROBLEMS = Object.keys(PROBLEM_CODES);
const key = fc.oneof(hostileString(12), fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'v', 'ctx', 'ts', 'sig'));
const json = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' },
    fc.string(), fc.double(), fc.integer(), fc.boolean(), fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }), fc.dictionary(key, tie('value'), { maxKeys: 4 })),
})).value;
const ctxObject = fc.dictionary(key, json, { maxKeys: 6 });
// What arrives from a queue: JSON text parsed back (so "__proto__" is an own key), or any value.
const envelope = fc.record({
  v: fc.oneof(fc.constant(1), fc.integer(), fc.anything()),
  ctx: fc.oneof(ctxObject, fc.anything()),
  ts: fc.oneof(fc.integer(), fc.double(), fc.anything()),
  sig: fc.oneof(fc.string(), fc.anything()),
  extra: fc.anything(),
}, { requiredKeys: [] });
const payload = fc.oneof(
  fc.record({ _ctx: envelope, data: fc.anything() }, { requiredKeys: [] }).map((p) => JSON.parse(JSON.stringify(p) ?? 'null')),
  fc.record({ _ctx: envelope }, { requiredKeys: [] }),
  fc.anything(),
);

function pristinePrototypes() {
  for (const proto of [Object.prototype, Array.prototype, Function.prototype]) {
    for (const name of ['polluted', 'isAdmin', 'requestId', 'v', 'ctx']) {
      assert.ok(!(name in proto), `${name} appeared on a prototype`);
    }
  }
}

describe('fuzz: job payloads (_ctx)', function () {
  it('extractContext never throws: a JSON-safe plain context, or a documented problem', function () {
    check(fc.property(payload, fc.option(fc.string({ minLength: 1 })), (p, secret) => {
      const { context, problem } = extractContext(p, secret === null ? {} : { secret });
      if (problem === null) {
        assert.ok(context !== null && typeof context === 'object' && !Array.isArray(context));
        assert.ok(isJsonSafe(context));
        assert.strictEqual(Object.getPrototypeOf(context), Object.prototype);
      } else {
        assert.ok(PROBLEMS.includes(problem), problem);
        assert.strictEqual(context, null);
      }
      pristinePrototypes();
    }), 3000);
  });

  it('a signed envelope verifies unchanged, and is "tampered" under another secret or with any field changed', function () {
    const change = fc.constantFrom('ctx', 'ts', 'sig', 'add-field');
    check(fc.property(ctxObject, fc.string({ minLength: 1, maxLength: 32 }), fc.string({ minLength: 1, maxLength: 32 }), change, json,
      (fields, secret, other, what, junk) => {
        let signed;
        try {
          signed = requestContext.run({ ...fields, requestId: 'job-1' }, () => injectContext({ n: 1 }, { secret }));
        } catch (err) {
          // The context itself refused the fields (too large, or not JSON-safe, e.g. -Infinity):
          // nothing to sign.
          assert.ok(['CTXFRAME_CONTEXT_TOO_LARGE', 'CTXFRAME_JOB_CONTEXT_TOO_LARGE',
            'CTXFRAME_INVALID_CONTEXT'].includes(err.code), String(err));
          return;
        }
        const wire = JSON.parse(JSON.stringify(signed));
        assert.strictEqual(extractContext(wire, { secret }).problem, null);
        if (other !== secret) assert.strictEqual(extractContext(wire, { secret: other }).problem, 'tampered');
        const env = wire._ctx;
        if (what === 'ctx') env.ctx = { ...env.ctx, requestId: 'job-2' };
        else if (what === 'ts') env.ts += 1;
        else if (what === 'sig') env.sig = env.sig.slice(1) + (env.sig[0] === 'A' ? 'B' : 'A');
        else env[`x${typeof junk}`] = junk;
        const { problem } = extractContext(wire, { secret });
        assert.ok(problem === 'tampered' || problem === 'malformed', `changed ${what}: ${problem}`);
      }), 500);
  });
});

describe('fuzz: worker messages', function () {
  it('any message reaches the handler once, in the carried context when valid, else in a fresh one', function () {
    const message = fc.oneof(
      fc.record({ [ENVELOPE_MARK]: fc.oneof(fc.constant(1), fc.anything()), ctx: fc.oneof(ctxObject, fc.anything()), data: fc.anything(), more: fc.anything() }, { requiredKeys: [] }),
      fc.anything(),
    );
    const warnings = [];
    const onWarning = (w) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      check(fc.property(message, (msg) => {
        const port = new EventEmitter();
        let calls = 0;
        let ctx;
        const stop = onContextMessage(() => { calls++; ctx = requestContext.current(); }, { port });
        port.emit('message', msg);
        stop();
        assert.strictEqual(calls, 1);
        assert.ok(isJsonSafe(ctx));
        pristinePrototypes();
      }), 2000);
    } finally {
      process.off('warning', onWarning);
    }
  });
});
