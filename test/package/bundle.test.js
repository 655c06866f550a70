'use strict';
// An app bundled with esbuild, as docs/install.md describes: with ctxframe external the bundle
// loads ctxframe from node_modules and reports the backend this runtime should pick, silently;
// with ctxframe inlined its native part cannot be found, so on AsyncContextFrame runtimes the frame
// backend runs without it (continuation 'js', the fast path, not carrier) and warns once that
// ctxframe looks bundled; elsewhere it runs carrier, as it would anyway, and says nothing.

const assert = require('node:assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { ROOT, expectedBackend, expectedContinuation } = require('../support/core-runtime.js');
const { runNode, describeChild } = require('../support/core-child.js');

const APP = `
const warnings = [];
process.on('warning', (w) => { if (String(w.code).startsWith('CTXFRAME_')) warnings.push({ code: w.code, message: w.message }); });
const { AsyncLocalStorage, backend, continuation } = require('ctxframe');
const als = new AsyncLocalStorage();
als.run('ctx', () => setTimeout(() => {
  const store = als.getStore();
  als.run('inner', async () => {
    await null;
    const afterAwait = als.getStore();
    setImmediate(() => console.log(JSON.stringify({ backend, continuation, store, afterAwait, warnings })));
  });
}, 1));
`;

describe('package: an esbuild bundle of an app', function () {
  this.timeout(60000);
  let dir;
  let esbuild;

  before(function () {
    this.timeout(120000); // the first run fetches esbuild into .cache/tools
    esbuild = require('../support/esbuild.js')();
    // An app whose node_modules holds ctxframe (this checkout, as an install would).
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctxframe-bundle-'));
    fs.mkdirSync(path.join(dir, 'node_modules'));
    fs.symlinkSync(ROOT, path.join(dir, 'node_modules', 'ctxframe'), 'dir');
    fs.writeFileSync(path.join(dir, 'package.json'), '{"name":"bundled-app","private":true}\n');
    fs.writeFileSync(path.join(dir, 'app.js'), APP);
  });

  after(function () {
    if (esbuild) esbuild.stop(); // its service process would outlive the tests
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  async function bundleAndRun(name, options) {
    const outfile = path.join(dir, 'dist', `${name}.js`);
    await esbuild.build({
      entryPoints: [path.join(dir, 'app.js')], bundle: true, platform: 'node', format: 'cjs',
      outfile, logLevel: 'silent', ...options,
    });
    const env = { ...process.env };
    delete env.CTXFRAME_BACKEND;
    const r = await runNode([], outfile, [], { env, cwd: dir });
    assert.strictEqual(r.code, 0, describeChild(name, r));
    return { ...JSON.parse(r.stdout.trim().split('\n').pop()), source: fs.readFileSync(outfile, 'utf8') };
  }

  it(`with --external:ctxframe: backend ${expectedBackend()}, no warning`, async function () {
    const out = await bundleAndRun('external', { external: ['ctxframe'] });
    assert.ok(!out.source.includes('selectBackend'), 'ctxframe was inlined');
    assert.strictEqual(out.backend, expectedBackend());
    assert.strictEqual(out.continuation, expectedContinuation());
    assert.strictEqual(out.store, 'ctx');
    assert.strictEqual(out.afterAwait, 'inner');
    assert.deepStrictEqual(out.warnings.map((w) => w.code),
      expectedContinuation() === 'js' ? ['CTXFRAME_NATIVE_UNAVAILABLE'] : []);
  });

  it(`inlined: ${expectedBackend() === 'frame' ? 'frame without the native part (continuation js), one warning saying to keep ctxframe external' : 'carrier, no warning (carrier is all this runtime can use)'}`, async function () {
    const out = await bundleAndRun('inlined', {});
    assert.ok(out.source.includes('selectBackend'), 'ctxframe was not inlined');
    assert.strictEqual(out.backend, expectedBackend());
    assert.strictEqual(out.continuation, expectedBackend() === 'frame' ? 'js' : null);
    assert.strictEqual(out.store, 'ctx');
    assert.strictEqual(out.afterAwait, 'inner');
    if (expectedBackend() === 'frame') {
      assert.deepStrictEqual(out.warnings.map((w) => w.code), ['CTXFRAME_NATIVE_UNAVAILABLE']);
      assert.match(out.warnings[0].message, /looks bundled.*keep ctxframe external/);
      assert.match(out.warnings[0].message, /Running the frame backend without it/);
    } else {
      assert.deepStrictEqual(out.warnings, []);
    }
  });
});
