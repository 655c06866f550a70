'use strict';
// Without the native part (a copy of lib/ and package.json in a temp dir, no native/ there):
// exactly one CTXFRAME_NATIVE_UNAVAILABLE warning naming `npm rebuild ctxframe`, backend
// carrier, contexts still propagate; lib/native.js reports { binding: null, loadError }.

const assert = require('node:assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { ROOT } = require('../support/core-runtime.js');
const { runNode, describeChild } = require('../support/core-child.js');

const REPORT = path.join(__dirname, 'fixtures', 'report-backend.js');

describe('core: running without the native part', function () {
  this.timeout(30000);
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

  for (const requested of [undefined, 'frame']) {
    it(`warns once, runs on carrier, keeps contexts (CTXFRAME_BACKEND=${requested || 'unset'})`, async function () {
      const env = { ...process.env };
      delete env.CTXFRAME_BACKEND;
      if (requested) env.CTXFRAME_BACKEND = requested;
      const r = await runNode([], REPORT, [dir], { env });
      assert.strictEqual(r.code, 0, describeChild('no-native child', r));
      const out = JSON.parse(r.stdout.trim().split('\n').pop());
      assert.strictEqual(out.backend, 'carrier');
      assert.strictEqual(out.nativeLoaded, false);
      assert.ok(out.loadError, 'loadError must say why');
      const native = out.warnings.filter((w) => w.code === 'CTXFRAME_NATIVE_UNAVAILABLE');
      assert.strictEqual(native.length, 1, JSON.stringify(out.warnings));
      assert.match(native[0].message, /npm rebuild ctxframe/);
      if (!requested) assert.strictEqual(out.warnings.length, 1, JSON.stringify(out.warnings));
      assert.deepStrictEqual(out.seen, {
        afterAwait: ['A', 'B'], inTimer: ['A', 'B'], inImmediate: ['A', 'B'], outside: [null, 'B'],
      });
    });
  }

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
