'use strict';
// Workload 4 (micro): ns per operation on one storage ("the target"):
//   run         target.run(store, fn) with fn returning a constant
//   getStore    target.getStore() inside a run()
//   enterWith   target.enterWith(store)
//   run10       target.run() after 10 more storages have each been used once (enterWith at the top
//               level, so the current context holds a value for each of them)
// With N storages (builtin-N, ctxframe-N), storages 1..N-1 each hold a value in the current context
// (enterWith once, before any measurement), so "run, 10 storages" shows how run() scales with the
// size of the context. Each op: warm-up, then `samples` samples of k ops (k calibrated so a sample
// takes ~sampleMs); the metric is the fastest sample's ns/op (noise on a
// shared machine only adds time). Every op's result feeds a checksum that is
// verified, so the optimizer cannot drop the calls.

const { createVariant } = require('../lib/variant.js');
const { readConfig, report, fastestNsPerOp } = require('../lib/child.js');

const config = readConfig();
const variant = createVariant(config.variant);
const target = variant.storages[0];
const store = { id: 'target' };
const ring = Array.from({ length: 8 }, (_, i) => ({ id: i }));
const one = () => 1;

function runOps(k) {
  let sum = 0;
  for (let i = 0; i < k; i++) sum += target.run(store, one);
  return sum === k;
}

function getStoreOps(k) {
  return target.run(store, () => {
    let hits = 0;
    for (let i = 0; i < k; i++) if (target.getStore() === store) hits++;
    return hits === k;
  });
}

function enterWithOps(k) {
  for (let i = 0; i < k; i++) target.enterWith(ring[i & 7]);
  return target.getStore() === ring[(k - 1) & 7];
}

function run10Ops(k) {
  let sum = 0;
  for (let i = 0; i < k; i++) sum += target.run(store, one);
  return sum === k;
}

// ns per op, the fastest of config.samples calibrated samples (bench/lib/child.js).
function measure(body) {
  return fastestNsPerOp(body, config, 'micro', 1000);
}

function main() {
  // Storages 1..N-1 hold a value in the current context.
  for (let i = 1; i < variant.storages.length; i++) variant.storages[i].enterWith(variant.stores[i]);
  const metrics = {};
  metrics['run ns'] = measure(runOps);
  metrics['getStore ns'] = measure(getStoreOps);
  metrics['enterWith ns'] = measure(enterWithOps);
  const Storage = variant.AsyncLocalStorage;
  for (let i = 0; i < 10; i++) new Storage().enterWith({ other: i });
  metrics['run10 ns'] = measure(run10Ops);
  report('micro', variant, metrics, { sampleMs: config.sampleMs, samples: config.samples });
}

main();
