'use strict';
// Owns: `npm run soak` — memory under steady load. A node:http service behind ctxframe/http is
// called by an in-process keep-alive client at a fixed concurrency; every request creates its own
// ctxframe AsyncLocalStorage (and disables every other one), runs in it across awaits, timers and
// immediates, and checks what it reads. Worker threads that load the addon and run in a carried
// context (ctxframe/worker) are started and terminated over and over, some mid-work. Heap used
// after a forced full GC and RSS are sampled on a fixed period; the slope of each (least squares
// over the samples after the warm-up) is printed.
//
//   node bench/soak/run.js [--minutes N] [--runtime 20|22|22-acf|24|24-no-acf|26]
//                          [--concurrency N] [--sample-seconds N]
//                          [--max-heap-growth-mb N] [--max-rss-mb N]
//
// Exit status 1 on any mismatch or error, or when a memory bound is given and broken: heap after GC
// grew by more than --max-heap-growth-mb between the first and the last sample after the warm-up,
// or RSS exceeded --max-rss-mb. Memory bounds only: nothing here is a timing threshold.

const path = require('node:path');
const { spawnSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..', '..');
const MODES = {
  20: { major: 20, flags: [] },
  22: { major: 22, flags: [] },
  '22-acf': { major: 22, flags: ['--experimental-async-context-frame'] },
  24: { major: 24, flags: [] },
  '24-no-acf': { major: 24, flags: ['--no-async-context-frame'] },
  26: { major: 26, flags: [] },
};

function parseArgs(argv) {
  const opts = { minutes: 5, runtime: null, concurrency: 64, sampleSeconds: null, maxHeapGrowthMb: null, maxRssMb: null };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    const value = () => (inline !== undefined ? inline : argv[++i]);
    if (flag === '--minutes') opts.minutes = Number(value());
    else if (flag === '--runtime') opts.runtime = value();
    else if (flag === '--concurrency') opts.concurrency = Number(value());
    else if (flag === '--sample-seconds') opts.sampleSeconds = Number(value());
    else if (flag === '--max-heap-growth-mb') opts.maxHeapGrowthMb = Number(value());
    else if (flag === '--max-rss-mb') opts.maxRssMb = Number(value());
    else throw new Error(`unknown option ${argv[i]} (see the header of bench/soak/run.js)`);
  }
  if (!(opts.minutes > 0)) throw new Error('--minutes must be positive');
  if (opts.runtime !== null && !MODES[opts.runtime]) throw new Error(`unknown runtime mode ${opts.runtime}`);
  // About 30 samples whatever the length, at least 2 s apart.
  if (opts.sampleSeconds === null) opts.sampleSeconds = Math.max(2, Math.round((opts.minutes * 60) / 30));
  return opts;
}

// Re-runs this file on the requested runtime with --expose-gc (the parent only launches).
function launch(opts, argv) {
  let bin = process.execPath;
  let flags = [];
  if (opts.runtime !== null) {
    const mode = MODES[opts.runtime];
    flags = mode.flags;
    if (Number(process.versions.node.split('.')[0]) !== mode.major) {
      bin = require(path.join(ROOT, 'scripts', 'fetch-node.js')).ensureNode(mode.major).bin;
    }
    const env = { ...process.env };
    delete env.NODE_OPTIONS;
    const built = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'build.js'), '--node', bin, '--if-missing'], { stdio: 'inherit', env });
    if (built.status !== 0) throw new Error(`building the addon for ${bin} failed`);
  }
  const env = { ...process.env, CTXFRAME_SOAK_CHILD: '1' };
  delete env.NODE_OPTIONS;
  const r = spawnSync(bin, [...flags, '--expose-gc', __filename, ...argv], { stdio: 'inherit', env });
  process.exitCode = r.status === null ? 1 : r.status;
}

// Least-squares slope of y over x.
function slope(points) {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) { num += (p.x - mx) * (p.y - my); den += (p.x - mx) ** 2; }
  return den === 0 ? 0 : num / den;
}

async function soak(opts) {
  const http = require('node:http');
  const { Worker } = require('node:worker_threads');
  const { setTimeout: sleep, setImmediate: immediate } = require('node:timers/promises');
  const { AsyncLocalStorage, backend } = require('ctxframe');
  const { requestContext } = require('ctxframe/context');
  const { withRequestContext } = require('ctxframe/http');
  const { workerDataWithContext } = require('ctxframe/worker');

  const counts = { requests: 0, storages: 0, mismatches: 0, errors: 0, workersStarted: 0, workersTerminated: 0, workersFinished: 0 };
  const problems = [];
  const problem = (text) => { if (problems.length < 10) problems.push(text); };

  let previous = null; // the storage of the previous request: disabled by the next one
  const server = http.createServer(withRequestContext(async (req, res) => {
    const id = requestContext.current().requestId;
    const storage = new AsyncLocalStorage({ name: `soak-${counts.storages++}` });
    if (previous !== null) previous.disable();
    previous = storage;
    const store = { id, payload: 'x'.repeat(256) };
    const ok = await storage.run(store, async () => {
      let same = storage.getStore() === store;
      await null;
      same = same && storage.getStore() === store && requestContext.current().requestId === id;
      await immediate();
      same = same && storage.getStore() === store;
      await new Promise((resolve) => setTimeout(resolve, 0));
      return same && storage.getStore() === store && requestContext.current().requestId === id;
    });
    if (!ok) { counts.mismatches++; problem(`request ${id} saw another store`); }
    res.end(id);
  }));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.concurrency });

  let running = true;
  function call() {
    return new Promise((resolve) => {
      const sent = `soak-${counts.requests}`;
      const req = http.get({ host: '127.0.0.1', port, path: '/', agent, headers: { 'x-request-id': sent } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c) => { body += c; });
        res.on('end', () => {
          counts.requests++;
          if (body !== sent) { counts.mismatches++; problem(`sent ${sent}, got ${body}`); }
          resolve();
        });
      });
      req.on('error', (err) => { counts.errors++; problem(err.message); resolve(); });
    });
  }
  const clients = Array.from({ length: opts.concurrency }, async () => {
    while (running) await call();
  });

  // Workers: start one, let it work in a carried context, terminate it — half of them mid-work.
  const workerSource = `
    const { workerData, parentPort } = require('node:worker_threads');
    const { runWithWorkerDataContext } = require('ctxframe/worker');
    const { requestContext } = require('ctxframe/context');
    const { AsyncLocalStorage } = require('ctxframe');
    runWithWorkerDataContext(async (data) => {
      const s = new AsyncLocalStorage();
      await s.run(data, async () => {
        for (let i = 0; i < data.rounds; i++) await new Promise((r) => setImmediate(r));
        parentPort.postMessage(requestContext.current().requestId === data.id && s.getStore() === data);
      });
    });`;
  async function workerLoop() {
    let n = 0;
    while (running) {
      const id = `worker-${n}`;
      const rounds = n % 2 === 0 ? 10 : 1e9; // odd ones are terminated mid-work
      const worker = await requestContext.run({ requestId: id }, () => new Worker(workerSource, {
        eval: true, workerData: workerDataWithContext({ id, rounds }),
      }));
      counts.workersStarted++;
      const outcome = await new Promise((resolve) => {
        const timer = setTimeout(() => resolve('terminate'), rounds === 10 ? 10000 : 50);
        worker.once('message', (ok) => { clearTimeout(timer); resolve(ok ? 'ok' : 'mismatch'); });
        worker.once('error', (err) => { clearTimeout(timer); resolve(`error ${err.message}`); });
      });
      if (outcome === 'ok') counts.workersFinished++;
      else if (outcome === 'mismatch') { counts.mismatches++; problem(`worker ${id} saw another context`); }
      else if (outcome !== 'terminate' || rounds === 10) { counts.errors++; problem(`worker ${id}: ${outcome}`); }
      await worker.terminate();
      counts.workersTerminated++;
      n++;
    }
  }
  const workerRun = workerLoop();

  const samples = [];
  const started = Date.now();
  const durationMs = opts.minutes * 60000;
  const warmupMs = Math.min(durationMs * 0.2, 60000);
  console.log(`soak: ${opts.minutes} min on node ${process.version} ${process.execArgv.filter((f) => !/expose-gc/.test(f)).join(' ')} ` +
    `(backend ${backend}), concurrency ${opts.concurrency}, a sample every ${opts.sampleSeconds} s after a forced GC; ` +
    `the first ${(warmupMs / 1000).toFixed(0)} s are warm-up`);
  console.log('   t(s)   requests  storages  workers  heapUsed(MB)  rss(MB)');
  while (Date.now() - started < durationMs) {
    await sleep(opts.sampleSeconds * 1000);
    global.gc();
    await immediate();
    global.gc();
    const mem = process.memoryUsage();
    const t = (Date.now() - started) / 1000;
    samples.push({ t, heap: mem.heapUsed / 1048576, rss: mem.rss / 1048576, requests: counts.requests });
    console.log(`${t.toFixed(0).padStart(7)} ${String(counts.requests).padStart(10)} ${String(counts.storages).padStart(9)} ` +
      `${String(counts.workersStarted).padStart(8)} ${(mem.heapUsed / 1048576).toFixed(2).padStart(13)} ${(mem.rss / 1048576).toFixed(1).padStart(8)}`);
  }
  running = false;
  await Promise.all(clients);
  await workerRun;
  agent.destroy();
  server.close();

  const steady = samples.filter((s) => s.t * 1000 >= warmupMs);
  const perMin = (key) => slope(steady.map((s) => ({ x: s.t / 60, y: s[key] })));
  const heapSlope = perMin('heap');
  const rssSlope = perMin('rss');
  const first = steady[0] || samples[0];
  const last = steady[steady.length - 1] || samples[samples.length - 1];
  const heapGrowth = last.heap - first.heap;
  const maxRss = Math.max(...samples.map((s) => s.rss));
  const perRequestBytes = last.requests > first.requests ? (heapGrowth * 1048576) / (last.requests - first.requests) : 0;
  console.log(`soak: ${counts.requests} requests, ${counts.storages} storages created (one per request, the previous one disabled), ` +
    `${counts.workersStarted} workers started / ${counts.workersTerminated} terminated (${counts.workersFinished} finished their work), ` +
    `${counts.mismatches} mismatches, ${counts.errors} errors`);
  console.log(`soak: heap after GC slope ${(heapSlope * 1024).toFixed(1)} KB/min, RSS slope ${(rssSlope * 1024).toFixed(1)} KB/min ` +
    `(over ${steady.length} samples after warm-up); heap ${first.heap.toFixed(2)} -> ${last.heap.toFixed(2)} MB ` +
    `(${perRequestBytes.toFixed(2)} bytes per request), max RSS ${maxRss.toFixed(1)} MB`);
  for (const p of problems) console.log(`  problem: ${p}`);

  let failed = counts.mismatches > 0 || counts.errors > 0 || counts.requests === 0 || counts.workersStarted === 0;
  if (opts.maxHeapGrowthMb !== null && heapGrowth > opts.maxHeapGrowthMb) {
    console.log(`soak: heap after GC grew ${heapGrowth.toFixed(2)} MB, more than the bound ${opts.maxHeapGrowthMb} MB`);
    failed = true;
  }
  if (opts.maxRssMb !== null && maxRss > opts.maxRssMb) {
    console.log(`soak: RSS reached ${maxRss.toFixed(1)} MB, more than the bound ${opts.maxRssMb} MB`);
    failed = true;
  }
  console.log(`soak: ${failed ? 'FAILED' : 'ok'}`);
  process.exit(failed ? 1 : 0);
}

const opts = parseArgs(process.argv.slice(2));
if (process.env.CTXFRAME_SOAK_CHILD === '1' && typeof global.gc === 'function') {
  soak(opts).catch((err) => { console.error(err && err.stack ? err.stack : err); process.exit(1); });
} else {
  launch(opts, process.argv.slice(2));
}
