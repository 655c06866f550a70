'use strict';
// Owns: the types matrix (`npm run test:types`, run by .ci/run's "package types" step): the
// packed tarball's TypeScript types compile in a fresh app for every combination users have today.
//   TypeScript: the latest 5.x and the latest 7.x (the native compiler, published as `typescript`
//     7) from the npm registry, resolved at run time (--ts 5,7 picks the majors).
//   @types/node: the latest 20.x, 22.x, 24.x and 26.x (--types-node 20,22,24,26).
//   Per combination, one fresh app (its own package.json, npm install of the tarball, typescript,
//   @types/node and the optional peers whose types ctxframe's types import: @opentelemetry/api,
//   winston), then test/types/entry-points.ts — every entry point — compiled as a CommonJS .ts and
//   as an ES module .mts under `strict`, `skipLibCheck: false`, `noEmit` with
//     module nodenext (moduleResolution nodenext), and
//     module preserve + moduleResolution bundler, and
//     module esnext + moduleResolution bundler.
//   The file's @ts-expect-error lines must be errors, as test/types.test.js checks with the
//   checkout's own TypeScript.
// Installs share the npm cache (.cache/pm/npm-cache, as scripts/package-test.js) and run two at a
// time; compiles run in parallel.
//
//   node scripts/types-test.js [--ts 5,7] [--types-node 20,22,24,26]
// Last line: "types: N passed, N failed"; exit 1 when anything failed.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..');
const NPM_CACHE = path.join(ROOT, '.cache', 'pm', 'npm-cache');
const ENTRY = path.join(ROOT, 'test', 'types', 'entry-points.ts');
const PEERS = ['@opentelemetry/api@1', 'winston@3'];
const PARALLEL = 2;

const CONFIGS = {
  nodenext: { module: 'nodenext', moduleResolution: 'nodenext' },
  bundler: { module: 'preserve', moduleResolution: 'bundler' },
  'bundler-esnext': { module: 'esnext', moduleResolution: 'bundler' }, // what Vite's templates use
};

function npmEnv() {
  return {
    ...process.env,
    npm_config_cache: NPM_CACHE,
    npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false',
    npm_config_package_lock: 'false',
  };
}

function runAsync(file, args, opts) {
  return new Promise((resolve) => {
    const child = spawn(file, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c) => { out += c; });
    child.stderr.on('data', (c) => { out += c; });
    const timer = setTimeout(() => { out += '\n(killed after 5 minutes)'; child.kill('SIGKILL'); }, 5 * 60 * 1000);
    child.on('close', (status) => { clearTimeout(timer); resolve({ status, out }); });
  });
}

async function pool(items, limit, fn) {
  const queue = [...items];
  await Promise.all(Array.from({ length: limit }, async () => {
    for (let item; (item = queue.shift()) !== undefined;) await fn(item);
  }));
}

// The newest published version of `name` in major `major` (stable releases only).
function latest(name, major) {
  const r = spawnSync('npm', ['view', `${name}@${major}`, 'version', '--json'], { encoding: 'utf8', env: npmEnv() });
  if (r.status !== 0) throw new Error(`npm view ${name}@${major} failed: ${r.stderr}`);
  const all = [].concat(JSON.parse(r.stdout)).filter((v) => /^\d+\.\d+\.\d+$/.test(v));
  const key = (v) => v.split('.').map(Number);
  all.sort((a, b) => { const [x, y] = [key(a), key(b)]; return x[0] - y[0] || x[1] - y[1] || x[2] - y[2]; });
  if (all.length === 0) throw new Error(`no ${name}@${major} release`);
  return all[all.length - 1];
}

async function main() {
  const args = process.argv.slice(2);
  const list = (name, fallback) => { const i = args.indexOf(name); return i === -1 ? fallback : args[i + 1].split(','); };
  const tsMajors = list('--ts', ['5', '7']);
  const nodeMajors = list('--types-node', ['20', '22', '24', '26']);
  const started = Date.now();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ctxframe-types-test-'));
  let passed = 0;
  const failures = [];
  const check = (name, ok, detail) => {
    if (ok) passed++;
    else { failures.push(name); console.log(`  FAIL ${name}:\n${String(detail).slice(-4000)}`); }
  };
  try {
    const pack = spawnSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work],
      { cwd: ROOT, encoding: 'utf8', env: npmEnv() });
    if (pack.status !== 0) throw new Error(`npm pack failed: ${pack.stderr}`);
    const tgz = path.join(work, JSON.parse(pack.stdout.slice(pack.stdout.indexOf('[')))[0].filename);

    const ts = Object.fromEntries(tsMajors.map((m) => [m, latest('typescript', m)]));
    const typesNode = Object.fromEntries(nodeMajors.map((m) => [m, latest('@types/node', m)]));
    console.log(`typescript ${Object.values(ts).join(', ')}; @types/node ${Object.values(typesNode).join(', ')}`);

    const combos = tsMajors.flatMap((t) => nodeMajors.map((n) => ({ t, n, label: `TypeScript ${ts[t]} + @types/node ${typesNode[n]}` })));
    await pool(combos, PARALLEL, async (c) => {
      const app = path.join(work, `ts${c.t}-node${c.n}`);
      fs.mkdirSync(app);
      fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: path.basename(app), private: true }));
      const t0 = Date.now();
      const inst = await runAsync('npm', ['install', '--no-save', tgz, `typescript@${ts[c.t]}`,
        `@types/node@${typesNode[c.n]}`, ...PEERS], { cwd: app, env: npmEnv() });
      c.installSeconds = ((Date.now() - t0) / 1000).toFixed(1);
      c.installed = inst.status === 0;
      check(`${c.label}: npm install`, c.installed, inst.out);
      if (!c.installed) return;
      fs.copyFileSync(ENTRY, path.join(app, 'entry.ts'));
      fs.copyFileSync(ENTRY, path.join(app, 'entry.mts'));
      const tsc = path.join(app, 'node_modules', 'typescript', 'bin', 'tsc');
      await Promise.all(Object.entries(CONFIGS).map(async ([config, options]) => {
        fs.writeFileSync(path.join(app, `tsconfig.${config}.json`), `${JSON.stringify({
          compilerOptions: {
            ...options, strict: true, skipLibCheck: false, noEmit: true,
            target: 'es2022', lib: ['es2022', 'esnext.disposable'], types: ['node'],
          },
          files: ['entry.ts', 'entry.mts'],
        }, null, 2)}\n`);
        const r = await runAsync(process.execPath, [tsc, '-p', `tsconfig.${config}.json`], { cwd: app });
        const name = `${c.label}, module ${config}`;
        check(name, r.status === 0, r.out);
        console.log(`${name}: ${r.status === 0 ? 'ok' : `FAILED (exit ${r.status})`}`);
      }));
    });
    console.log(`\n| TypeScript | @types/node | install (s) | ${Object.keys(CONFIGS).join(' | ')} |\n|---|---|---|${Object.keys(CONFIGS).map(() => '---|').join('')}`);
    for (const c of combos) {
      const cell = (config) => (failures.includes(`${c.label}, module ${config}`) ? 'FAIL' : c.installed ? 'ok' : '-');
      console.log(`| ${ts[c.t]} | ${typesNode[c.n]} | ${c.installSeconds} | ${Object.keys(CONFIGS).map(cell).join(' | ')} |`);
    }
  } catch (err) {
    check('types matrix ran', false, err.stack);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  console.log(`\ntypes test took ${((Date.now() - started) / 1000).toFixed(0)}s`);
  if (failures.length) console.log(`failures:\n  ${failures.join('\n  ')}`);
  console.log(`types: ${passed} passed, ${failures.length} failed`);
  process.exitCode = failures.length ? 1 : 0;
}

main();
