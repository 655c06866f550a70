'use strict';
// What loading ctxframe costs a process that never emits a warning: not node:worker_threads
// (which brings Node's streams and worker machinery with it), only needed to emit a warning once
// per process (lib/process-once.js). Every module loaded stays in the old generation for the
// life of the process, and on a small service a quarter of a megabyte of it decides whether V8
// ever runs its first full collection (docs/design.md, "Pitfalls found by probing").

const assert = require('node:assert');
const path = require('node:path');
const { runNode, describeChild } = require('../support/core-child.js');
const { expectedContinuation } = require('../support/core-runtime.js');

const CHILD = path.join(__dirname, 'fixtures', 'load-footprint.js');

describe('core: what loading ctxframe brings into the process', function () {
  this.timeout(30000);

  // Where the native part is missing the process does emit a warning (once per process, workers
  // included: that is what needs node:worker_threads); the same child then loads it for that.
  const warns = expectedContinuation() === 'js';
  it(warns ? 'without the native part the process warns once, which loads node:worker_threads'
    : 'ctxframe and ctxframe/otel work without loading node:worker_threads', async function () {
    const r = await runNode([], CHILD);
    if (warns) {
      assert.strictEqual(r.code, 0, describeChild('load-footprint', r));
      const { seen, loaded } = JSON.parse(r.stdout.trim().split('\n').pop());
      assert.deepStrictEqual(seen, { store: 'store', context: true });
      assert.match(r.stderr, /\[CTXFRAME_NATIVE_UNAVAILABLE\]/);
      assert.ok(loaded.includes('NativeModule worker_threads'), loaded.join(', '));
      return;
    }
    assert.strictEqual(r.code, 0, describeChild('load-footprint', r));
    const { seen, loaded } = JSON.parse(r.stdout.trim().split('\n').pop());
    assert.deepStrictEqual(seen, { store: 'store', context: true });
    assert.ok(!loaded.includes('NativeModule worker_threads'),
      `loaded node:worker_threads: ${loaded.join(', ')}`);
    assert.ok(!loaded.some((name) => name.startsWith('NativeModule internal/streams/')),
      `loaded Node's streams: ${loaded.join(', ')}`);
  });
});
