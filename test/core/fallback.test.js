'use strict';
// Without the native part (a copy of lib/ and package.json in a temp dir, no native/ or
// prebuilds/ there): on AsyncContextFrame runtimes the frame backend through Node's public API
// (continuation 'js'), elsewhere carrier; contexts propagate. Where the native part is missing on
// an AsyncContextFrame runtime exactly one CTXFRAME_NATIVE_UNAVAILABLE warning per
// process — main thread and workers together — naming the case (no build for this
// platform/arch/libc/ABI, a failed source build, a build that does not load, a bundled copy) and
// the fix; on every other runtime no warning at all, and the native part is not even loaded.

const assert = require('node:assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { ROOT, builtinUsesFrame } = require('../support/core-runtime.js');
const { internal } = require('../support/internals.js');
const { runNode, describeChild, TIME_SCALE } = require('../support/core-child.js');

const REPORT = path.join(__dirname, 'fixtures', 'report-backend.js');
const WORKERS = path.join(__dirname, 'fixtures', 'warn-workers.js');
const ACF = builtinUsesFrame();
const TAG = `${process.platform}-${process.arch}-abi${process.versions.modules}`;

function cleanEnv(extra = {}) {
  const env = { ...process.env, ...extra };
  if (!('CTXFRAME_BACKEND' in extra)) delete env.CTXFRAME_BACKEND;
  return env;
}

async function report(dir, env) {
  const r = await runNode([], REPORT, [dir], { env });
  assert.strictEqual(r.code, 0, describeChild('no-native child', r));
  const out = JSON.parse(r.stdout.trim().split('\n').pop());
  assert.strictEqual(out.backend, ACF ? 'frame' : 'carrier');
  assert.strictEqual(out.continuation, ACF ? 'js' : null);
  assert.deepStrictEqual(out.seen, {
    afterAwait: ['A', 'B'], inTimer: ['A', 'B'], inImmediate: ['A', 'B'], outside: [null, 'B'],
  });
  return out;
}

describe('core: running without the native part', function () {
  this.timeout(30000 * TIME_SCALE);
  let dir;

  before(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctxframe-nonative-'));
    fs.cpSync(path.join(ROOT, 'lib'), path.join(dir, 'lib'), { recursive: true });
    fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(dir, 'package.json'));
    assert.ok(!fs.existsSync(path.join(dir, 'native')));
  });

  after(function () {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it(ACF ? 'warns once naming platform, arch, libc, ABI, the fix and what the JS path costs; runs frame through it'
    : 'says nothing on a runtime where carrier is the only backend; runs on carrier', async function () {
    const out = await report(dir, cleanEnv());
    assert.strictEqual(out.nativeLoaded, false);
    assert.ok(out.loadError, 'loadError must say why');
    if (!ACF) {
      assert.deepStrictEqual(out.warnings, []);
      return;
    }
    assert.strictEqual(out.warnings.length, 1, JSON.stringify(out.warnings));
    const [w] = out.warnings;
    assert.strictEqual(w.code, 'CTXFRAME_NATIVE_UNAVAILABLE');
    const libc = internal('native').target.libc;
    assert.ok(w.message.includes(`no native part for ${process.platform}-${process.arch} ${libc}, ` +
      `Node.js ${process.version} (ABI ${process.versions.modules})`), w.message);
    assert.match(w.message, /this package ships no prebuilds/);
    assert.match(w.message, /Fix: build it from source with `npx ctxframe-build`/);
    assert.match(w.message, /Running the frame backend without it, through Node's public API \(continuation 'js'\)/);
    assert.match(w.message, /run\(\) about [0-9.-]+x the built-in's instead of [0-9.-]+x/);
    assert.match(w.message, /--disable-warning=CTXFRAME_NATIVE_UNAVAILABLE/);
  });

  it(`CTXFRAME_BACKEND=frame: ${ACF ? 'the same one warning' : 'only CTXFRAME_FRAME_UNAVAILABLE'}`, async function () {
    const out = await report(dir, cleanEnv({ CTXFRAME_BACKEND: 'frame' }));
    assert.deepStrictEqual(out.warnings.map((w) => w.code),
      [ACF ? 'CTXFRAME_NATIVE_UNAVAILABLE' : 'CTXFRAME_FRAME_UNAVAILABLE']);
  });

  it(`main thread + 3 workers: ${ACF ? 'one warning' : 'no warning'} for the process`, async function () {
    const r = await runNode([], WORKERS, [dir], { env: cleanEnv() });
    assert.strictEqual(r.code, 0, describeChild('workers child', r));
    const expected = ACF ? 'frame' : 'carrier';
    assert.deepStrictEqual(JSON.parse(r.stdout.trim()).backends, [expected, expected, expected, expected]);
    const count = (r.stderr.match(/\[CTXFRAME_NATIVE_UNAVAILABLE\]/g) || []).length;
    assert.strictEqual(count, ACF ? 1 : 0, r.stderr);
  });

  it('a build that does not load: the warning gives its path and the loader\'s error', async function () {
    const bad = path.join(dir, 'native', TAG, 'ctxframe.node');
    fs.mkdirSync(path.dirname(bad), { recursive: true });
    fs.writeFileSync(bad, 'not an ELF file');
    try {
      const out = await report(dir, cleanEnv());
      if (!ACF) { // not even loaded where carrier is the only backend
        assert.deepStrictEqual(out.warnings, []);
        return;
      }
      assert.strictEqual(out.warnings.length, 1, JSON.stringify(out.warnings));
      assert.ok(out.warnings[0].message.includes(`its native part ${bad} for`), out.warnings[0].message);
      assert.match(out.warnings[0].message, /could not be loaded: .*(invalid ELF header|file too short)/);
    } finally {
      fs.rmSync(path.join(dir, 'native'), { recursive: true, force: true });
    }
  });

  it('a failed source build: the warning gives the log path and the first error line', async function () {
    const marker = path.join(dir, 'native', TAG, 'build-failed.json');
    fs.mkdirSync(path.dirname(marker), { recursive: true });
    fs.writeFileSync(marker, JSON.stringify({ reason: 'make: g++: No such file or directory', log: '/x/build.log' }));
    try {
      const out = await report(dir, cleanEnv());
      assert.strictEqual(out.warnings.length, ACF ? 1 : 0, JSON.stringify(out.warnings));
      if (ACF) assert.match(out.warnings[0].message,
        /source build of its native part for .* failed: make: g\+\+: No such file or directory \(log: \/x\/build\.log\)/);
    } finally {
      fs.rmSync(path.join(dir, 'native'), { recursive: true, force: true });
    }
  });

  it('a bundled copy (no ctxframe package.json next to its code): the warning says keep it external', async function () {
    const bundled = fs.mkdtempSync(path.join(os.tmpdir(), 'ctxframe-bundled-'));
    try {
      fs.cpSync(path.join(ROOT, 'lib'), path.join(bundled, 'lib'), { recursive: true });
      fs.writeFileSync(path.join(bundled, 'package.json'), '{"name":"some-app","main":"lib/index.js"}');
      const out = await report(bundled, cleanEnv());
      assert.strictEqual(out.warnings.length, ACF ? 1 : 0, JSON.stringify(out.warnings));
      if (ACF) assert.match(out.warnings[0].message, /looks bundled.*keep ctxframe external/);
    } finally {
      fs.rmSync(bundled, { recursive: true, force: true });
    }
  });

  it('the copy without native/ passes a parity scenario against the built-in', async function () {
    // One scenario run on the copy's AsyncLocalStorage and on the built-in in the same child.
    const script = path.join(dir, 'probe.js');
    fs.writeFileSync(script, `
      const { AsyncLocalStorage } = require('./lib/index.js');
      const { AsyncLocalStorage: Builtin } = require('node:async_hooks');
      process.on('warning', () => {});
      async function scenario(ALS) {
        const a = new ALS();
        const out = [];
        await a.run('r', async () => {
          await null;
          out.push(a.getStore());
          await new Promise((r) => setTimeout(r, 1));
          out.push(a.getStore());
          await new Promise((r) => setImmediate(r));
          out.push(a.getStore());
          a.enterWith('e');
          out.push(a.getStore());
        });
        out.push(a.getStore());
        return out;
      }
      Promise.all([scenario(AsyncLocalStorage), scenario(Builtin)]).then((r) => console.log(JSON.stringify(r)));
    `);
    const r = await runNode([], script, [], {});
    assert.strictEqual(r.code, 0, describeChild('probe', r));
    const [ours, builtin] = JSON.parse(r.stdout.trim());
    assert.deepStrictEqual(ours, builtin);
    assert.deepStrictEqual(ours, ['r', 'r', 'r', 'e', null]); // JSON: undefined -> null
  });
});
