'use strict';
// The native bridge (the native loader → { binding, continuation, loadError }): V8
// continuation-preserved embedder data get/set/exchange, argument checks, what it exports, every
// module instance (process.dlopen) and every worker_thread working on its own, garbage input
// throws TypeError and never crashes. Anything that
// could crash runs in a child (fixtures/native-child.js) whose exit status is asserted.

const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { NODE_MAJOR, nativeBuildPath, nativeHidden, expectedContinuation } = require('../support/core-runtime.js');
const { internal } = require('../support/internals.js');
const { runNode, describeChild, TIME_SCALE } = require('../support/core-child.js');

const CHILD = path.join(__dirname, 'fixtures', 'native-child.js');

async function child(mode) {
  const r = await runNode([], CHILD, [mode], { timeoutMs: 25000 });
  assert.strictEqual(r.signal, null, describeChild(`native-child ${mode}`, r));
  assert.strictEqual(r.code, 0, describeChild(`native-child ${mode}`, r));
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

// A matrix mode without the native part (scripts/hide-native.js): the loader finds nothing,
// says so, and the frame backend runs its JS path.
if (nativeHidden()) {
  describe('core: native bridge (hidden in this mode)', function () {
    it('the loader finds no build and says why; frame runs without it', function () {
      const native = internal('native');
      assert.strictEqual(native.binding, null);
      assert.strictEqual(native.continuation, null);
      assert.strictEqual(native.loadError.code, 'MODULE_NOT_FOUND');
      assert.strictEqual(require('ctxframe').continuation, expectedContinuation());
    });
  });
} else describe('core: native bridge', function () {
  this.timeout(30000 * TIME_SCALE);
  const native = internal('native');
  const { binding, continuation } = native;

  it('loads on this runtime (a build exists / the matrix expects one)', function () {
    const expected = process.env.CTXFRAME_EXPECT_BACKEND !== undefined || fs.existsSync(nativeBuildPath());
    assert.ok(expected, `no native build at ${nativeBuildPath()} and not in the matrix: run npm run build`);
    assert.ok(binding !== null,
      `binding is null: ${native.loadError && native.loadError.stack}`);
    assert.strictEqual(native.loadError, null);
  });

  it('get/set/exchange read and write the V8 continuation-preserved embedder data', function () {
    const prior = binding.get();
    const t1 = { t: 1 };
    const t2 = { t: 2 };
    try {
      assert.strictEqual(binding.set(t1), undefined);
      assert.strictEqual(binding.get(), t1);
      assert.strictEqual(binding.exchange(t2), t1);
      assert.strictEqual(binding.get(), t2);
      binding.set(undefined);
      assert.strictEqual(binding.get(), undefined);
      binding.set('primitive');
      assert.strictEqual(binding.get(), 'primitive');
    } finally {
      binding.set(prior);
    }
    assert.strictEqual(binding.get(), prior);
  });

  it('the slot is what V8 carries across await (value set before await is back after it)', async function () {
    const prior = binding.get();
    const token = { carried: true };
    binding.set(token);
    const p = (async () => { await null; return binding.get(); })();
    binding.set(prior);
    assert.strictEqual(await p, token);
    assert.strictEqual(binding.get(), prior);
  });

  it('set() and exchange() without an argument throw TypeError ERR_MISSING_ARGS', function () {
    for (const fn of [() => binding.set(), () => binding.exchange()]) {
      assert.throws(fn, (err) => err instanceof TypeError && err.code === 'ERR_MISSING_ARGS');
    }
  });

  it('get/set/exchange called with new throw TypeError', function () {
    const prior = binding.get();
    try {
      assert.throws(() => new binding.get(), TypeError);
      assert.throws(() => new binding.set(1), TypeError);
      assert.throws(() => new binding.exchange(1), TypeError);
    } finally {
      binding.set(prior);
    }
    assert.strictEqual(binding.get(), prior);
  });

  it(`source is ${NODE_MAJOR >= 22 ? "'extras' (V8 12.4+ slot built-ins)" : "'v8-api' (no extras built-ins on V8 11)"}`, function () {
    assert.ok(['extras', 'v8-api'].includes(continuation.source), String(continuation.source));
    assert.strictEqual(continuation.source, NODE_MAJOR >= 22 ? 'extras' : 'v8-api');
  });

  it('exports the bridge and nothing else: get, set, exchange, extras', function () {
    assert.deepStrictEqual(Object.keys(binding).sort(), ['exchange', 'extras', 'get', 'set']);
    if (binding.extras !== undefined) {
      assert.deepStrictEqual(Object.keys(binding.extras).sort(), ['get', 'set']);
    }
  });

  it('garbage input throws TypeError (or is a valid value), never crashes; the slot is restored', async function () {
    const out = await child('garbage');
    const { results } = out;
    for (const [call, result] of Object.entries(results)) {
      assert.ok(result === 'ok' || result.startsWith('TypeError'), `${call} -> ${result}`);
    }
    for (const call of ['set()', 'exchange()']) assert.strictEqual(results[call], 'TypeError ERR_MISSING_ARGS', call);
    for (const call of ['new get()', 'new set(1)', 'new exchange(1)', 'Reflect.construct(set, [1])',
      'Reflect.construct(get, [], Object)', 'set.bind(null)()']) {
      assert.ok(results[call].startsWith('TypeError'), `${call} -> ${results[call]}`);
    }
    for (const call of ['get.call(1)', 'get(1, 2, 3)', 'set(Symbol())', 'set(new Proxy)', 'exchange(function)']) {
      assert.strictEqual(results[call], 'ok', call);
    }
    assert.strictEqual(out.slotRestored, true);
    assert.deepStrictEqual(out.stores, ['ours', 'builtin']);
  });

  it('process.dlopen twice gives two more module instances, each round-tripping values through the one continuation', async function () {
    const out = await child('dlopen');
    assert.strictEqual(out.distinctExports, true, 'each dlopen fills its own exports object');
    assert.deepStrictEqual(out.roundTrips, [true, true, true], 'loader, first and second instance');
    assert.strictEqual(out.sharedSlot, true, 'what one instance sets, the others read');
    assert.deepStrictEqual(out.stores, ['ours', 'builtin']);
  });

  it('loads in 4 worker_threads at once, each round-trips values and carries context, each exits 0; main still works', async function () {
    const out = await child('workers');
    assert.deepStrictEqual(out.exits, [0, 0, 0, 0]);
    for (const m of out.messages) {
      assert.strictEqual(m.loaded, true, `worker could not load the addon: ${m.loadError}`);
      assert.strictEqual(m.roundTrip, true);
      assert.strictEqual(m.store, 'in worker');
      assert.strictEqual(m.source, continuation.source);
      assert.strictEqual(m.backend, require('ctxframe').backend);
      assert.strictEqual(m.untouchedByOthers, true, 'a worker saw another thread\'s value in its continuation');
    }
    assert.strictEqual(out.mainRoundTrip, true);
    assert.deepStrictEqual(out.stores, ['ours', 'builtin']);
  });
});
