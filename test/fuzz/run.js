'use strict';
// Owns: `npm run fuzz` — the property-based tests of everything that reads outside input
// (test/fuzz/*.fuzz.js, fast-check), run by mocha in their own process, apart from `npm test`.
//
//   node test/fuzz/run.js            full run: 20x the runs, a random seed (printed)
//   node test/fuzz/run.js --ci       what CI runs: a fixed seed, the base number of runs
//   node test/fuzz/run.js --seed N   replay a failure (with --ci for the CI run counts)
//   node test/fuzz/run.js -- <mocha args>   e.g. -- --grep traceparent

const path = require('node:path');
const fs = require('node:fs');
const { spawnSync } = require('node:child_process');

const args = process.argv.slice(2);
const env = { ...process.env, CTXFRAME_FUZZ: 'full' };
const mochaArgs = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--ci') env.CTXFRAME_FUZZ = 'ci';
  else if (args[i] === '--seed') env.CTXFRAME_FUZZ_SEED = String(Number(args[++i]));
  else if (args[i] === '--') { mochaArgs.push(...args.slice(i + 1)); break; } else mochaArgs.push(args[i]);
}
const files = fs.readdirSync(__dirname).filter((f) => f.endsWith('.fuzz.js')).sort().map((f) => path.join(__dirname, f));
const mocha = require.resolve('mocha/bin/mocha.js');
const started = Date.now();
const r = spawnSync(process.execPath, [mocha, '--no-config', '--timeout', '600000', '--exit',
  '--require', path.join(__dirname, 'report.js'), ...mochaArgs, ...files], { stdio: 'inherit', env });
console.log(`fuzz: ${env.CTXFRAME_FUZZ} run on node ${process.version} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
process.exitCode = r.status === null ? 1 : r.status;
