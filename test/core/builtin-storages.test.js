'use strict';
// ctxframe adds at most one built-in AsyncLocalStorage to Node's propagation list, and only where
// it carries frames in one (carrier). Every enabled async_hooks storage copies its store onto
// every async resource the process creates; a second one, left enabled by backend selection's
// probe on Node 24 --no-async-context-frame, doubled that work for every promise of the process.

const assert = require('node:assert');
const path = require('node:path');
const { runNode, describeChild } = require('../support/core-child.js');

const CHILD = path.join(__dirname, 'fixtures', 'builtin-storages.js');

describe('core: the built-in storages ctxframe keeps enabled', function () {
  this.timeout(30000);

  for (const backend of ['auto', 'carrier', 'builtin']) {
    it(`CTXFRAME_BACKEND=${backend}: at most the one that carries the context copies stores onto new async resources`, async function () {
      const r = await runNode([], CHILD, [], { env: { CTXFRAME_BACKEND: backend } });
      assert.strictEqual(r.code, 0, describeChild('builtin-storages', r));
      const out = JSON.parse(r.stdout.trim().split('\n').pop());
      assert.strictEqual(out.seen, 'store');
      // frame: V8 carries the context, no async_hooks storage exists to propagate it.
      // carrier: ctxframe's one built-in storage. builtin: the storage the test made is Node's own.
      const expected = out.hooksBased ? (out.backend === 'frame' ? 0 : 1) : 0;
      assert.strictEqual(out.propagating, expected, `backend ${out.backend}: ${out.propagating} built-in storages propagate`);
    });
  }
});
