'use strict';
// The core API's documentation runs the same under every backend. blocks.test.js runs every block
// on the backend the runtime picks; here the blocks of the pages that document the core API
// (README.md, getting-started, api, backends) run again with CTXFRAME_BACKEND forced to `builtin`
// (the back-out switch, which must change speed only) and to `carrier`, on the running mode. A
// preload checks that each block's process really got the forced backend.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { fencedBlocks } = require('./markdown');
const { ROOT } = require('../support/packed');

const PAGES = ['README.md', 'docs/getting-started.md', 'docs/api.md', 'docs/backends.md'];
const BACKENDS = ['builtin', 'carrier'];
const OUT = path.join(ROOT, '.cache', 'docs-backend-blocks');
const TIMEOUT_MS = 60000;

const blocks = PAGES.flatMap((file) => fencedBlocks(file, fs.readFileSync(path.join(ROOT, file), 'utf8')))
  .filter((b) => b.info === 'js' || b.info === 'mjs');
const isEsm = (b) => b.info === 'mjs' || /^\s*(import\s*[\w{*'"]|export\s)/m.test(b.code);

const CHECK_BACKEND = `'use strict';
const { backend } = require('ctxframe');
if (backend !== process.env.CTXFRAME_BACKEND) {
  console.error('expected backend ' + process.env.CTXFRAME_BACKEND + ', got ' + backend);
  process.exit(90);
}
`;

function run(file, backend) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--require', path.join(OUT, 'check-backend.cjs'), file], {
      cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CTXFRAME_BACKEND: backend },
    });
    let output = '';
    child.stdout.on('data', (c) => { output += c; });
    child.stderr.on('data', (c) => { output += c; });
    const timer = setTimeout(() => { output += '\n(killed: the block did not exit)'; child.kill('SIGKILL'); }, TIMEOUT_MS);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, output }); });
  });
}

describe('docs: the core API pages run under every backend', function () {
  this.timeout(5 * 60 * 1000);
  const files = new Map();

  before(() => {
    fs.rmSync(OUT, { recursive: true, force: true });
    fs.mkdirSync(OUT, { recursive: true });
    fs.writeFileSync(path.join(OUT, 'check-backend.cjs'), CHECK_BACKEND);
    for (const b of blocks) {
      assert.equal(b.prelude, null, `${b.file}:${b.line}: preludes are not supported here`);
      const file = path.join(OUT, `${b.file.replace(/[\\/]/g, '_').replace(/\.md$/, '')}-L${b.line}.${isEsm(b) ? 'mjs' : 'cjs'}`);
      fs.writeFileSync(file, `// ---- ${b.file}:${b.line} ----\n${b.code}`);
      files.set(b, file);
    }
  });

  it('docs/api.md has a block to run', () => {
    assert.ok(blocks.some((b) => b.file === 'docs/api.md'), 'no js block found in docs/api.md');
  });

  for (const backend of BACKENDS) {
    for (const b of blocks) {
      it(`CTXFRAME_BACKEND=${backend}: ${b.file}:${b.line} \`\`\`${b.info}`, async () => {
        const r = await run(files.get(b), backend);
        if (r.code !== 0) assert.fail(`exit ${r.code}:\n${r.output}`);
      });
    }
  }
});
