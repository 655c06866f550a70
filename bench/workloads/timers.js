'use strict';
// Workload 3 (timers): `count` callbacks of each kind — process.nextTick, setImmediate,
// setTimeout(0) — scheduled inside a context, each reading the store. Metrics per kind: wall ms and
// CPU ms (process.cpuUsage, user + system) from the first schedule to the last callback.

const { createVariant } = require('../lib/variant.js');
const { readConfig, report, msSince, cpuMsSince, mismatch } = require('../lib/child.js');

const config = readConfig();
const variant = createVariant(config.variant);
const expected = variant.stores[0];

const SCHEDULERS = {
  nextTick: (cb) => process.nextTick(cb),
  setImmediate: (cb) => setImmediate(cb),
  setTimeout: (cb) => setTimeout(cb, 0),
};

function burst(kind, count) {
  const schedule = SCHEDULERS[kind];
  return new Promise((resolve) => {
    let left = count;
    const callback = () => {
      if (variant.read() !== expected) mismatch(`timers/${kind}`);
      if (--left === 0) resolve();
    };
    variant.enter(() => {
      for (let i = 0; i < count; i++) schedule(callback);
    });
  });
}

async function main() {
  const metrics = {};
  for (const kind of Object.keys(SCHEDULERS)) {
    await burst(kind, config.warmup);
    const cpu = process.cpuUsage();
    const start = process.hrtime.bigint();
    await burst(kind, config.count);
    metrics[`${kind} ms`] = msSince(start);
    metrics[`${kind} cpu ms`] = cpuMsSince(cpu);
  }
  report('timers', variant, metrics, { count: config.count });
}

main().catch((err) => { console.error(err); process.exit(1); });
