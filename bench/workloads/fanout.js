'use strict';
// Workload 2 (fan-out): `iterations` times, Promise.all of 10 async functions that each await once
// and read the store, all inside a context. Metrics: wall ms and CPU ms.

const { createVariant } = require('../lib/variant.js');
const { readConfig, report, mismatch, timedLoop } = require('../lib/child.js');

const config = readConfig();
const variant = createVariant(config.variant);
const expected = variant.stores[0];
const WIDTH = 10;

async function leaf(i) {
  await undefined;
  if (variant.read() !== expected) mismatch('fan-out');
  return i;
}

async function loop(iterations) {
  let sum = 0;
  for (let n = 0; n < iterations; n++) {
    const tasks = [];
    for (let i = 0; i < WIDTH; i++) tasks.push(leaf(i));
    const values = await Promise.all(tasks);
    sum += values.length;
  }
  return sum;
}

async function main() {
  const { result: sum, ms, cpuMs } = await timedLoop(variant, config, loop);
  if (sum !== config.iterations * WIDTH) throw new Error('fan-out: lost tasks');
  report('fanout', variant, { ms, 'cpu ms': cpuMs }, { iterations: config.iterations, width: WIDTH });
}

main().catch((err) => { console.error(err); process.exit(1); });
