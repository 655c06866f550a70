'use strict';
// The parity harness itself must be able to fail: a synchronous-only implementation
// (test/support/core-naive-als.js) gives a different log than the built-in, and a scenario
// that leaves a handle open is reported as hung instead of passing.

const assert = require('node:assert');
const path = require('node:path');
const { runScenario } = require('../support/parity.js');

const FILE = path.join(__dirname, 'fixtures', 'harness-scenarios.js');

describe('core: parity harness self-check', function () {
  this.timeout(30000);

  it('a broken implementation produces a log that differs from the built-in', async function () {
    const [builtin, naive] = await Promise.all([
      runScenario('builtin', FILE, 'timer and await see the run'),
      runScenario('naive', FILE, 'timer and await see the run'),
    ]);
    assert.deepStrictEqual(builtin.result.log, ['x', 'x']);
    assert.notDeepStrictEqual(naive.result.log, builtin.result.log);
  });

  it('a scenario that leaves a handle open is reported as hung', async function () {
    const { result } = await runScenario('builtin', FILE, 'leaves an interval running',
      { CTXFRAME_SCENARIO_WATCHDOG_MS: '1000' });
    assert.strictEqual(result.hung, true);
    assert.deepStrictEqual(result.log, ['started']);
  });
});
