'use strict';
// Every entry point in package.json's exports map: it loads by its public name, and its ESM
// named exports (what Node's cjs-module-lexer detects) are exactly its CommonJS exports, so
// `import { GateTimeoutError } from 'ctxframe/gate'` works for every name `require` gives.

const assert = require('node:assert/strict');
const { exports: exportsMap } = require('../../package.json');

const entries = Object.keys(exportsMap)
  .filter((key) => key !== './package.json')
  .map((key) => (key === '.' ? 'ctxframe' : `ctxframe/${key.slice(2)}`));

describe('kit/exports map', () => {
  for (const name of entries) {
    it(`${name}: import gives every name require gives`, async () => {
      const cjs = require(name);
      const esm = await import(name);
      // `default` is module.exports itself in ESM, whatever a CommonJS module calls default.
      const names = Object.keys(cjs).filter((key) => key !== 'default');
      const missing = names.filter((key) => !(key in esm));
      assert.deepEqual(missing, [], `${name}: not visible as ESM named exports`);
      for (const key of names) assert.equal(esm[key], cjs[key], `${name}: ${key}`);
    });
  }

  it('the gate error classes work with instanceof through ESM too', async () => {
    const { GateError, GateTimeoutError, AsyncGate } = await import('ctxframe/gate');
    const gate = new AsyncGate({ concurrency: 1 });
    const err = await gate.run(() => new Promise((resolve) => setTimeout(resolve, 50)), { timeout: 1 })
      .then(() => null, (e) => e);
    assert.ok(err instanceof GateTimeoutError);
    assert.ok(err instanceof GateError);
    assert.equal(err.code, 'CTXFRAME_GATE_TIMEOUT');
    assert.equal(err.name, 'GateTimeoutError');
    assert.match(err.stack, /^GateTimeoutError \[CTXFRAME_GATE_TIMEOUT\]: /);
  });
});
