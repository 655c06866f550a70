'use strict';
// A frame holds one entry per storage entered in it, whatever the number of storages that exist,
// have existed or are disabled: so run(), getStore() and enterWith() cost the same with 1 or
// 10,000 storages around (bench/workloads/scaling.js measures it). Checked on the entries the
// running backend actually made current (the frame in the continuation on `frame`, the carrier's
// value on `carrier`), read through test/support/internals.js. Counts, not timings.

const assert = require('node:assert');
const { AsyncLocalStorage, backend } = require('ctxframe');
const { currentEntries } = require('../support/internals.js');

function stores(entries) {
  const out = [];
  for (let i = 1; i < entries.length; i += 2) out.push(entries[i]);
  return out;
}

if (backend === 'frame' || backend === 'carrier') {
  describe(`core: frame size (${backend} backend)`, function () {
    this.timeout(30000);

    it('nested inside the newest of 10,000 live storages, a run adds 2 entries', function () {
      const target = new AsyncLocalStorage();
      const others = Array.from({ length: 10000 }, () => new AsyncLocalStorage());
      // What earlier tests left at this level (ours or, after a built-in storage ran, Node's).
      const base = target.run('probe', () => currentEntries().length);
      const seen = others[9999].run('outer', () => target.run('T', () => {
        target.enterWith('E');
        return currentEntries();
      }));
      assert.deepStrictEqual(stores(seen).filter((x) => x === 'outer' || x === 'E').sort(), ['E', 'outer']);
      assert.strictEqual(seen.length, base + 2);
    });

    it('a frame made after 10,000 storages each entered their own frame holds only its own entries', async function () {
      const outer = new AsyncLocalStorage();
      const sizes = new Set();
      const base = outer.run('probe', () => currentEntries().length);
      await outer.run('outer', async () => {
        for (let i = 0; i < 10000; i++) {
          const s = new AsyncLocalStorage();
          s.run(i, () => sizes.add(currentEntries().length));
        }
        await null;
        sizes.add(currentEntries().length);
      });
      assert.deepStrictEqual([...sizes].sort((x, y) => x - y), [base, base + 2]);
    });

    it('with 10,000 storages disabled after entering, a run of another storage is as long as before they existed and carries none of theirs', function () {
      const many = Array.from({ length: 10000 }, () => new AsyncLocalStorage());
      const target = new AsyncLocalStorage();
      const base = target.run('probe', () => currentEntries().length);
      for (const s of many) { s.enterWith('m'); s.disable(); }
      const seen = target.run('T', () => currentEntries());
      assert.strictEqual(seen.length, base);
      assert.ok(stores(seen).includes('T'));
      assert.ok(!stores(seen).includes('m'));
    });
  });
}
