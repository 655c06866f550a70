'use strict';
// The TypeScript types: test/types/entry-points.ts imports every entry point
// by package name (resolved through package.json "exports", as a user's
// project would) and must compile under --strict; its @ts-expect-error lines
// must be errors.

const assert = require('node:assert/strict');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..');

describe('types', () => {
  it('every entry point type-checks under tsc --strict, misuses are rejected', function () {
    this.timeout(120000);
    const tsc = require.resolve('typescript/bin/tsc');
    const result = spawnSync(process.execPath, [tsc,
      '--strict', '--noEmit', '--target', 'es2022', '--lib', 'es2022,esnext.disposable',
      '--module', 'node16', '--moduleResolution', 'node16', '--types', 'node',
      path.join('test', 'types', 'entry-points.ts')], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(result.status, 0, `tsc failed:\n${result.stdout}${result.stderr}`);
  });
});
