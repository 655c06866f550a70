'use strict';
// bench/services (npm run bench:services) works as a harness: a tiny run on this node (no agent
// and OpenTelemetry, 1 repetition, one-second windows) produces results for every variant, the
// register side really runs on ctxframe, and the deliberately broken variant (--break: the service
// keeps the request in a module variable) is reported as failing instead of being measured. Also
// its profile summary (cut to the measured window, attributed by package) and its summary's
// refusal of a broken variant that was measured. No timing is asserted.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');
const { summarizeProfile, packageOf, readProfile } = require('../../bench/services/profile.js');
const { summarizeRuntime, readmeCaption, markdown } = require('../../bench/services/report.js');
const { fillReadme } = require('../../bench/lib/readme.js');
const { running } = require('../support/postgres.js');
const { parseArgs, variantsFor } = require('../../bench/services/run.js');

const ROOT = path.resolve(__dirname, '..', '..');
const RUN = path.join(ROOT, 'bench', 'services', 'run.js');

// Every process below `pid`, as { pid, ppid, cmd }, from /proc.
function descendants(pid) {
  const all = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const cmd = fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').join(' ').trim();
      all.push({ pid: Number(name), ppid, cmd });
    } catch { /* gone meanwhile */ }
  }
  const found = [];
  const queue = [pid];
  while (queue.length) {
    const parent = queue.shift();
    for (const p of all) if (p.ppid === parent) { found.push(p); queue.push(p.pid); }
  }
  return found;
}

describe('bench:services harness', function () {
  it('runs no agent and OpenTelemetry on both sides, and reports the broken variant as failing', function () {
    this.timeout(240000);
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'ctxframe-services-test-'));
    try {
      const res = spawnSync(process.execPath, [...process.execArgv, RUN, '--current', '--agents', 'none,otel', '--reps', '1',
        '--warmup', '1', '--settle', '0', '--duration', '1', '--break', '--no-pin', '--out', out], {
        cwd: ROOT, encoding: 'utf8', timeout: 220000, env: { ...process.env, NODE_OPTIONS: '' },
      });
      const why = `exit ${res.status}\n--- stdout ---\n${res.stdout}\n--- stderr ---\n${res.stderr}`;
      assert.equal(res.status, 0, why);
      const data = JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8'));
      assert.equal(data.runtimes.length, 1);
      const { raw, summary } = data.runtimes[0];
      for (const variant of ['none:builtin', 'none:register', 'none:builtin-again', 'otel:builtin', 'otel:register']) {
        const [r] = raw[variant];
        assert.ok(r && !r.error, `${variant}: ${r && r.error}\n${why}`);
        assert.ok(r.requests > 0 && r.metrics['cpu µs/req'] > 0 && r.metrics['req/s'] > 0, variant);
        assert.equal(r.failures, 0, variant);
        assert.equal(r.load.checked, r.load.measured, `${variant}: every answer was checked`);
        assert.equal(r.registered, variant.endsWith(':register'), `${variant}: AsyncLocalStorage is ctxframe's only under the register`);
        assert.equal(r.backend === 'builtin', !variant.endsWith(':register'), variant);
      }
      const [broken] = raw['none:broken'];
      assert.ok(broken.error, 'the broken variant was measured');
      assert.match(broken.error, /wrong answers|failed request/);
      assert.deepEqual(summary.errors, []);
      assert.equal(summary.expectedFailures.length, 1);
      assert.deepEqual(summary.rows.map((r) => r.agent), ['none', 'otel']);
      for (const row of summary.rows) assert.ok(row.cpuRatio && row.cpuRatio.n === 1, row.agent);
      assert.ok(summary.noise && summary.noise.cpuRatio.n === 1);
      const md = fs.readFileSync(path.join(out, 'results.md'), 'utf8');
      assert.match(md, /\| noise: no agent, built-in ÷ itself \|/);
      assert.match(md, /\| OpenTelemetry SDK \+ auto-instrumentations \| \d/);
      assert.match(md, /deliberately broken variant failed as it must/);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });

  it('interrupted with SIGTERM, leaves no PostgreSQL, service or downstream running', async function () {
    this.timeout(120000);
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'ctxframe-services-test-'));
    const child = spawn(process.execPath, [...process.execArgv, RUN, '--current', '--agents', 'none', '--reps', '1',
      '--warmup', '30', '--settle', '0', '--duration', '1', '--no-pin', '--out', out], {
      cwd: ROOT, env: { ...process.env, NODE_OPTIONS: '' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    child.stdout.on('data', (d) => { text += d; });
    child.stderr.on('data', (d) => { text += d; });
    const closed = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
    try {
      // The first variant is in its warm-up: PostgreSQL, the downstream and a service are up.
      const deadline = Date.now() + 90000;
      let pids = [];
      const started = (name) => pids.some((p) => p.ppid === child.pid && name.test(p.cmd));
      while (Date.now() < deadline) {
        pids = descendants(child.pid);
        if (started(/service\.js/)) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      assert.ok(started(/service\.js/), `no service started:\n${text}`);
      assert.ok(started(/downstream\.js/), `no downstream:\n${text}`);
      await new Promise((r) => setTimeout(r, 1000)); // and under load
      pids = descendants(child.pid);
      const postgres = pids.filter((p) => p.ppid === child.pid && /postgres -D/.test(p.cmd));
      assert.equal(postgres.length, 1, `one postgres:\n${JSON.stringify(pids)}`);
      child.kill('SIGTERM');
      const { code } = await closed;
      assert.equal(code, 143, text);
      const gone = Date.now() + 20000;
      let left = pids;
      while (Date.now() < gone && left.length) {
        left = pids.filter((p) => running(p.pid));
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.deepEqual(left, [], 'everything the run started is gone');
      const dataDir = /postgres -D (\S+)/.exec(postgres[0].cmd)[1];
      assert.equal(fs.existsSync(dataDir), false, "the cluster's directory is removed");
    } finally {
      child.kill('SIGKILL');
      fs.rmSync(out, { recursive: true, force: true });
    }
  });

  it('summarises a CPU profile within the measured window, by package', function () {
    const file = (rel) => `file://${path.join(ROOT, rel)}`;
    const nodes = [
      { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1 } },
      { id: 2, callFrame: { functionName: 'getStore', url: file('lib/backends/frame.js'), lineNumber: 9 } },
      { id: 3, callFrame: { functionName: 'startSpan', url: file('node_modules/@opentelemetry/sdk-trace-base/build/src/Tracer.js'), lineNumber: 4 } },
      { id: 4, callFrame: { functionName: '(garbage collector)', url: '', lineNumber: -1 } },
      { id: 5, callFrame: { functionName: 'emit', url: 'node:events', lineNumber: 1 } },
      { id: 6, callFrame: { functionName: '(idle)', url: '', lineNumber: -1 } },
    ];
    // startTime 1000; samples at 1100 (before the window), 1200, 1300, 1400, 1500, 1600 (after).
    const profile = { nodes, startTime: 1000, samples: [3, 2, 3, 4, 6, 5], timeDeltas: [100, 100, 100, 100, 100, 100] };
    const s = summarizeProfile(profile, { fromUs: 1150, toUs: 1550 }, 2);
    assert.equal(s.samples, 4);
    assert.deepEqual(s.packages, { ctxframe: 50, '@opentelemetry/sdk-trace-base': 50, '(garbage collector)': 50 });
    assert.equal(s.totalUsPerReq, 150);
    assert.equal(s.functions['ctxframe: getStore frame.js:10'], 50);
    assert.throws(() => summarizeProfile(profile, { fromUs: 5000, toUs: 6000 }, 1), /no sample in the measured window/);
    assert.deepEqual(s.context, { ctxframe: 50, node: 0 });
    // Node's async-context modules count as context work; other Node modules do not.
    const ctxNodes = [
      ...nodes.slice(0, 2),
      { id: 7, callFrame: { functionName: 'run', url: 'node:internal/async_local_storage/async_hooks', lineNumber: 1 } },
      { id: 8, callFrame: { functionName: 'executionAsyncResource', url: 'node:internal/async_hooks', lineNumber: 1 } },
      { id: 9, callFrame: { functionName: 'current', url: 'node:internal/async_context_frame', lineNumber: 1 } },
      { id: 10, callFrame: { functionName: 'runInAsyncScope', url: 'node:async_hooks', lineNumber: 1 } },
      { id: 11, callFrame: { functionName: 'listOnTimeout', url: 'node:internal/timers', lineNumber: 1 } },
    ];
    const c = summarizeProfile({ nodes: ctxNodes, startTime: 0, samples: [2, 7, 8, 9, 10, 11, 11], timeDeltas: [10, 10, 10, 10, 10, 10, 10] }, { fromUs: 0, toUs: 100 }, 1);
    assert.deepEqual(c.context, { ctxframe: 10, node: 40 });
    assert.equal(c.totalUsPerReq, 70);
    assert.equal(packageOf('node:internal/http', 'x'), 'node (internal JS)');
    assert.equal(packageOf(file('node_modules/a/node_modules/pino/lib/x.js'), 'f'), 'pino');
    assert.equal(packageOf(file('bench/services/service.js'), 'f'), 'service (bench)');
  });

  it("reads the main thread's profile when a service's other threads write their own", function () {
    // Sentry's --import registers module hooks, which Node runs on a thread of their own.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctxframe-services-prof-'));
    const one = (fn) => JSON.stringify({ nodes: [{ id: 1, callFrame: { functionName: fn, url: 'node:events', lineNumber: 0 } }], startTime: 0, samples: [1], timeDeltas: [100] });
    fs.writeFileSync(path.join(dir, 'CPU.20261206.161037.31053.1.002.cpuprofile'), one('hooks'));
    fs.writeFileSync(path.join(dir, 'CPU.20261206.161037.31053.0.001.cpuprofile'), one('main'));
    const s = readProfile(dir, { fromUs: 0, toUs: 1000 }, 1);
    assert.deepEqual(Object.keys(s.functions), ['node (internal JS): main node:events:1']);
    assert.equal(fs.existsSync(dir), false);
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'ctxframe-services-prof-'));
    fs.writeFileSync(path.join(empty, 'CPU.20261206.161037.31053.1.002.cpuprofile'), one('hooks'));
    assert.throws(() => readProfile(empty, { fromUs: 0, toUs: 1000 }, 1), /expected one main-thread CPU profile/);
  });

  it("fills README's table between its markers from a complete run written to bench/services only", function () {
    const m = (cpu) => ({ metrics: { 'cpu µs/req': cpu, 'req/s': 1000 }, backend: 'frame' });
    const raw = { 'none:builtin': [m(100), m(100)], 'none:register': [m(99), m(97)], 'none:builtin-again': [m(110), m(90)],
      'otel:builtin': [m(200), m(210)], 'otel:register': [m(170), m(168)] };
    const rt = { label: 'Node 24.21.0', expected: 'frame' };
    rt.summary = summarizeRuntime(rt, raw, [0.5, 0.7]);
    const data = { meta: { date: '2026-12-06T10:00:00.000Z', machine: '2 × test CPU', reps: 2, loadStart: [0.5, 0.5, 0.5], loadDuring: { min: 0.5, max: 0.7 } }, runtimes: [rt] };
    const caption = readmeCaption(data);
    assert.match(caption, /Measured 2026-12-06 on 2 × test CPU, 1-minute load average 0\.50–0\.70;/);
    assert.match(caption, /\| OpenTelemetry SDK \+ auto-instrumentations \| 0\.825 \(0\.80–0\.85\) ✓ \|/);
    assert.match(caption, /\| no agent \| 0\.980 \(0\.97–0\.99\) ✓ \|\n\| OpenTelemetry[^\n]*\n\| noise: no agent, built-in ÷ itself \| 1\.000 \(0\.90–1\.10\) \|$/);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctxframe-readme-test-'));
    try {
      const readme = path.join(dir, 'README.md');
      const text = 'intro\n<!-- bench:services:start -->\nold table\n<!-- bench:services:end -->\noutro\n';
      fs.writeFileSync(readme, text);
      const home = path.join(ROOT, 'bench', 'services');
      assert.equal(fillReadme('services', dir, home, caption, readme), false, 'a run written elsewhere');
      assert.equal(fs.readFileSync(readme, 'utf8'), text);
      assert.equal(fillReadme('peers', home, home, caption, readme), false, 'no markers of that name');
      assert.equal(fillReadme('services', home, home, caption, readme), true);
      assert.equal(fs.readFileSync(readme, 'utf8'),
        `intro\n<!-- bench:services:start -->\n${caption}\n<!-- bench:services:end -->\noutro\n`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("sets a profiled run's async-context work beside its whole self time, per agent", function () {
    const profiled = (cpu, ctxframe, node, total) => ({ metrics: { 'cpu µs/req': cpu, 'req/s': 1000 }, backend: 'frame',
      profile: { totalUsPerReq: total, context: { ctxframe, node }, packages: {}, functions: {} } });
    const raw = { 'otel:builtin': [profiled(900, 0, 19.6, 846)], 'otel:register': [profiled(844, 4.7, 0.5, 796)] };
    const rt = { label: 'Node 24.21.0', expected: 'frame' };
    rt.summary = summarizeRuntime(rt, raw, [0.5]);
    const meta = { command: 'x', date: '2026-12-06T10:00:00.000Z', machine: 'm', runner: 'v24', reps: 1, loadStart: [1, 1, 1], loadEnd: [1, 1, 1],
      durationMs: 1000, profile: true, pinned: false, config: { warmupS: 1, windowRequests: 10, settleWindows: 0, durationS: 1, rate: null } };
    const md = markdown({ meta, runtimes: [rt] });
    assert.match(md, /## Async-context work in the profiles/);
    assert.match(md, /\| 24\.21\.0 \(frame\) \| OpenTelemetry SDK \+ auto-instrumentations \| 19\.60 \| 5\.20 \(4\.70 \+ 0\.50\) \| -14\.40 \| 846 → 796 \| -50\.00 \|/);
    // A run profiled before the context was summarised has no such table.
    delete raw['otel:builtin'][0].profile.context;
    rt.summary = summarizeRuntime(rt, raw, [0.5]);
    assert.doesNotMatch(markdown({ meta, runtimes: [rt] }), /Async-context work/);
  });

  it('refuses a run in which the broken variant was measured, and bad options', function () {
    const ok = { metrics: { 'cpu µs/req': 100, 'req/s': 1000 }, backend: 'frame' };
    const raw = { 'none:builtin': [ok], 'none:register': [ok], 'none:broken': [ok] };
    const summary = summarizeRuntime({ expected: 'frame' }, raw, [1]);
    assert.equal(summary.errors.length, 1);
    assert.match(summary.errors[0].error, /broken variant was measured/);
    assert.throws(() => parseArgs(['--agents', 'appdynamics']), /unknown agent/);
    assert.throws(() => parseArgs(['--reps', '0']), RangeError);
    assert.throws(() => parseArgs(['--only', '19']), /unknown runtime/);
    assert.throws(() => parseArgs(['--only', '24', '--current']), /--current/);
    const defaults = parseArgs([]);
    assert.equal(defaults.reps, 5);
    assert.deepEqual(defaults.agents, ['none', 'otel', 'dd', 'newrelic', 'elastic', 'sentry']);
    assert.deepEqual(variantsFor({ agents: ['none', 'dd'], broken: false }, 1),
      ['none:register', 'none:builtin', 'none:builtin-again', 'dd:register', 'dd:builtin']);
  });
});
