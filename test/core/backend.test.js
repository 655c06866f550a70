'use strict';
// The backend choice: `backend` names the expected one for this runtime (from the matrix's
// CTXFRAME_EXPECT_BACKEND and, independently, from Node's version and flags), CTXFRAME_BACKEND
// overrides it, and asking for `frame` where Node's ALS does not run on AsyncContextFrame gives
// one CTXFRAME_FRAME_UNAVAILABLE warning and `carrier`. `continuation` says how `frame` reaches the
// continuation: 'native', or 'js' where the native part is missing (the matrix's modes without it),
// which also gives the one CTXFRAME_NATIVE_UNAVAILABLE warning.

const assert = require('node:assert');
const path = require('node:path');
const { builtinUsesFrame, expectedBackend, expectedContinuation } = require('../support/core-runtime.js');
const { runNode, describeChild } = require('../support/core-child.js');

const REPORT = path.join(__dirname, 'fixtures', 'report-backend.js');
// The warnings a process that loads ctxframe gets by itself here: the missing native part's, where
// the frame backend runs without it.
const MISSING_NATIVE = () => (expectedContinuation() === 'js' ? ['CTXFRAME_NATIVE_UNAVAILABLE'] : []);
const SEEN_OK = { afterAwait: ['A', 'B'], inTimer: ['A', 'B'], inImmediate: ['A', 'B'], outside: [undefined, 'B'] };

async function report(envOverrides) {
  const env = { ...process.env, ...envOverrides };
  for (const [k, v] of Object.entries(envOverrides)) if (v === undefined) delete env[k];
  const r = await runNode([], REPORT, [], { env });
  assert.strictEqual(r.code, 0, describeChild('report-backend', r));
  const out = JSON.parse(r.stdout.trim().split('\n').pop());
  // JSON drops undefined inside arrays as null.
  out.seen.outside = out.seen.outside.map((v) => (v === null ? undefined : v));
  return { out, child: r };
}

function expectationFromEnv() {
  const requested = (process.env.CTXFRAME_BACKEND || '').trim().toLowerCase();
  if (requested === 'builtin' || requested === 'carrier') return requested;
  return expectedBackend();
}

describe('core: backend selection', function () {
  this.timeout(30000);
  const ctxframe = require('ctxframe');

  it('backend is one of frame, carrier, builtin', function () {
    assert.ok(['frame', 'carrier', 'builtin'].includes(ctxframe.backend), String(ctxframe.backend));
  });

  it('continuation says how frame reaches the continuation (native or js; null on the other backends)', function () {
    const expected = expectationFromEnv() === 'frame' ? expectedContinuation() : null;
    assert.strictEqual(ctxframe.continuation, expected);
  });

  it('backend equals the one computed from the runtime (version + async-context-frame flags) and CTXFRAME_EXPECT_BACKEND when the matrix sets it', function () {
    const where = `Node ${process.version} execArgv=[${process.execArgv.join(' ')}] NODE_OPTIONS=${process.env.NODE_OPTIONS || ''}, built-in on AsyncContextFrame: ${builtinUsesFrame()}`;
    assert.strictEqual(ctxframe.backend, expectationFromEnv(), `computed from the runtime; ${where}`);
    if (process.env.CTXFRAME_EXPECT_BACKEND !== undefined) {
      assert.strictEqual(ctxframe.backend, process.env.CTXFRAME_EXPECT_BACKEND, `CTXFRAME_EXPECT_BACKEND; ${where}`);
    }
  });

  it(`by default: the expected backend, ${expectedContinuation() === 'js' ? 'the missing native part\'s warning' : 'no warning'}, contexts propagate`, async function () {
    const { out } = await report({ CTXFRAME_BACKEND: undefined });
    assert.strictEqual(out.backend, expectedBackend());
    assert.strictEqual(out.continuation, expectedContinuation());
    assert.deepStrictEqual(out.warnings.map((w) => w.code), MISSING_NATIVE());
    assert.deepStrictEqual(out.seen, SEEN_OK);
  });

  it('CTXFRAME_BACKEND=builtin selects builtin, no warning', async function () {
    const { out } = await report({ CTXFRAME_BACKEND: 'builtin' });
    assert.strictEqual(out.backend, 'builtin');
    assert.deepStrictEqual(out.warnings, []);
    assert.deepStrictEqual(out.seen, SEEN_OK);
  });

  it('CTXFRAME_BACKEND=carrier selects carrier, no warning', async function () {
    const { out } = await report({ CTXFRAME_BACKEND: 'carrier' });
    assert.strictEqual(out.backend, 'carrier');
    assert.deepStrictEqual(out.warnings, []);
    assert.deepStrictEqual(out.seen, SEEN_OK);
  });

  it(`CTXFRAME_BACKEND=frame ${builtinUsesFrame() ? 'selects frame, as by default' : 'warns once (CTXFRAME_FRAME_UNAVAILABLE) and selects carrier'}`, async function () {
    const { out } = await report({ CTXFRAME_BACKEND: 'frame' });
    if (builtinUsesFrame()) {
      assert.strictEqual(out.backend, 'frame');
      assert.strictEqual(out.continuation, expectedContinuation());
      assert.deepStrictEqual(out.warnings.map((w) => w.code), MISSING_NATIVE());
    } else {
      assert.strictEqual(out.backend, 'carrier');
      assert.strictEqual(out.warnings.length, 1, JSON.stringify(out.warnings));
      assert.strictEqual(out.warnings[0].code, 'CTXFRAME_FRAME_UNAVAILABLE');
    }
    assert.deepStrictEqual(out.seen, SEEN_OK);
  });

  // Node 20 has no async-context-frame flag; there the runtime-computed test above covers it.
  const major = Number(process.versions.node.split('.')[0]);
  let flipFlag = null;
  if (major >= 24 && builtinUsesFrame()) flipFlag = '--no-async-context-frame';
  else if (major === 22 && !builtinUsesFrame()) flipFlag = '--experimental-async-context-frame';
  if (flipFlag !== null) {
    it(`${flipFlag} in NODE_OPTIONS is detected like one on the command line`, async function () {
      const env = {
        CTXFRAME_BACKEND: undefined,
        NODE_OPTIONS: `${process.env.NODE_OPTIONS || ''} ${flipFlag}`.trim(),
      };
      const { out } = await report(env);
      const flags = [...process.execArgv, ...env.NODE_OPTIONS.split(/\s+/)];
      assert.strictEqual(out.backend, expectedBackend(flags));
      assert.notStrictEqual(out.backend, expectedBackend());
      assert.deepStrictEqual(out.warnings, []);
      assert.deepStrictEqual(out.seen, SEEN_OK);
    });
  }
});
