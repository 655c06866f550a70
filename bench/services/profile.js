'use strict';
// Owns: the services benchmark's profiles — a V8 CPU profile (`node --cpu-prof`, written when the
// service exits) cut to the measured window and summarised as self time per request, by package
// (an npm package, ctxframe itself, the benchmark's service, Node's own JavaScript, or V8/native
// work such as "(garbage collector)") and by function, and the part of it that is async context
// work (context()). run.js --profile starts every service with --cpu-prof; results.md then sets
// built-in and register side by side per agent.

const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const TOP_FUNCTIONS = 200;

function packageOf(url, functionName) {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node (internal JS)';
  let file = url.startsWith('file://') ? decodeURIComponent(new URL(url).pathname) : url;
  const i = file.lastIndexOf('/node_modules/');
  if (i >= 0) {
    const parts = file.slice(i + 14).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  if (!path.isAbsolute(file)) return 'node (internal JS)';
  file = path.relative(ROOT, file);
  if (file.startsWith('lib/')) return 'ctxframe';
  if (file.startsWith('bench/')) return 'service (bench)';
  return file;
}

// Node's own async-context machinery, by the module a function is in: AsyncLocalStorage
// (internal/async_local_storage/*), AsyncContextFrame, and async_hooks (node:async_hooks and
// internal/async_hooks: AsyncResource, executionAsyncResource(), the init/before/after and promise
// hooks that propagate a built-in storage on async_hooks runtimes).
const NODE_CONTEXT = /^node:(internal\/)?(async_hooks|async_context_frame|async_local_storage\/.*)$/;

// Which async-context work a frame's self time is, or null: 'ctxframe' (its own lib/) or 'node'.
function context(pkg, url) {
  if (pkg === 'ctxframe') return 'ctxframe';
  return NODE_CONTEXT.test(url) ? 'node' : null;
}

// profile: V8's .cpuprofile; window: { fromUs, toUs } on its clock; requests in that window.
function summarizeProfile(profile, window, requests) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  let t = profile.startTime;
  let sampled = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] || 0;
    if (t < window.fromUs || t > window.toUs) continue;
    // A sample stands for the interval since the previous one.
    const us = profile.timeDeltas[i] || 0;
    const id = profile.samples[i];
    self.set(id, (self.get(id) || 0) + us);
    sampled++;
  }
  if (!sampled) throw new Error('the CPU profile has no sample in the measured window');
  const packages = {};
  const functions = {};
  const ctx = { ctxframe: 0, node: 0 };
  let total = 0;
  for (const [id, us] of self) {
    const { callFrame } = byId.get(id);
    if (callFrame.functionName === '(idle)') continue;
    const pkg = packageOf(callFrame.url, callFrame.functionName);
    const where = callFrame.url ? ` ${path.basename(callFrame.url)}:${callFrame.lineNumber + 1}` : '';
    const fn = `${pkg}: ${callFrame.functionName || '(anonymous)'}${where}`;
    packages[pkg] = (packages[pkg] || 0) + us;
    const kind = context(pkg, callFrame.url);
    if (kind !== null) ctx[kind] += us;
    functions[fn] = (functions[fn] || 0) + us;
    total += us;
  }
  const perRequest = (o, top) => Object.fromEntries(Object.entries(o).sort((a, b) => b[1] - a[1]).slice(0, top)
    .map(([k, us]) => [k, Math.round((us / requests) * 100) / 100]));
  return {
    requests, samples: sampled, totalUsPerReq: total / requests,
    // Async-context work per request, from every sample (not only the top functions).
    context: { ctxframe: ctx.ctxframe / requests, node: ctx.node / requests },
    packages: perRequest(packages, Infinity), functions: perRequest(functions, TOP_FUNCTIONS),
  };
}

// The .cpuprofile of the service's main thread in dir, summarised; the directory is removed. Node
// names each CPU.<date>.<time>.<pid>.<thread id>.<n>.cpuprofile; other threads write their own
// (the one that runs module hooks registered with module.register(): Sentry's `--import`);
// thread 0 is the main one.
function readProfile(dir, window, requests) {
  try {
    const all = fs.readdirSync(dir);
    const files = all.filter((f) => /^CPU\.\d+\.\d+\.\d+\.0\.\d+\.cpuprofile$/.test(f));
    if (files.length !== 1) throw new Error(`expected one main-thread CPU profile in ${dir}, found ${files.length}: ${all.join(', ')}`);
    return summarizeProfile(JSON.parse(fs.readFileSync(path.join(dir, files[0]), 'utf8')), window, requests);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

module.exports = { packageOf, summarizeProfile, readProfile };
