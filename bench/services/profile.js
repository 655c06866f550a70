'use strict';
// Owns: the services benchmark's profiles — a V8 CPU profile (`node --cpu-prof`, written when the
// service exits) cut to the measured window and summarised as self time per request, by package
// (an npm package, ctxframe itself, the benchmark's service, Node's own JavaScript, or V8/native
// work such as "(garbage collector)") and by function. run.js --profile starts every service with
// --cpu-prof; results.md then sets built-in and register side by side per agent.

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
  let total = 0;
  for (const [id, us] of self) {
    const { callFrame } = byId.get(id);
    if (callFrame.functionName === '(idle)') continue;
    const pkg = packageOf(callFrame.url, callFrame.functionName);
    const where = callFrame.url ? ` ${path.basename(callFrame.url)}:${callFrame.lineNumber + 1}` : '';
    const fn = `${pkg}: ${callFrame.functionName || '(anonymous)'}${where}`;
    packages[pkg] = (packages[pkg] || 0) + us;
    functions[fn] = (functions[fn] || 0) + us;
    total += us;
  }
  const perRequest = (o, top) => Object.fromEntries(Object.entries(o).sort((a, b) => b[1] - a[1]).slice(0, top)
    .map(([k, us]) => [k, Math.round((us / requests) * 100) / 100]));
  return { requests, samples: sampled, totalUsPerReq: total / requests, packages: perRequest(packages, Infinity), functions: perRequest(functions, TOP_FUNCTIONS) };
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
