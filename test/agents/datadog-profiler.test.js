'use strict';
// Datadog's profiler next to ctxframe: with DD_PROFILING_ENABLED, each wall-clock sample taken
// inside a span must carry that span's labels ("span id", "local root span id") under
// -r ctxframe/register as on the built-in. On AsyncContextFrame runtimes the profiler's default
// mode keeps the labels in Node's own frame (a Map ctxframe replaces); register selects its other
// mode (lib/frame-readers.js). Profiles go to files in a temporary directory; nothing leaves the
// machine.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const zlib = require('node:zlib');
const { spawnSync } = require('node:child_process');
const { DD_TRACE } = require('./harness.js');
const { builtinUsesFrame } = require('../support/core-runtime.js');

const ROOT = path.resolve(__dirname, '..', '..');
const APP = path.join(__dirname, 'fixtures', 'dd-profiler-app.js');
// The profile decoder dd-trace's own profiler depends on.
const { Profile } = require(require.resolve('pprof-format', { paths: [require.resolve(`${DD_TRACE}/package.json`)] }));

// The preloads by absolute path: the profiled process runs in a temporary directory, since
// dd-trace's file exporter writes part of its output (event_worker_*.json) to the working
// directory whatever the prefix says.
const PRELOADS = {
  'ctxframe/register': require.resolve('ctxframe/register'),
  [`${DD_TRACE}/init`]: require.resolve(`${DD_TRACE}/init`),
};

function run(flags, extraEnv = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctxframe-ddprof-'));
  try {
    const env = {
      ...process.env,
      DD_PROFILING_ENABLED: 'true',
      DD_PROFILING_EXPORTERS: 'file',
      DD_PROFILING_PPROF_PREFIX: path.join(dir, 'p-'),
      DD_PROFILING_UPLOAD_PERIOD: '2',
      DD_PROFILING_DEBUG_UPLOAD_COMPRESSION: 'gzip',
      DD_TRACE_AGENT_URL: 'http://127.0.0.1:9', // discard port: traces are not looked at
      DD_INSTRUMENTATION_TELEMETRY_ENABLED: 'false',
      DD_REMOTE_CONFIGURATION_ENABLED: 'false',
      DD_TRACE_STARTUP_LOGS: 'false',
      DD_CRASHTRACKING_ENABLED: 'false',
      ...extraEnv,
    };
    delete env.DD_PROFILING_ASYNC_CONTEXT_FRAME_ENABLED;
    if (extraEnv.DD_PROFILING_ASYNC_CONTEXT_FRAME_ENABLED !== undefined) {
      env.DD_PROFILING_ASYNC_CONTEXT_FRAME_ENABLED = extraEnv.DD_PROFILING_ASYNC_CONTEXT_FRAME_ENABLED;
    }
    const args = [...flags, '-r', `${DD_TRACE}/init`, APP].map((a) => PRELOADS[a] || a);
    const r = spawnSync(process.execPath, args, { cwd: dir, env, encoding: 'utf8', timeout: 60000 });
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    const info = JSON.parse(r.stdout.trim().split('\n').pop());
    return { info, stderr: r.stderr, ...labels(dir) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// Samples in the wall profiles, and how many carry the span labels.
function labels(dir) {
  let samples = 0;
  let withSpan = 0;
  for (const f of fs.readdirSync(dir).filter((f) => f.includes('wall') && f.endsWith('.pprof'))) {
    let buf = fs.readFileSync(path.join(dir, f));
    if (buf[0] === 0x1f) buf = zlib.gunzipSync(buf);
    const profile = Profile.decode(buf);
    const strings = profile.stringTable.strings;
    for (const sample of profile.sample) {
      samples++;
      const keys = sample.label.map((l) => strings[Number(l.key)]);
      if (keys.includes('span id') && keys.includes('local root span id')) withSpan++;
    }
  }
  return { samples, withSpan };
}

describe('Datadog profiler: span labels on wall samples under ctxframe/register', function () {
  this.timeout(120000);
  let builtin;
  before(function () {
    builtin = run([]);
  });

  it('the built-in labels most samples (the app burns its CPU inside spans)', function () {
    assert.ok(builtin.samples >= 20, `only ${builtin.samples} samples`);
    assert.ok(builtin.withSpan / builtin.samples >= 0.5, `${builtin.withSpan} of ${builtin.samples}`);
  });

  it(`node -r ctxframe/register -r ${DD_TRACE}/init: labels as many samples, in the profiler mode that keeps them`, function () {
    const ctx = run(['-r', 'ctxframe/register']);
    assert.equal(ctx.info.registered, true);
    assert.ok(ctx.samples >= 20, `only ${ctx.samples} samples`);
    assert.ok(ctx.withSpan / ctx.samples >= 0.5, `${ctx.withSpan} of ${ctx.samples} samples carry a span`);
    assert.equal(ctx.info.profilerMode, builtinUsesFrame() ? 'false' : null);
    assert.ok(Math.abs(ctx.withSpan / ctx.samples - builtin.withSpan / builtin.samples) < 0.3,
      `ctxframe ${ctx.withSpan}/${ctx.samples}, built-in ${builtin.withSpan}/${builtin.samples}`);
  });

  it('an explicit DD_PROFILING_ASYNC_CONTEXT_FRAME_ENABLED=false is kept, and labels stay', function () {
    const ctx = run(['-r', 'ctxframe/register'], { DD_PROFILING_ASYNC_CONTEXT_FRAME_ENABLED: 'false' });
    assert.equal(ctx.info.profilerMode, 'false');
    assert.ok(ctx.withSpan / ctx.samples >= 0.5, `${ctx.withSpan} of ${ctx.samples}`);
    assert.doesNotMatch(ctx.stderr, /CTXFRAME_DD_PROFILER_LABELS/);
  });

  it('an explicit DD_PROFILING_ASYNC_CONTEXT_FRAME_ENABLED=true is kept, with a warning where it loses the labels', function () {
    const env = { ...process.env, DD_PROFILING_ASYNC_CONTEXT_FRAME_ENABLED: 'true' };
    const r = spawnSync(process.execPath, ['-r', 'ctxframe/register', '-p', 'process.env.DD_PROFILING_ASYNC_CONTEXT_FRAME_ENABLED'],
      { cwd: ROOT, env, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'true');
    if (builtinUsesFrame()) assert.match(r.stderr, /\[CTXFRAME_DD_PROFILER_LABELS\]/);
    else assert.doesNotMatch(r.stderr, /CTXFRAME_DD_PROFILER_LABELS/);
  });
});
