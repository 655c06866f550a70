'use strict';
// Process-wide use and the ESM entry, each in a child node started in a temp app dir whose
// node_modules/ctxframe links to this package:
//   node -r ctxframe/register app.js           (and -r <root>/lib/register.js)
//   node --import ctxframe/register app.mjs    (and --import <root>/lib/register.mjs)
// replace async_hooks.AsyncLocalStorage for CommonJS require and ESM named/default/namespace
// imports of 'async_hooks' and 'node:async_hooks'; storages created before register keep working.

const assert = require('node:assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { pathToFileURL } = require('node:url');
const { ROOT, expectedBackend } = require('../support/core-runtime.js');
const { runNode, describeChild, TIME_SCALE } = require('../support/core-child.js');

const CHECK_STORES = `
async function checkStores(ALS, early) {
  const a = new ALS();
  return a.run('app', () => early.run('early', async () => {
    await null;
    const afterAwait = [a.getStore(), early.getStore()];
    const inTimer = await new Promise((r) => setTimeout(() => r([a.getStore(), early.getStore()]), 1));
    return { afterAwait, inTimer };
  }));
}
`;

const FILES = {
  'early.js': `globalThis.earlyStorage = new (require('node:async_hooks').AsyncLocalStorage)();
globalThis.earlyClass = require('node:async_hooks').AsyncLocalStorage;\n`,
  'app.js': `${CHECK_STORES}
const ah = require('async_hooks');
const nah = require('node:async_hooks');
const { AsyncLocalStorage } = require('node:async_hooks');
const cf = require('ctxframe');
const early = globalThis.earlyStorage || new (require('node:async_hooks').AsyncLocalStorage)();
checkStores(AsyncLocalStorage, early).then((stores) => console.log(JSON.stringify({
  backend: cf.backend,
  cjs: ah.AsyncLocalStorage === cf.AsyncLocalStorage,
  cjsNode: nah.AsyncLocalStorage === cf.AsyncLocalStorage,
  destructured: AsyncLocalStorage === cf.AsyncLocalStorage,
  earlyIsBuiltin: globalThis.earlyClass ? globalThis.earlyClass !== cf.AsyncLocalStorage : null,
  stores,
})));
`,
  'app.mjs': `import { AsyncLocalStorage } from 'node:async_hooks';
import { AsyncLocalStorage as Bare } from 'async_hooks';
import asyncHooksDefault from 'node:async_hooks';
import * as ns from 'node:async_hooks';
import { AsyncLocalStorage as C, backend } from 'ctxframe';
import ctxframeDefault from 'ctxframe';
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
${CHECK_STORES}
const cjs = require('ctxframe');
const stores = await checkStores(AsyncLocalStorage, new (require('node:async_hooks').AsyncLocalStorage)());
console.log(JSON.stringify({
  backend,
  esmEntryMatchesCjs: C === cjs.AsyncLocalStorage && backend === cjs.backend && ctxframeDefault === cjs,
  named: AsyncLocalStorage === C,
  bare: Bare === C,
  default: asyncHooksDefault.AsyncLocalStorage === C,
  namespace: ns.AsyncLocalStorage === C,
  cjsRequire: require('node:async_hooks').AsyncLocalStorage === C,
  stores,
}));
`,
};

FILES['app-worker.js'] = `const { Worker } = require('node:worker_threads');
const code = \`
  const { parentPort } = require('node:worker_threads');
  const { AsyncLocalStorage } = require('node:async_hooks');
  const cf = require(\${JSON.stringify(require.resolve('ctxframe'))});
  const a = new AsyncLocalStorage();
  a.run('w', async () => {
    await new Promise((r) => setTimeout(r, 1));
    parentPort.postMessage({ replaced: AsyncLocalStorage === cf.AsyncLocalStorage, store: a.getStore(), backend: cf.backend });
  });
\`;
const w = new Worker(code, { eval: true });
let msg;
w.on('message', (m) => { msg = m; });
w.on('exit', (exitCode) => console.log(JSON.stringify({ ...msg, exitCode })));
`;

const STORES_OK = { afterAwait: ['app', 'early'], inTimer: ['app', 'early'] };

describe('core: register and the ESM entry', function () {
  this.timeout(30000 * TIME_SCALE);
  let dir;

  before(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctxframe-register-'));
    fs.mkdirSync(path.join(dir, 'node_modules'));
    fs.symlinkSync(ROOT, path.join(dir, 'node_modules', 'ctxframe'), 'dir');
    for (const [name, text] of Object.entries(FILES)) fs.writeFileSync(path.join(dir, name), text);
  });

  after(function () {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  async function runApp(flags, app) {
    const env = { ...process.env };
    delete env.CTXFRAME_BACKEND;
    const r = await runNode(flags, path.join(dir, app), [], { cwd: dir, env });
    assert.strictEqual(r.code, 0, describeChild(`${flags.join(' ')} ${app}`, r));
    return JSON.parse(r.stdout.trim().split('\n').pop());
  }

  for (const preload of ['ctxframe/register', `${ROOT}/lib/register.js`]) {
    it(`node -r ${preload === 'ctxframe/register' ? preload : '<root>/lib/register.js'} app.js replaces async_hooks.AsyncLocalStorage for CommonJS`, async function () {
      const out = await runApp(['-r', './early.js', '-r', preload], 'app.js');
      assert.deepStrictEqual(out, {
        backend: expectedBackend(), cjs: true, cjsNode: true, destructured: true, earlyIsBuiltin: true, stores: STORES_OK,
      });
    });
  }

  for (const preload of ['ctxframe/register', pathToFileURL(`${ROOT}/lib/register.mjs`).href]) {
    it(`node --import ${preload === 'ctxframe/register' ? preload : '<root>/lib/register.mjs'} app.mjs replaces it for ESM named, default and namespace imports`, async function () {
      const out = await runApp(['--import', preload], 'app.mjs');
      assert.deepStrictEqual(out, {
        backend: expectedBackend(), esmEntryMatchesCjs: true, named: true, bare: true, default: true,
        namespace: true, cjsRequire: true, stores: STORES_OK,
      });
    });
  }

  it('node -r ctxframe/register: worker threads inherit the preload and get ctxframe\'s class too', async function () {
    const out = await runApp(['-r', 'ctxframe/register'], 'app-worker.js');
    assert.deepStrictEqual(out, { replaced: true, store: 'w', backend: expectedBackend(), exitCode: 0 });
  });

  it('without register nothing is replaced, and the ESM entry still matches the CommonJS one', async function () {
    const cjs = await runApp([], 'app.js');
    assert.strictEqual(cjs.cjs, false);
    assert.strictEqual(cjs.destructured, false);
    const esm = await runApp([], 'app.mjs');
    assert.strictEqual(esm.named, false);
    assert.strictEqual(esm.esmEntryMatchesCjs, true);
    assert.strictEqual(esm.backend, expectedBackend());
    assert.deepStrictEqual(esm.stores, STORES_OK);
  });
});
