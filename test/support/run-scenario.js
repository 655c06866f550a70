'use strict';
// Owns: running ONE parity scenario in this fresh process with one AsyncLocalStorage
// implementation, and printing what it observed as one JSON line on stdout.
//
//   node test/support/run-scenario.js <builtin|ctxframe> <scenarioFile> <scenarioName>
//
// The scenario is called synchronously from this module's top level (so `enterWith` in it
// before its first await is an enterWith at top level). The result is printed when the
// process exits naturally — a scenario that leaves a handle open after it finished is reported
// as hung.

const fs = require('node:fs');
const path = require('node:path');
const { builtinUsesFrame, ROOT } = require('./core-runtime.js');

const RESULT_MARK = '@@CTXFRAME_SCENARIO_RESULT@@';
const [impl, scenarioFile, scenarioName] = process.argv.slice(2);

// Read lazily on the ctxframe side: touching async_hooks.AsyncLocalStorage makes Node decide its
// AsyncContextFrame mode, which ctxframe must do by itself (an app may never touch it).
const builtinClass = () => require('node:async_hooks').AsyncLocalStorage;
let ALS;
let backend;
if (impl === 'builtin') {
  ALS = builtinClass();
  backend = 'node';
} else if (impl === 'ctxframe') {
  const ctxframe = require('ctxframe');
  ALS = ctxframe.AsyncLocalStorage;
  backend = ctxframe.backend;
  // A harness that forces a backend says which one it must get.
  const wanted = process.env.CTXFRAME_SCENARIO_EXPECT_BACKEND;
  if (wanted && wanted !== backend) throw new Error(`ctxframe backend is ${backend}, expected ${wanted}`);
} else if (impl === 'naive') {
  // Only for the harness' own test: an implementation that must fail parity.
  ALS = require('./core-naive-als.js').NaiveAsyncLocalStorage;
  backend = 'naive';
} else {
  throw new Error(`unknown implementation ${impl}`);
}

// Make observed values JSON-safe and distinguishable (undefined vs null, symbols, errors).
function normalize(value, depth = 0) {
  if (value === undefined) return '<undefined>';
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : `<${value}>`;
  if (typeof value === 'bigint') return `<${value}n>`;
  if (typeof value === 'symbol') return `<${String(value)}>`;
  if (typeof value === 'function') return `<function ${value.name}>`;
  if (value instanceof Error) {
    return { error: value.constructor.name, code: value.code, message: value.message };
  }
  if (depth > 6) return '<deep>';
  if (Array.isArray(value)) return value.map((v) => normalize(v, depth + 1));
  const proto = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) {
    const out = {};
    for (const key of Object.keys(value)) out[key] = normalize(value[key], depth + 1);
    return out;
  }
  return `<${(value.constructor && value.constructor.name) || 'object'}>`;
}

const log = [];
const t = {
  impl,
  backend,
  get Builtin() { return builtinClass(); },
  root: ROOT,
  frameMode: builtinUsesFrame(),
  nodeMajor: Number(process.versions.node.split('.')[0]),
  // Code that evaluates to this side's AsyncLocalStorage class in another realm (worker).
  implExpr: impl === 'builtin'
    ? "require('node:async_hooks').AsyncLocalStorage"
    : `require(${JSON.stringify(require.resolve('ctxframe'))}).AsyncLocalStorage`,
  log(...values) { log.push(values.length === 1 ? normalize(values[0]) : values.map((v) => normalize(v))); },
  normalize,
  tick() { return new Promise((resolve) => setImmediate(resolve)); },
  sleep(ms) { return new Promise((resolve) => setTimeout(resolve, ms)); },
};

const result = { done: false, error: null, log };

process.on('exit', (code) => {
  result.exitCode = code;
  fs.writeSync(1, `\n${RESULT_MARK}${JSON.stringify(result)}\n`);
});

// A scenario that does not let the process exit once it has finished is a failure; this timer
// does not keep the process alive itself. It starts when the scenario settles, so a scenario that
// is merely slow on a loaded machine (1,000 built-in storages on Node 20) is not mistaken for one
// that left a handle open; one that never settles is killed by the parent's timeout.
function watchForHandles() {
  setTimeout(() => {
    result.hung = true;
    process.exit(70);
  }, Number(process.env.CTXFRAME_SCENARIO_WATCHDOG_MS) || 8000).unref();
}

const scenarios = require(path.resolve(scenarioFile));
const def = scenarios[scenarioName];
if (!def) throw new Error(`no scenario ${scenarioName} in ${scenarioFile}`);
const fn = typeof def === 'function' ? def : def.fn;

let pending;
try {
  pending = Promise.resolve(fn(ALS, t));
} catch (err) {
  pending = Promise.reject(err);
}
pending.then(
  () => { result.done = true; },
  (err) => { result.done = true; result.error = normalize(err); },
).then(watchForHandles);

module.exports = { RESULT_MARK };
