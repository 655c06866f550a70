'use strict';
// Memory guarantees, each observed in a child with --expose-gc (fixtures/memory-case.js) using
// WeakRef and forced gc with awaits in between. ctxframe's guarantees are asserted outright;
// the built-in runs beside it (same case, fresh child) and its result is quoted in failure
// messages — it does not meet all of them (Node 24 keeps a disabled storage; 20 and 24 keep a
// dropped storage that ever ran), so it is not the reference here.
//
// The 100,000-storage loop is not run on the built-in: on async_hooks runtimes the built-in
// keeps every storage that ever ran and copies all of them into every new async resource
// (Node 20 ran out of a 4 GB heap after ~9 minutes).

const assert = require('node:assert');
const path = require('node:path');
const { backend } = require('ctxframe');
const { runNode, describeChild } = require('../support/core-child.js');

const CASE = path.join(__dirname, 'fixtures', 'memory-case.js');

async function memoryCase(impl, name) {
  const r = await runNode(['--expose-gc'], CASE, [impl, name], { timeoutMs: 25000 });
  assert.strictEqual(r.code, 0, describeChild(`${impl} memory case "${name}"`, r));
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

async function both(name) {
  const [ours, builtin] = await Promise.all([memoryCase('ctxframe', name), memoryCase('builtin', name)]);
  return { ours, note: `(built-in on this runtime: ${JSON.stringify(builtin)})` };
}

describe('core: memory', function () {
  this.timeout(60000);

  it('a store stays alive while work scheduled in its run is pending and is collectable after', async function () {
    const { ours, note } = await both('store after run and scheduled work');
    assert.deepStrictEqual(ours.seen, { timeout: 'S', immediate: 'S', nextTick: 'S', promise: 'S', gate: 'S', resource: 'S' }, note);
    assert.strictEqual(ours.aliveWhilePending, true, `store collected while a pending reaction / AsyncResource could still read it ${note}`);
    assert.strictEqual(ours.collected, true, `store not collectable after everything finished ${note}`);
  });

  it('a storage and its entered store are collectable after disable()', async function () {
    const { ours, note } = await both('storage after disable');
    assert.deepStrictEqual(ours, { storageCollected: true, storeCollected: true }, note);
  });

  it('a disabled storage is collectable even while work from its run is pending', async function () {
    const { ours, note } = await both('storage after disable with pending work');
    assert.deepStrictEqual(ours, { collectedWhilePending: true, collectedAfter: true, reactionRan: 'ran' }, note);
  });

  it('a disabled storage is collectable while a frame a built-in storage copied from it is pending', async function () {
    const { ours, note } = await both('disabled storage in a frame copied by a built-in storage');
    assert.deepStrictEqual(ours, { collectedWhilePending: true, collectedAfter: true, builtinSeen: 'copied' }, note);
  });

  it('a storage dropped without disable() is collectable once its runs finished', async function () {
    const { ours, note } = await both('storage dropped without disable');
    assert.deepStrictEqual(ours, { collected: true }, note);
  });

  it('storages created after others were collected never see their values in old frames', async function () {
    const { ours, note } = await both('reused slot never shows a dead storage value');
    assert.deepStrictEqual(ours, { oldCollected: true, leaked: [], checked: 8 * 64, inFreshRun: ['NEW'] }, note);
  });

  // Reads ctxframe's own entries, so not on the `builtin` backend (CTXFRAME_BACKEND=builtin).
  if (backend !== 'builtin') {
    it('a frame that grew a pair for each of 1,000 storages sheds them once they are collected, when it next grows', async function () {
      const ours = await memoryCase('ctxframe', 'collected storages shed when a frame grows');
      assert.deepStrictEqual(ours, { collected: true, marked: true, grown: 2000, beforeShed: 2000, shed: 2, kept: 'K', late: 'L' });
    });

    it('a frame of three storages sheds the one collected when a fourth runs in it', async function () {
      const ours = await memoryCase('ctxframe', 'collected storage shed from a small frame');
      assert.deepStrictEqual(ours, { collected: true, marked: true, grown: 6,
        inRun: { length: 6, dead: false, stores: ['A', 'B', 'L'] } });
    });
  }

  it('100,000 runs with distinct dropped storages: heap bounded (< +20 MB) and frames do not grow (< +5 MB per 200)', async function () {
    const ours = await memoryCase('ctxframe', '100k distinct storages');
    const shown = JSON.stringify(ours);
    assert.strictEqual(ours.wrong, 0, shown);
    assert.strictEqual(ours.outerKept, 'outer', shown);
    assert.strictEqual(ours.sane, true, shown);
    assert.ok(ours.growthMB < 20, `heap grew by ${ours.growthMB.toFixed(1)} MB: ${shown}`);
    assert.ok(ours.frameCostAfterMB - ours.frameCostBeforeMB < 5,
      `200 frames cost ${ours.frameCostAfterMB.toFixed(2)} MB after the loop vs ${ours.frameCostBeforeMB.toFixed(2)} MB before: ${shown}`);
  });
});
