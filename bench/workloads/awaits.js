'use strict';
// Workload 1 (awaits): one async function awaits `iterations` trivial async calls inside a context,
// reading the store every 100 iterations. Metrics: wall ms and CPU ms (process.cpuUsage) of the loop, after a short warm-up.

const { createVariant } = require('../lib/variant.js');
const { readConfig, report, mismatch, timedLoop } = require('../lib/child.js');

const config = readConfig();
const variant = createVariant(config.variant);
const expected = variant.stores[0];

async function trivial() {
  return 1;
}

async function loop(iterations) {
  let sum = 0;
  for (let i = 0; i < iterations; i++) {
    sum += await trivial();
    if (i % 100 === 0 && variant.read() !== expected) mismatch('awaits');
  }
  return sum;
}

async function main() {
  const { result: sum, ms, cpuMs } = await timedLoop(variant, config, loop);
  if (sum !== config.iterations) throw new Error('awaits: lost iterations');
  report('awaits', variant, { ms, 'cpu ms': cpuMs }, { iterations: config.iterations });
}

main().catch((err) => { console.error(err); process.exit(1); });
