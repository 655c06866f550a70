'use strict';
// The very first asynchronous operation of a process that loaded only ctxframe must carry the
// context: Node switches timers/immediates/nextTick to AsyncContextFrame lazily, and ctxframe
// has to make that happen itself when it loads (docs/design.md, "What V8's continuation data
// does on each runtime"). Each case is a fresh child; the built-in is run the same way for
// comparison.

const assert = require('node:assert');
const path = require('node:path');
const { runNode, describeChild } = require('../support/core-child.js');

const CHILD = path.join(__dirname, 'fixtures', 'first-use.js');

async function firstUse(impl, op) {
  const r = await runNode([], CHILD, [impl, op]);
  assert.strictEqual(r.code, 0, describeChild(`${impl} ${op}`, r));
  return JSON.parse(r.stdout.trim().split('\n').pop()).store;
}

describe('core: the first async operation after loading sees the context', function () {
  this.timeout(30000);
  for (const op of ['setImmediate', 'setTimeout', 'nextTick', 'queueMicrotask', 'promise']) {
    it(op, async function () {
      const [ours, builtin] = await Promise.all([firstUse('ctxframe', op), firstUse('builtin', op)]);
      assert.strictEqual(builtin, 'first', 'the built-in itself');
      assert.strictEqual(ours, 'first');
    });
  }
});
