'use strict';
// CTXFRAME_BACKEND=builtin is the back-out switch: it must change speed only. Its class is the
// running Node's own (a thin subclass where the built-in lacks Node 24's API), so the parity
// scenarios hold against the built-in and, for Node 24's API on Node 20 and 22 (name,
// defaultValue, withScope), against the expected logs. Every basics scenario runs; the others a
// representative subset. The run-scenario child asserts the backend it got.
const path = require('node:path');
const assert = require('node:assert/strict');
const { runNode, describeChild, TIME_SCALE } = require('../support/core-child.js');
const { describeParity } = require('../support/parity.js');
const { ROOT } = require('../support/core-runtime.js');

const scenarios = (file) => path.join(__dirname, 'scenarios', file);

describe('core parity with CTXFRAME_BACKEND=builtin (the back-out switch)', function () {
  const ctxframeEnv = { CTXFRAME_BACKEND: 'builtin', CTXFRAME_SCENARIO_EXPECT_BACKEND: 'builtin' };
  describeParity('basics', scenarios('basics.js'), { ctxframeEnv });
  describeParity('timers', scenarios('timers.js'), {
    ctxframeEnv,
    names: ['setInterval keeps its store on every tick and stops when cleared',
      'AsyncResource: runInAsyncScope, bind, AsyncResource.bind'],
  });
  describeParity('process', scenarios('process.js'), {
    ctxframeEnv,
    names: ['a built-in storage and the tested storage nested in both orders', 'unhandledRejection handler'],
  });

  it('is the running Node\'s own class underneath, and checks options like the other backends', async function () {
    this.timeout(30000 * TIME_SCALE);
    const r = await runNode([], path.join(__dirname, 'fixtures', 'builtin-api.js'), [], {
      cwd: ROOT, env: { CTXFRAME_BACKEND: 'builtin' },
    });
    assert.equal(r.code, 0, describeChild('builtin-api.js', r));
    const out = JSON.parse(r.stdout);
    assert.equal(out.backend, 'builtin');
    // The built-in itself where it has Node 24's API; otherwise a direct subclass of it.
    assert.ok(out.nativeApi ? out.own : out.sub && !out.own, JSON.stringify(out));
    assert.equal(out.isBuiltin, true);
    assert.equal(out.name, 'n');
    assert.equal(out.dflt, 1);
    assert.equal(out.statics, true);
    const invalid = ['TypeError', 'ERR_INVALID_ARG_TYPE'];
    assert.deepEqual(out.bad, [invalid, invalid, invalid, invalid, invalid]);
    assert.equal(out.symbol, 'TypeError');
  });
});
