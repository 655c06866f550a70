'use strict';
// Owns: the package test (`npm run test:package`, run by .ci/run): what a user gets from the packed
// tarball, not from the checkout.
//   1. `npm pack` once (prepack builds every prebuild); the tarball must hold each prebuild with the
//      right ELF e_machine, no install-time script, and the gyp file as gyp/binding.gyp, not at the
//      root (yarn 1 and 4 build a root binding.gyp whatever "gypfile": false says; see
//      scripts/pack-gyp.js); after packing, the checkout holds no gyp/ again.
//   2. Fresh apps (own package.json, empty npm user and global config, a private HOME) install the
//      tarball with npm 11 (the system one), npm 12, pnpm, yarn 1 and yarn 4 with its node-modules
//      and Plug'n'Play linkers (all pinned, fetched from the npm registry into .cache/pm/; yarn 4
//      told to use the npm registry, its cache inside the run's directory) on Node 20, 22, 24 and
//      26, at their defaults, with no compiler on PATH, and with scripts off (--ignore-scripts;
//      yarn 4: --mode=skip-build): the install exits 0 and builds nothing (no node-gyp in its
//      output, no build/ in the installed package), `require('ctxframe').backend` is the expected
//      one per runtime mode, a context survives a timer, and no CTXFRAME_* warning is printed.
//   3. Where a warning is due (an AsyncContextFrame runtime whose prebuild was deleted): main + 3
//      workers run `frame` through Node's public API (continuation 'js'), with one warning, naming the platform/libc/ABI and the package manager's command;
//      `ctxframe-build` without a compiler exits 1 and the warning then names its log; with one, it
//      builds and the app runs on `frame`; on Node 20 it has nothing to build.
//
//   node scripts/package-test.js [--only npm11,npm12,pnpm,yarn1,yarn4,yarn4-pnp] [--nodes 20,22,24,26]
// Last line: "package: N passed, N failed"; exit 1 when anything failed.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { ensureNode, elfMachine, ELF_MACHINE } = require('./fetch-node.js');
const { PREBUILDS } = require('./prebuild.js');
const { packedText } = require('./pack-gyp.js');

const ROOT = path.resolve(__dirname, '..');
const PM_CACHE = path.join(ROOT, '.cache', 'pm');
const PINNED_PM = { npm: '12.2.2', pnpm: '12.21.0', yarn1: '1.22.22', yarn4: '4.18.1' };
const CA_FILE = '/etc/ssl/certs/ca-certificates.crt';
const SYSTEM_NPM = fs.realpathSync(spawnSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).stdout.trim());

let passed = 0;
const failures = [];
function check(name, ok, detail = '') {
  if (ok) passed++;
  else {
    failures.push(`${name}: ${detail}`);
    console.log(`  FAIL ${name}: ${String(detail).slice(0, 2000)}`);
  }
  return ok;
}

function run(file, args, { cwd, env, timeout = 2 * 60 * 1000 } = {}) {
  const r = spawnSync(file, args, { cwd, env, encoding: 'utf8', timeout, maxBuffer: 64 * 1024 * 1024 });
  return { status: r.error ? `error ${r.error.code}` : r.status, stdout: r.stdout || '', stderr: r.stderr || '', out: `${r.stdout || ''}${r.stderr || ''}` };
}

// `npm pack <spec>` into .cache/pm/<dir>/package (the system npm, the real registry), once.
function fetchPackage(spec, dir) {
  const target = path.join(PM_CACHE, dir);
  if (fs.existsSync(path.join(target, 'package', 'package.json'))) return path.join(target, 'package');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ctxframe-pm-'));
  try {
    const r = run('npm', ['pack', spec, '--json', '--pack-destination', work], { cwd: work });
    if (r.status !== 0) throw new Error(`npm pack ${spec} failed: ${r.stderr}`);
    const tgz = path.join(work, JSON.parse(r.stdout)[0].filename);
    fs.mkdirSync(path.join(work, 'x'));
    const t = run('tar', ['-xzf', tgz, '-C', path.join(work, 'x')]);
    if (t.status !== 0) throw new Error(`tar failed: ${t.stderr}`);
    fs.mkdirSync(PM_CACHE, { recursive: true });
    fs.rmSync(target, { recursive: true, force: true });
    fs.renameSync(path.join(work, 'x'), target);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  return path.join(target, 'package');
}

// Each package manager: how to run it with a given node, and its install command.
function packageManagers() {
  const npm12 = fetchPackage(`npm@${PINNED_PM.npm}`, `npm-${PINNED_PM.npm}`);
  const pnpmExe = path.join(fetchPackage(`@pnpm/exe.linux-${process.arch}@${PINNED_PM.pnpm}`, `pnpm-exe-${PINNED_PM.pnpm}`), 'pnpm');
  fs.chmodSync(pnpmExe, 0o755);
  const yarn1 = fetchPackage(`yarn@${PINNED_PM.yarn1}`, `yarn-${PINNED_PM.yarn1}`);
  const yarn4Dir = fetchPackage(`@yarnpkg/cli-dist@${PINNED_PM.yarn4}`, `yarn-${PINNED_PM.yarn4}`);
  const yarn4 = {
    cmd: (node) => [node, path.join(yarn4Dir, 'bin', 'yarn.js')],
    add: ['add'],
    spec: (tgz) => `ctxframe@file:${tgz}`,
    ignoreScripts: ['--mode=skip-build'],
    exec: [],
    fix: 'yarn ctxframe-build',
  };
  return {
    npm11: { label: `npm ${run('npm', ['-v']).stdout.trim()}`, cmd: (node) => [node, SYSTEM_NPM], add: ['install'], exec: ['exec', '--'] },
    npm12: {
      label: `npm ${PINNED_PM.npm}`,
      cmd: (node) => [node, path.join(npm12, 'bin', 'npm-cli.js')],
      add: ['install'],
      exec: ['exec', '--'],
      // npm 12 supports Node ^22.22.2 || ^24.15 || >= 26; on Node 20 it warns and works.
    },
    pnpm: { label: `pnpm ${PINNED_PM.pnpm}`, cmd: () => [pnpmExe], add: ['add'], exec: ['exec'] },
    yarn1: {
      label: `yarn ${PINNED_PM.yarn1}`,
      cmd: (node) => [node, path.join(yarn1, 'bin', 'yarn.js')],
      add: ['add', '--non-interactive', '--no-progress'],
      spec: (tgz) => `ctxframe@file:${tgz}`,
      exec: [],
      fix: 'yarn ctxframe-build',
    },
    yarn4: { ...yarn4, label: `yarn ${PINNED_PM.yarn4} (node-modules)`, linker: 'node-modules' },
    'yarn4-pnp': { ...yarn4, label: `yarn ${PINNED_PM.yarn4} (pnp)`, linker: 'pnp' },
  };
}

// Yarn 4's settings for an app: the npm registry, a cache inside the run's directory (no global
// cache), no telemetry, and installs that may write the lock file even when CI=true.
function yarnrc(linker, cacheFolder) {
  return [
    'npmRegistryServer: "https://registry.npmjs.org"',
    'enableGlobalCache: false',
    `cacheFolder: ${JSON.stringify(cacheFolder)}`,
    'enableTelemetry: false',
    'enableImmutableInstalls: false',
    `nodeLinker: ${linker}`,
    '',
  ].join('\n');
}

// The installed package's directory (Plug'n'Play keeps it out of node_modules: unplugged, since it
// holds .node files).
function installedDir(pm, app, node, env) {
  if (pm.linker !== 'pnp') return fs.realpathSync(path.join(app, 'node_modules', 'ctxframe'));
  const r = run(node, ['-r', './.pnp.cjs', '-p', "require('node:path').dirname(require.resolve('ctxframe/package.json'))"], { cwd: app, env });
  if (r.status !== 0) throw new Error(`cannot resolve ctxframe under Plug'n'Play: ${r.out}`);
  return r.stdout.trim();
}

// How an app's script runs: under Plug'n'Play through its .pnp.cjs (what `yarn node` does).
function nodeArgs(pm) {
  return pm.linker === 'pnp' ? ['-r', './.pnp.cjs'] : [];
}

const MODES = {
  20: [{ flags: [], expect: 'carrier' }],
  22: [{ flags: [], expect: 'carrier' }, { flags: ['--experimental-async-context-frame'], expect: 'frame' }],
  24: [{ flags: [], expect: 'frame' }],
  26: [{ flags: [], expect: 'frame' }],
};

// The app's check: backend, a context across a timer, CTXFRAME_* warnings, which native file loaded.
const CHECK_JS = `
const warnings = [];
process.on('warning', (w) => { if (String(w.code).startsWith('CTXFRAME_')) warnings.push(w.code); });
const { backend, AsyncLocalStorage } = require('ctxframe');
const path = require('node:path');
const nativeFile = path.join(path.dirname(require.resolve('ctxframe')), 'native.js');
const als = new AsyncLocalStorage();
als.run('ctx', () => setTimeout(() => {
  const store = als.getStore();
  const native = require.cache[nativeFile] ? require(nativeFile) : null;
  setImmediate(() => console.log(JSON.stringify({ backend, store, warnings,
    native: native && native.path && path.relative(path.dirname(path.dirname(nativeFile)), native.path) })));
}, 1));
`;

const WORKERS_JS = `
const { Worker, isMainThread, parentPort } = require('node:worker_threads');
const { backend, continuation } = require('ctxframe');
if (isMainThread) {
  const backends = [backend];
  const continuations = [continuation];
  let left = 3;
  for (let i = 0; i < 3; i++) {
    const w = new Worker(__filename);
    w.on('message', ([b, c]) => { backends.push(b); continuations.push(c); });
    w.on('exit', () => { if (--left === 0) setImmediate(() => console.log(JSON.stringify({ backends, continuations }))); });
  }
} else parentPort.postMessage([backend, continuation]);
`;

function main() {
  const args = process.argv.slice(2);
  const arg = (name) => { const i = args.indexOf(name); return i === -1 ? null : args[i + 1].split(','); };
  const started = Date.now();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ctxframe-package-test-'));
  const home = path.join(work, 'home');
  fs.mkdirSync(home);
  const emptyRc = path.join(work, 'empty-user-npmrc');
  const emptyGlobalRc = path.join(work, 'empty-global-npmrc');
  fs.writeFileSync(emptyRc, '');
  fs.writeFileSync(emptyGlobalRc, '');

  // Runtimes.
  const nodes = { 20: process.execPath };
  const majors = (arg('--nodes') || ['20', '22', '24', '26']).map(Number);
  for (const major of majors) if (major !== 20) nodes[major] = ensureNode(major).bin;
  if (majors.includes(20) && process.versions.node.split('.')[0] !== '20') console.log(`note: Node 20 is the running node, ${process.version}`);
  const pms = packageManagers();
  const pmNames = arg('--only') || Object.keys(pms);

  // 1. Pack once; check the tarball.
  console.log('== npm pack (prepack builds the prebuilds) ==');
  const pack = run('npm', ['pack', '--json', '--pack-destination', work], { cwd: ROOT, timeout: 15 * 60 * 1000 });
  if (!check('npm pack exits 0', pack.status === 0, pack.stderr.slice(-3000))) return finish(work, started);
  const packed = JSON.parse(pack.stdout.slice(pack.stdout.search(/^\[$/m)))[0];
  const tgz = path.join(work, packed.filename);
  const files = new Map(packed.files.map((f) => [f.path, f.size]));
  const unpacked = path.join(work, 'unpacked');
  fs.mkdirSync(unpacked);
  run('tar', ['-xzf', tgz, '-C', unpacked]);
  for (const p of PREBUILDS) {
    const inTar = path.join(unpacked, 'package', p.file);
    if (!check(`tarball has ${p.file}`, files.has(p.file) && fs.existsSync(inTar), 'missing')) continue;
    const machine = elfMachine(inTar);
    check(`${p.file} is ${p.arch} ELF`, machine === ELF_MACHINE[p.arch], `e_machine ${machine}, expected ${ELF_MACHINE[p.arch]}`);
    console.log(`  ${p.file}  ${files.get(p.file)} bytes, e_machine ${machine}`);
  }
  const extra = [...files.keys()].filter((f) => f.startsWith('prebuilds/') && !PREBUILDS.some((p) => p.file === f));
  check('tarball has no other prebuilds', extra.length === 0, extra.join(', '));
  check('tarball has no root binding.gyp', !files.has('binding.gyp'), 'yarn 1 and 4 run node-gyp at install for a root binding.gyp, whatever "gypfile": false says');
  const packedGyp = path.join(unpacked, 'package', 'gyp', 'binding.gyp');
  check('tarball has gyp/binding.gyp, made from the root binding.gyp', fs.existsSync(packedGyp) &&
    fs.readFileSync(packedGyp, 'utf8') === packedText(fs.readFileSync(path.join(ROOT, 'binding.gyp'), 'utf8')), 'missing or stale');
  check('packing leaves no gyp/ in the checkout (postpack)', !fs.existsSync(path.join(ROOT, 'gyp')), 'gyp/ is still there');
  check('tarball has no native/ or build/', ![...files.keys()].some((f) => /^(native|build|gyp\/build)\//.test(f)), 'local builds were packed');
  const manifest = JSON.parse(fs.readFileSync(path.join(unpacked, 'package', 'package.json'), 'utf8'));
  const installScripts = ['preinstall', 'install', 'postinstall'].filter((s) => manifest.scripts && manifest.scripts[s]);
  check('packed package.json has no install-time scripts', installScripts.length === 0, installScripts.join(', '));
  check('packed package.json says "gypfile": false', manifest.gypfile === false, `gypfile: ${manifest.gypfile}`);
  console.log(`  ${packed.filename}: ${packed.size} bytes packed, ${packed.unpackedSize} unpacked, ${packed.entryCount} files`);

  // 2. Install matrix.
  const env = (nodeBin, { noCompiler = false } = {}) => {
    let PATH = `${path.dirname(nodeBin)}:/usr/local/bin:/usr/bin:/bin`;
    if (noCompiler) {
      const bin = path.join(work, `node-only-${path.basename(path.dirname(path.dirname(nodeBin)))}`);
      if (!fs.existsSync(bin)) {
        fs.mkdirSync(bin);
        fs.symlinkSync(nodeBin, path.join(bin, 'node'));
        fs.symlinkSync('/bin/sh', path.join(bin, 'sh')); // npm exec runs bins through sh
      }
      PATH = bin;
    }
    return {
      HOME: home, PATH, LANG: 'C.UTF-8',
      XDG_CONFIG_HOME: path.join(home, '.config'), XDG_DATA_HOME: path.join(home, '.local', 'share'), XDG_CACHE_HOME: path.join(home, '.cache'),
      npm_config_userconfig: emptyRc, npm_config_globalconfig: emptyGlobalRc,
      npm_config_cache: path.join(PM_CACHE, 'npm-cache'),
      // Defaults otherwise; these three only stop registry round trips that have nothing to do with
      // install scripts (the tarball has no dependencies).
      npm_config_update_notifier: 'false', npm_config_audit: 'false', npm_config_fund: 'false',
      // The machine's TLS trust (a registry reached through an intercepting proxy) is not npm config.
      ...(fs.existsSync(CA_FILE) ? { NODE_EXTRA_CA_CERTS: CA_FILE, SSL_CERT_FILE: CA_FILE } : {}),
    };
  };
  const rows = [];
  const variants = [
    { name: 'default', opts: {}, extra: [] },
    { name: 'no compiler', opts: { noCompiler: true }, extra: [] },
    { name: '--ignore-scripts', opts: {}, extra: ['--ignore-scripts'] },
  ];
  const apps = {};
  let n = 0;
  for (const pmName of pmNames) {
    const pm = pms[pmName];
    for (const major of majors) {
      for (const variant of variants) {
        const label = `${pm.label} / Node ${major} / ${variant.extra.length && pm.ignoreScripts ? pm.ignoreScripts.join(' ') : variant.name}`;
        const app = path.join(work, 'apps', `app${++n}`);
        fs.mkdirSync(app, { recursive: true });
        fs.writeFileSync(path.join(app, 'package.json'), `${JSON.stringify({ name: `app${n}`, version: '1.0.0', private: true }, null, 2)}\n`);
        fs.writeFileSync(path.join(app, 'check.js'), CHECK_JS);
        fs.writeFileSync(path.join(app, 'workers.js'), WORKERS_JS);
        if (pm.linker) fs.writeFileSync(path.join(app, '.yarnrc.yml'), yarnrc(pm.linker, path.join(work, 'yarn4-cache')));
        const installNode = nodes[major];
        const e = env(installNode, variant.opts);
        if (variant.opts.noCompiler) {
          const cc = run('/bin/sh', ['-c', 'command -v cc gcc g++ make python3'], { env: e });
          check(`${label}: no compiler on PATH`, cc.stdout.trim() === '', cc.stdout);
        }
        const [file, ...pre] = pm.cmd(installNode);
        const t0 = Date.now();
        const noScripts = variant.extra.length && pm.ignoreScripts ? pm.ignoreScripts : variant.extra;
        const inst = run(file, [...pre, ...pm.add, pm.spec ? pm.spec(tgz) : tgz, ...noScripts], { cwd: app, env: e });
        const seconds = ((Date.now() - t0) / 1000).toFixed(1);
        check(`${label}: install exits 0`, inst.status === 0, inst.out.slice(-3000));
        // YN0004: "lists build scripts, but all build scripts have been disabled"; YN0007: "must be
        // built"; YN0009: "couldn't be built successfully".
        check(`${label}: nothing blocked or ignored`, !/install-scripts|ERR_PNPM_IGNORED_BUILDS|approve-builds|Ignored build scripts|YN0004|YN0007|YN0009/.test(inst.out), inst.out.slice(-2000));
        let pkgDir = null;
        try { pkgDir = installedDir(pm, app, installNode, e); } catch (err) { check(`${label}: ctxframe is installed`, false, err.message); }
        check(`${label}: nothing was built`, pkgDir && !/node-gyp|gyp info|gyp ERR/.test(inst.out) &&
          !fs.existsSync(path.join(pkgDir, 'build')) && !fs.existsSync(path.join(pkgDir, 'gyp', 'build')), `${pkgDir}: ${inst.out.slice(-1500)}`);
        const row = { pm: pm.label, node: major, variant: label.split(' / ').pop(), exit: inst.status, seconds, modes: [], installedWith: /does not support Node\.js/.test(inst.out) ? ' (warns: unsupported Node)' : '' };
        for (const mode of MODES[major]) {
          const r = run(nodes[major], [...nodeArgs(pm), ...mode.flags, 'check.js'], { cwd: app, env: env(nodes[major], variant.opts) });
          let out = {};
          try { out = JSON.parse(r.stdout.trim().split('\n').pop()); } catch {}
          const modeLabel = `${label}${mode.flags.length ? ` ${mode.flags.join(' ')}` : ''}`;
          check(`${modeLabel}: backend ${mode.expect}`, r.status === 0 && out.backend === mode.expect && out.store === 'ctx', r.out.slice(-2000));
          check(`${modeLabel}: no CTXFRAME_* warning`, !/CTXFRAME_/.test(r.stderr) && (out.warnings || []).length === 0, r.stderr.slice(-2000));
          const wantNative = mode.expect === 'frame' ? `prebuilds/linux-${process.arch}/node.abi${{ 22: 127, 24: 137, 26: 147 }[major]}.glibc.node` : null;
          check(`${modeLabel}: native part ${wantNative || 'not loaded'}`, out.native === wantNative, `loaded ${out.native}`);
          row.modes.push(`${mode.flags.length ? '+flag ' : ''}${out.backend || 'error'}${(out.warnings || []).length ? ` ${out.warnings.join(',')}` : ''}`);
        }
        rows.push(row);
        console.log(`${label}: install exit ${row.exit} (${seconds}s); ${row.modes.join('; ')}`);
        if (variant.name === 'default') apps[`${pmName}/${major}`] = app;
      }
    }
  }

  // 3. Where a warning is due: an ACF runtime whose prebuild is gone.
  console.log('\n== a deleted prebuild: one warning per process, the fix, ctxframe-build ==');
  const abiOf = { 22: 127, 24: 137, 26: 147 };
  for (const pmName of pmNames) {
    const pm = pms[pmName];
    for (const major of majors.filter((m) => m >= 22)) {
      const app = apps[`${pmName}/${major}`];
      const pkgDir = installedDir(pm, app, nodes[major], env(nodes[major]));
      const file = path.join(pkgDir, 'prebuilds', `linux-${process.arch}`, `node.abi${abiOf[major]}.glibc.node`);
      fs.rmSync(file, { force: true });
      const flags = major === 22 ? ['--experimental-async-context-frame'] : [];
      const label = `${pm.label} / Node ${major}${flags.length ? ' +flag' : ''} without its prebuild`;
      const r = run(nodes[major], [...nodeArgs(pm), ...flags, 'workers.js'], { cwd: app, env: env(nodes[major]) });
      const warnings = r.stderr.match(/\[CTXFRAME_NATIVE_UNAVAILABLE\][^\n]*/g) || [];
      let out = {};
      try { out = JSON.parse(r.stdout.trim()); } catch {}
      // Without the native part the frame backend reaches the continuation through Node's public API.
      check(`${label}: main + 3 workers run frame without the native part (continuation 'js')`,
        JSON.stringify(out.backends) === '["frame","frame","frame","frame"]' &&
        JSON.stringify(out.continuations) === '["js","js","js","js"]', r.out.slice(-1500));
      check(`${label}: exactly one warning`, warnings.length === 1, `${warnings.length} warnings: ${r.stderr.slice(-1500)}`);
      const fix = pm.fix || { npm11: 'npx ctxframe-build', npm12: 'npx ctxframe-build', pnpm: 'pnpm exec ctxframe-build' }[pmName];
      check(`${label}: warning names linux-${process.arch} glibc ABI ${abiOf[major]} and \`${fix}\``,
        warnings.length === 1 && warnings[0].includes(`linux-${process.arch} glibc, Node.js`) &&
        warnings[0].includes(`(ABI ${abiOf[major]})`) && warnings[0].includes(`\`${fix}\``), warnings[0]);
      if (major === 22) {
        const plain = run(nodes[major], [...nodeArgs(pm), 'workers.js'], { cwd: app, env: env(nodes[major]) });
        check(`${pm.label} / Node 22 (no flag) without its prebuild: no warning`, plain.status === 0 && !/CTXFRAME_/.test(plain.stderr), plain.stderr.slice(-1500));
      }
      if (pmName === 'npm11' && major === 24) rows.push({ warningExample: warnings[0] });
    }
    if (majors.includes(20)) {
      // Node 20 never loads anything; deleting every prebuild changes nothing there.
      const app = apps[`${pmName}/20`];
      fs.rmSync(path.join(installedDir(pm, app, nodes[20], env(nodes[20])), 'prebuilds'), { recursive: true, force: true });
      const r = run(nodes[20], [...nodeArgs(pm), 'workers.js'], { cwd: app, env: env(nodes[20]) });
      check(`${pm.label} / Node 20 without any prebuild: carrier, no warning`, r.status === 0 && !/CTXFRAME_/.test(r.stderr) && r.stdout.includes('"carrier","carrier","carrier","carrier"'), r.out.slice(-1500));
      const b = run(...(([f, ...p]) => [f, [...p, ...pm.exec, 'ctxframe-build']])(pm.cmd(nodes[20])), { cwd: app, env: env(nodes[20]) });
      check(`${pm.label} / Node 20: ctxframe-build has nothing to build, exits 0`, b.status === 0 && /nothing to build/.test(b.out), b.out.slice(-1500));
    }
  }

  // ctxframe-build where the prebuild was deleted (npm 11 app, Node 24): without a compiler it exits 1
  // and the warning names its log; with one it builds and the app runs on frame.
  if (pmNames.includes('npm11') && majors.includes(24)) {
    const app = apps['npm11/24'];
    const npm = pms.npm11.cmd(nodes[24]);
    const noCc = run(npm[0], [...npm.slice(1), 'exec', '--', 'ctxframe-build'], { cwd: app, env: env(nodes[24], { noCompiler: true }) });
    check('ctxframe-build without a compiler exits 1', noCc.status === 1, `exit ${noCc.status}: ${noCc.out.slice(-1500)}`);
    check('ctxframe-build without a compiler says what to install', /install python3, make and a C\/C\+\+ compiler/.test(noCc.stderr), noCc.out.slice(-1500));
    const after = run(nodes[24], ['check.js'], { cwd: app, env: env(nodes[24]) });
    check('after the failed build the warning gives the log and the first error line',
      /\[CTXFRAME_NATIVE_UNAVAILABLE\].*source build of its native part .* failed: .+ \(log: \/.*\.log\)/.test(after.stderr), after.stderr.slice(-1500));
    rows.push({ warningExample: (after.stderr.match(/\[CTXFRAME_NATIVE_UNAVAILABLE\][^\n]*/) || [''])[0] });
    const built = run(npm[0], [...npm.slice(1), 'exec', '--', 'ctxframe-build'], { cwd: app, env: env(nodes[24]) });
    check('ctxframe-build with a compiler exits 0', built.status === 0, built.out.slice(-2000));
    const ok = run(nodes[24], ['check.js'], { cwd: app, env: env(nodes[24]) });
    let out = {};
    try { out = JSON.parse(ok.stdout.trim().split('\n').pop()); } catch {}
    check('after ctxframe-build: frame, from native/, no warning', out.backend === 'frame' && /^native\/linux-x64-abi137\/ctxframe\.node$/.test(out.native || '') && !/CTXFRAME_/.test(ok.stderr), ok.out.slice(-1500));
  }

  // Summary table.
  console.log('\n== install matrix: package manager × Node × variant → install exit, backend per mode, CTXFRAME_* warnings ==');
  console.log('| package manager | Node | variant | install exit (s) | backend (warnings) |');
  console.log('|---|---|---|---|---|');
  for (const r of rows.filter((x) => x.pm)) {
    console.log(`| ${r.pm}${r.installedWith} | ${r.node} | ${r.variant} | ${r.exit} (${r.seconds}) | ${r.modes.join('; ')} |`);
  }
  for (const r of rows.filter((x) => x.warningExample)) console.log(`\nexample warning: ${r.warningExample}`);
  return finish(work, started);
}

function finish(work, started) {
  fs.rmSync(work, { recursive: true, force: true });
  console.log(`\npackage test took ${((Date.now() - started) / 1000).toFixed(0)}s`);
  if (failures.length) console.log(`failures:\n  ${failures.join('\n  ')}`);
  console.log(`package: ${passed} passed, ${failures.length} failed`);
  process.exitCode = failures.length ? 1 : 0;
}

main();
