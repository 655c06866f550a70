'use strict';
// The documentation runs. Every fenced block in README.md and docs/*.md is one of:
//   - ```js / ```javascript / ```mjs / ```ts: extracted and run by this node (so on every mode of the
//     matrix) and must exit 0. `mjs`, and `js` with static import/export statements, run as ES
//     modules; other `js` runs as CommonJS (`require` and top-level `await` do not mix). `ts` is
//     type-checked (tsc --strict, node16 resolution) and then run. The file is written inside the
//     checkout, so `require('ctxframe/…')` resolves through package.json `exports` as for a user.
//     The only code added is a prelude the document declares on the line before the block,
//     `<!-- prelude: name -->`, naming a file in test/docs/preludes/ that is put in front of it.
//   - ```<lang> fragment: shown, not run (a piece of a larger program).
//   - ```sh, bash, console, text, json (and the other names in NOT_CODE): not code to run.
// Any other info string, an empty one included, fails: every block says what it is.
// Links are checked by links.test.js.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');
const { docFiles, fencedBlocks } = require('./markdown');
const { ROOT } = require('../support/packed');

const RUN = new Set(['js', 'javascript', 'mjs', 'ts']);
const NOT_CODE = new Set(['sh', 'bash', 'shell', 'console', 'text', 'json', 'diff', 'yaml', 'sql']);
const PRELUDES = path.join(__dirname, 'preludes');
const OUT = path.join(ROOT, '.cache', 'docs-blocks');
const TIMEOUT_MS = 60000;
const PARALLEL = 3;

const files = docFiles(ROOT);
const blocks = files.flatMap((file) => fencedBlocks(file, fs.readFileSync(path.join(ROOT, file), 'utf8')));
const kindOf = (block) => {
  if (RUN.has(block.info)) return 'run';
  if (/^\S+ fragment$/.test(block.info)) return 'fragment';
  if (NOT_CODE.has(block.info)) return 'not code';
  return 'unknown';
};
const runnable = blocks.filter((b) => kindOf(b) === 'run');
const label = (b) => `${b.file}:${b.line} \`\`\`${b.info}${b.prelude ? ` (prelude: ${b.prelude})` : ''}`;
const isEsm = (code) => /^\s*(import\s*[\w{*'"]|export\s)/m.test(code);

function source(block) {
  let prelude = '';
  if (block.prelude) {
    const file = path.join(PRELUDES, block.prelude);
    if (!fs.existsSync(file)) throw new Error(`${label(block)}: no prelude test/docs/preludes/${block.prelude}`);
    prelude = fs.readFileSync(file, 'utf8');
  }
  return `${prelude}// ---- ${block.file}:${block.line} ----\n${block.code}`;
}

// The file a block runs as: .cjs / .mjs (ts: transpiled to one of them).
function write(block) {
  const base = `${block.file.replace(/[\\/]/g, '_').replace(/\.md$/, '')}-L${block.line}`;
  let code = source(block);
  const esm = block.info === 'mjs' || isEsm(code);
  if (block.info === 'ts') {
    fs.writeFileSync(path.join(OUT, `${base}.${esm ? 'mts' : 'cts'}`), code);
    const ts = require('typescript');
    code = ts.transpileModule(code, { compilerOptions: {
      module: esm ? ts.ModuleKind.ESNext : ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022,
    } }).outputText;
  }
  const file = path.join(OUT, `${base}.${esm ? 'mjs' : 'cjs'}`);
  fs.writeFileSync(file, code);
  return file;
}

function runFile(file) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [file], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c) => { output += c; });
    child.stderr.on('data', (c) => { output += c; });
    const timer = setTimeout(() => { output += `\n(killed after ${TIMEOUT_MS} ms: the block did not exit)`; child.kill('SIGKILL'); }, TIMEOUT_MS);
    child.on('close', (code, signal) => { clearTimeout(timer); resolve({ ok: code === 0, code, signal, output, file }); });
  });
}

describe('docs: every code block runs or is marked', function () {
  this.timeout(10 * 60 * 1000);
  const results = new Map();
  let typeCheck = null;

  before(async () => {
    fs.rmSync(OUT, { recursive: true, force: true });
    fs.mkdirSync(OUT, { recursive: true });
    const queue = runnable.map((block) => {
      try { return { block, file: write(block) }; } catch (err) { results.set(block, { ok: false, output: err.message }); return null; }
    }).filter(Boolean);
    if (runnable.some((b) => b.info === 'ts')) {
      const tsFiles = fs.readdirSync(OUT).filter((f) => /\.[cm]ts$/.test(f)).map((f) => path.join(OUT, f));
      const r = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '--strict', '--noEmit',
        '--target', 'es2022', '--lib', 'es2022,esnext.disposable,dom', '--module', 'node16', '--moduleResolution', 'node16',
        '--types', 'node', '--skipLibCheck', ...tsFiles], { cwd: ROOT, encoding: 'utf8' });
      typeCheck = { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
    }
    const workers = Array.from({ length: PARALLEL }, async () => {
      for (let item; (item = queue.shift());) results.set(item.block, await runFile(item.file));
    });
    await Promise.all(workers);
  });

  after(() => {
    const count = (k) => blocks.filter((b) => kindOf(b) === k).length;
    console.log(`      docs: ${files.length} files, ${count('run')} blocks run, ${count('fragment')} fragments, ${count('not code')} not code`);
  });

  it('every fenced block says what it is', () => {
    const bad = blocks.filter((b) => kindOf(b) === 'unknown' || !b.closed)
      .map((b) => `${label(b)}: ${b.closed ? `info string "${b.info}" is none of ${[...RUN].join('/')}, "<lang> fragment", ${[...NOT_CODE].join('/')}` : 'not closed'}`);
    const strayPreludes = blocks.filter((b) => b.prelude && kindOf(b) !== 'run').map((b) => `${label(b)}: a prelude on a block that is not run`);
    assert.deepEqual([...bad, ...strayPreludes], []);
  });

  it('the documentation has blocks to run', () => {
    assert.ok(runnable.length > 0, 'no runnable block found: is the extraction broken?');
  });

  if (runnable.some((b) => b.info === 'ts')) {
    it('the ts blocks type-check (tsc --strict)', () => {
      if (!typeCheck.ok) assert.fail(typeCheck.output);
    });
  }

  for (const block of runnable) {
    it(label(block), () => {
      const r = results.get(block);
      if (!r.ok) assert.fail(`${label(block)} failed${r.file ? ` (${path.relative(ROOT, r.file)}, exit ${r.code}${r.signal ? ` ${r.signal}` : ''})` : ''}:\n${r.output}`);
    });
  }
});
