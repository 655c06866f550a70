'use strict';
// The runtime table (scripts/runtimes.js) that the matrix, the bench and the core tests share:
// its rows are consistent, and expectedBackend() is Node's own rule for when the built-in
// AsyncLocalStorage runs on AsyncContextFrame.

const assert = require('node:assert');
const { RUNTIMES, PINNED, expectedBackend, runtimeNamed } = require('../../scripts/runtimes.js');

describe('runtime table', function () {
  it('has the eight modes, each name once, versions matching their major', function () {
    assert.deepStrictEqual(RUNTIMES.map((r) => r.name),
      ['20', '22', '22-acf', '24', '24-no-acf', '26', '24-no-native', '25']);
    for (const r of RUNTIMES) {
      if (r.version !== null) assert.strictEqual(r.version.split('.')[0], String(r.major), r.name);
      assert.ok(Object.isFrozen(r) && Object.isFrozen(r.flags), `${r.name} is frozen`);
    }
    assert.deepStrictEqual(Object.keys(PINNED), ['22', '24', '25', '26']);
    // Without the native part: 24 as every platform without a prebuild, 25 as the next release.
    assert.deepStrictEqual(RUNTIMES.filter((r) => !r.native).map((r) => r.name), ['24-no-native', '25']);
    assert.strictEqual(runtimeNamed('24-no-acf').flags[0], '--no-async-context-frame');
    assert.strictEqual(runtimeNamed('18'), null);
  });

  it('expects frame exactly where the built-in runs on AsyncContextFrame', function () {
    assert.deepStrictEqual(Object.fromEntries(RUNTIMES.map((r) => [r.name, r.backend])), {
      20: 'carrier', 22: 'carrier', '22-acf': 'frame', 24: 'frame', '24-no-acf': 'carrier', 26: 'frame',
      '24-no-native': 'frame', 25: 'frame',
    });
    const acf = ['--experimental-async-context-frame'];
    const cases = [
      ['20.20.2', acf, 'carrier'], // the flag does not exist before 22.9
      ['22.8.0', acf, 'carrier'],
      ['22.9.0', acf, 'frame'],
      ['22.9.0', [], 'carrier'],
      ['23.0.0', acf, 'frame'],
      ['v24.0.0', [], 'frame'],
      [24, ['--no-async-context-frame'], 'carrier'],
      [26, ['--max-old-space-size=100'], 'frame'],
    ];
    for (const [version, flags, backend] of cases) {
      assert.strictEqual(expectedBackend(version, flags), backend, `${version} ${flags.join(' ')}`);
    }
    assert.throws(() => expectedBackend('latest', []), TypeError);
  });
});
