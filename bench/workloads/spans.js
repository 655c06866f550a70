'use strict';
// Workload 5 (spans): a request-like unit runs inside the variant's context and opens `depth` nested
// spans, each a run() of storage 0 with a new span store and one await inside — what an APM does.
// Metrics: wall and CPU µs per unit, and units/s; units run one after another.

const { createVariant } = require('../lib/variant.js');
const { readConfig, report, msSince, cpuMsSince, mismatch } = require('../lib/child.js');

const config = readConfig();
const variant = createVariant(config.variant);
const spanStorage = variant.storages[0];
const noContext = variant.kind === 'none';

async function tick() {}

function span(depth, parent) {
  const store = { depth, parent };
  const body = async () => {
    await tick();
    if (!noContext && spanStorage.getStore() !== store) mismatch('spans');
    if (depth > 1) await span(depth - 1, store);
  };
  return noContext ? body() : spanStorage.run(store, body);
}

async function units(n) {
  for (let i = 0; i < n; i++) await variant.enter(() => span(config.depth, null));
}

async function main() {
  await units(config.warmup);
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  await units(config.units);
  const ms = msSince(start);
  const cpuMs = cpuMsSince(cpu);
  report('spans', variant, {
    'µs/unit': (ms * 1000) / config.units,
    'cpu µs/unit': (cpuMs * 1000) / config.units,
    'units/s': config.units / (ms / 1000),
  },
    { units: config.units, depth: config.depth });
}

main().catch((err) => { console.error(err); process.exit(1); });
