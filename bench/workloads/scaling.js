'use strict';
// Workload 8 (scaling): does a storage cost more when many storages exist, have existed or are
// disabled? One target storage, measured in ns per operation (as micro: calibrated samples, the
// fastest one) while other storages of the same class pile up in the process:
//   run ns, N alive        target.run() nested inside the run() of the newest of N storages that are
//                          all still alive (N = 1, 1,000, `live`): the outer storage is the one
//                          created last, so a representation keyed by creation order shows it
//   getStore ns, N alive   target.getStore() there, inside target.run()
//   enterWith ns, N alive  target.enterWith() there
//   run ns, N disabled     target.run() at the top level once those N storages each ran once and
//                          were disable()d, still alive
//   µs/request, own storage  `requests` request-like units, each creating its own storage and
//                          running an async fn in it (two awaits, store read after each); the
//                          storages are dropped as they finish (a storage per request, per job)
// Every op's result is checked, so a variant that reads the wrong store fails instead of winning.

const { createVariant } = require('../lib/variant.js');
const { readConfig, report, mismatch, fastestNsPerOp } = require('../lib/child.js');

const config = readConfig();
const variant = createVariant(config.variant);
const Storage = variant.AsyncLocalStorage;
const target = variant.storages[0];
const store = { id: 'target' };
const outerStore = { id: 'outer' };
const ring = Array.from({ length: 8 }, (_, i) => ({ id: i }));
const one = () => 1;
const noContext = variant.kind === 'none'; // its stand-in does not follow awaits

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

// ns per op, the fastest of config.samples calibrated samples (bench/lib/child.js).
function measure(body) {
  return fastestNsPerOp(body, config, 'scaling', 100);
}

// Inside the run() of `outer` (the newest storage), or at the top level for none.
function inside(outer, fn) {
  return outer.run(outerStore, () => {
    if (outer.getStore() !== outerStore) mismatch('scaling outer');
    return fn();
  });
}

async function requests(n) {
  const tick = async () => {};
  for (let i = 0; i < n; i++) {
    const own = new Storage();
    const request = { id: i };
    await own.run(request, async () => {
      await tick();
      if (!noContext && own.getStore() !== request) mismatch('scaling request');
      await tick();
      if (!noContext && own.getStore() !== request) mismatch('scaling request');
    });
  }
}

async function main() {
  const metrics = {};
  const others = [];
  // Warm every op up once before the first figure, so that 1 alive is not also "cold".
  others.push(new Storage());
  inside(others[0], () => [runOps, getStoreOps, enterWithOps].map(measure));
  for (const alive of [1, 1000, config.live]) {
    while (others.length < alive) others.push(new Storage());
    const outer = others[others.length - 1];
    const label = `${alive.toLocaleString('en-US')} alive`;
    metrics[`run ns, ${label}`] = inside(outer, () => measure(runOps));
    metrics[`getStore ns, ${label}`] = inside(outer, () => measure(getStoreOps));
    metrics[`enterWith ns, ${label}`] = inside(outer, () => measure(enterWithOps));
  }
  for (const other of others) {
    other.run(outerStore, one);
    if (typeof other.disable === 'function') other.disable();
  }
  metrics[`run ns, ${others.length.toLocaleString('en-US')} disabled`] = measure(runOps);

  await requests(config.warmupRequests);
  const start = process.hrtime.bigint();
  await requests(config.requests);
  metrics['µs/request, own storage'] = Number(process.hrtime.bigint() - start) / 1e3 / config.requests;
  report('scaling', variant, metrics, { live: config.live, requests: config.requests, others: others.length });
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
