'use strict';
// Owns: the fuzz of the native bridge run under ASan/UBSan and valgrind by test/asan/run.js.
//
//   node test/asan/bridge-fuzz.js --addon <path to ctxframe.node> [--iterations N] [--workers N] [--seed N]
//
// Loads the given build of the addon (process.dlopen, so several module instances exist) and calls
// every function it exports — get, set, exchange and, where V8 has them, the extras built-ins —
// with values of every JS type, 0 to 5 arguments, an unbound or foreign `this`, through `new`,
// Reflect.construct, bind and apply. Every call must return or throw a TypeError; the slot must be
// restorable after each. Meanwhile worker threads load the addon and do the same, and some of them
// are terminated in the middle (termination during calls and module teardown). Ends by checking that
// ctxframe's storages still carry context across await and timers. Deterministic per seed.

const path = require('node:path');
const { Worker, isMainThread, parentPort, workerData } = require('node:worker_threads');

function parseArgs(argv) {
  const opts = { addon: null, iterations: 20000, workers: 4, seed: 1 };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--addon') opts.addon = path.resolve(argv[++i]);
    else if (argv[i] === '--iterations') opts.iterations = Number(argv[++i]);
    else if (argv[i] === '--workers') opts.workers = Number(argv[++i]);
    else if (argv[i] === '--seed') opts.seed = Number(argv[++i]);
    else throw new Error(`unknown option ${argv[i]}`);
  }
  if (!opts.addon) throw new Error('--addon <path> is required');
  return opts;
}

// xorshift32: the same sequence for the same seed on every runtime.
function rng(seed) {
  let x = (seed >>> 0) || 1;
  return (n) => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x % n;
  };
}

function loadInstance(file) {
  const module = { exports: {} };
  process.dlopen(module, file);
  return module.exports;
}

const revoked = Proxy.revocable({}, {});
revoked.revoke();
const VALUES = [
  () => undefined, () => null, () => true, () => 0, () => -0, () => NaN, () => 2 ** 53, () => -1.5,
  () => 10n, () => 2n ** 100n, () => '', () => 'x'.repeat(1 << 16), () => '\ud800', () => Symbol('s'),
  () => Symbol.for('ctxframe'), () => ({}), () => Object.create(null), () => [1, 2, 3], () => new Array(1e5),
  () => function f() {}, () => class C {}, () => async () => {}, () => new Map([[1, 2]]), () => new WeakMap(),
  () => new Uint8Array(16), () => new ArrayBuffer(8), () => new SharedArrayBuffer(8), () => new DataView(new ArrayBuffer(4)),
  () => new Date(), () => /re/g, () => new Error('e'), () => Promise.resolve(1), () => new WeakRef({}),
  () => new Proxy({}, { get() { throw new Error('trap'); }, has() { throw new Error('trap'); } }),
  () => revoked.proxy, () => new Proxy(function () {}, {}), () => globalThis, () => process,
  () => ({ has() { return true; }, get() { return 1; } }), () => new (require('node:events').EventEmitter)(),
];

function fuzz(binding, iterations, seed) {
  const next = rng(seed);
  const value = () => VALUES[next(VALUES.length)]();
  const fns = [['get', binding.get], ['set', binding.set], ['exchange', binding.exchange]];
  if (binding.extras) fns.push(['extras.get', binding.extras.get], ['extras.set', binding.extras.set]);
  const prior = binding.get();
  const outcomes = { returned: 0, typeErrors: 0 };
  for (let i = 0; i < iterations; i++) {
    const [name, fn] = fns[next(fns.length)];
    const args = Array.from({ length: next(6) }, value);
    const self = next(3) === 0 ? value() : undefined;
    const how = next(7);
    try {
      if (how === 0) Reflect.apply(fn, self, args);
      else if (how === 1) fn(...args);
      else if (how === 2) fn.call(self, ...args);
      else if (how === 3) fn.bind(self, ...args.slice(0, 1))(...args.slice(1));
      else if (how === 4) new fn(...args); // eslint-disable-line new-cap
      else if (how === 5) Reflect.construct(fn, args, next(2) ? Object : fn);
      else fn.apply(self, args);
      outcomes.returned++;
    } catch (err) {
      if (!(err instanceof TypeError)) throw new Error(`${name} (${how}) threw ${err && err.stack}`);
      outcomes.typeErrors++;
    }
    binding.set(prior);
    if (binding.get() !== prior) throw new Error(`slot not restorable after ${name}`);
    // Property reads of the module object itself.
    if (next(64) === 0) void [binding.extras, Object.keys(binding), Object.getOwnPropertyNames(binding)];
  }
  return outcomes;
}

async function contextStillWorks(root) {
  const { AsyncLocalStorage } = require(root);
  const s = new AsyncLocalStorage();
  const seen = await s.run('mine', async () => {
    await null;
    await new Promise((r) => setTimeout(r, 1));
    return s.getStore();
  });
  if (seen !== 'mine') throw new Error(`context lost: ${seen}`);
}

const ROOT = path.resolve(__dirname, '..', '..');

if (!isMainThread) {
  const { addon, iterations, seed } = workerData;
  const binding = loadInstance(addon);
  const result = fuzz(binding, iterations, seed);
  contextStillWorks(ROOT).then(() => parentPort.postMessage(result));
} else {
  const opts = parseArgs(process.argv.slice(2));
  (async () => {
    const a = loadInstance(opts.addon);
    const b = loadInstance(opts.addon);
    // Two module instances, one slot: what one sets, the other reads.
    const token = { token: true };
    const prior = a.get();
    a.set(token);
    if (b.get() !== token) throw new Error('two module instances do not share the slot');
    b.set(prior);
    const terminated = [];
    const finished = [];
    const workers = [];
    for (let i = 0; i < opts.workers; i++) {
      const w = new Worker(__filename, { workerData: { addon: opts.addon, iterations: i % 2 ? opts.iterations : 1e9, seed: opts.seed + i + 1 } });
      workers.push(new Promise((resolve, reject) => {
        w.once('message', (r) => { finished.push(r); resolve(); });
        w.once('error', reject);
        w.once('exit', () => resolve());
      }));
      // Even-numbered workers never finish on their own: terminate them mid-fuzz, at a varying moment.
      if (i % 2 === 0) setTimeout(() => { terminated.push(i); w.terminate(); }, 20 + i * 37);
    }
    const main = fuzz(a, opts.iterations, opts.seed);
    const second = fuzz(b, Math.ceil(opts.iterations / 4), opts.seed + 100);
    await Promise.all(workers);
    await contextStillWorks(ROOT);
    console.log(`bridge-fuzz: ${opts.iterations + Math.ceil(opts.iterations / 4)} calls on 2 module instances ` +
      `(${main.returned + second.returned} returned, ${main.typeErrors + second.typeErrors} TypeError), ` +
      `${finished.length} workers finished ${opts.iterations} calls each, ${terminated.length} terminated mid-fuzz; context still carried`);
  })().catch((err) => {
    console.error(err && err.stack ? err.stack : err);
    process.exitCode = 1;
  });
}
