'use strict';
// Owns: `npm run test:asan` — the native addon under AddressSanitizer + UndefinedBehaviorSanitizer
// and under valgrind memcheck.
//
//   node test/asan/run.js [--ci] [--only asan|valgrind|canary] [--runtimes 20,24] [--iterations N] [--skip-canary]
//
//   default   core suite + bridge fuzz under ASan on Node 20, 22 --experimental-async-context-frame,
//             24 and 26 (100,000 fuzz calls each); valgrind; canaries
//   --ci      what CI runs: the core suite under ASan on Node 24 (the frame backend, which calls the
//             bridge on every run() and getStore()), the bridge fuzz on Node 20 and 24 (20,000 calls);
//             valgrind; canaries
//
// 1. Copies the package (lib, src, scripts, test, types, bin, package.json, binding.gyp; node_modules
//    linked) to .cache/sanitize/<variant>/ and builds the addon there with scripts/build.js and
//    CFLAGS/CXXFLAGS/LDFLAGS = -fsanitize=address,undefined (gcc, whose libasan/libubsan come with
//    Debian's gcc), so the normal build in native/ is never touched.
// 2. ASan: for each runtime, runs the core suite (test/core) and the native bridge fuzz
//    (test/asan/bridge-fuzz.js) with libasan preloaded (LD_PRELOAD: node itself is not
//    instrumented) and halt_on_error for both sanitizers. detect_leaks=0: LeakSanitizer would report
//    node's and V8's own process-lifetime allocations, which are not the addon's.
// 3. valgrind memcheck (normal -O build, copied to its own directory too) over the native bridge
//    fuzz and the native test file (its in-process cases) on system node, --error-exitcode, with test/asan/node.supp
//    suppressing only reports whose stacks lie wholly in node/V8/libc.
// 4. Canary: the same builds with one injected 1-byte heap over-read in the addon's module init
//    must make ASan and valgrind fail, so a quiet run means something.
// Exit status 1 when any step fails or any tool reports an error in the addon.

const fs = require('node:fs');
const path = require('node:path');
const { spawnSync, execFileSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..', '..');
const WORK = path.join(ROOT, '.cache', 'sanitize');
const SANITIZE = '-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined -g -O1';
const COPY = ['lib', 'src', 'scripts', 'test', 'types', 'bin', 'package.json', 'binding.gyp'];

function parseArgs(argv) {
  const opts = { only: null, runtimes: ['20', '22-acf', '24', '26'], suiteRuntimes: null, iterations: 100000, canary: true };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--ci') Object.assign(opts, { runtimes: ['20', '24'], suiteRuntimes: ['24'], iterations: 20000 });
    else if (arg === '--only') opts.only = argv[++i];
    else if (arg === '--runtimes') opts.runtimes = argv[++i].split(',').filter(Boolean);
    else if (arg === '--iterations') opts.iterations = Number(argv[++i]);
    else if (arg === '--skip-canary') opts.canary = false;
    else throw new Error(`unknown option ${arg} (see the header of test/asan/run.js)`);
  }
  return opts;
}

function cleanEnv(extra = {}) {
  const env = { ...process.env, ...extra };
  delete env.NODE_OPTIONS;
  delete env.CTXFRAME_BACKEND;
  delete env.CTXFRAME_EXPECT_BACKEND;
  return env;
}

function nodeFor(name) {
  if (name === '20' && process.versions.node.startsWith('20.')) return { bin: process.execPath, flags: [] };
  const major = Number(name.split('-')[0]);
  const flags = name.endsWith('-no-acf') ? ['--no-async-context-frame'] : name.endsWith('-acf') ? ['--experimental-async-context-frame'] : [];
  if (major === Number(process.versions.node.split('.')[0])) return { bin: process.execPath, flags };
  return { bin: require(path.join(ROOT, 'scripts', 'fetch-node.js')).ensureNode(major).bin, flags };
}

const results = [];
function step(name, fn) {
  const started = Date.now();
  let ok = false;
  let detail = '';
  try {
    detail = fn() || '';
    ok = true;
  } catch (err) {
    detail = err.message;
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  results.push({ name, ok, seconds, detail });
  console.log(`test:asan: ${ok ? 'ok  ' : 'FAIL'} ${name} (${seconds} s)${detail ? `: ${detail}` : ''}`);
  return ok;
}

// A private copy of the package: its own native/ and build/ directories.
function makeCopy(variant, patch) {
  const dir = path.join(WORK, variant);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  for (const entry of COPY) {
    if (!fs.existsSync(path.join(ROOT, entry))) continue;
    fs.cpSync(path.join(ROOT, entry), path.join(dir, entry), { recursive: true });
  }
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  fs.mkdirSync(path.join(dir, '.cache'), { recursive: true });
  if (fs.existsSync(path.join(ROOT, '.cache', 'node'))) fs.symlinkSync(path.join(ROOT, '.cache', 'node'), path.join(dir, '.cache', 'node'), 'dir');
  if (patch) patch(dir);
  return dir;
}

function build(dir, runtime, flags) {
  const env = cleanEnv(flags ? { CFLAGS: flags, CXXFLAGS: flags, LDFLAGS: flags.replace(/ -g -O1| -fno-omit-frame-pointer| -fno-sanitize-recover=undefined/g, '') } : {});
  const r = spawnSync(process.execPath, [path.join(dir, 'scripts', 'build.js'), '--node', runtime.bin], { cwd: dir, env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`build failed: ${(r.stdout + r.stderr).split('\n').filter(Boolean).slice(-5).join(' | ')}`);
  const abi = execFileSync(runtime.bin, ['-p', 'process.versions.modules'], { env: cleanEnv(), encoding: 'utf8' }).trim();
  const addon = path.join(dir, 'native', `${process.platform}-${process.arch}-abi${abi}`, 'ctxframe.node');
  if (!fs.existsSync(addon)) throw new Error(`no addon at ${addon}`);
  return addon;
}

function libasan() {
  const lib = execFileSync('gcc', ['-print-file-name=libasan.so'], { encoding: 'utf8' }).trim();
  if (!path.isAbsolute(lib) || !fs.existsSync(lib)) throw new Error('gcc has no libasan.so (Debian: libasan8, which gcc depends on)');
  return fs.realpathSync(lib);
}

function asanEnv() {
  return cleanEnv({
    LD_PRELOAD: libasan(),
    ASAN_OPTIONS: 'detect_leaks=0:halt_on_error=1:abort_on_error=0:exitcode=86:allocator_may_return_null=1:detect_stack_use_after_return=0',
    UBSAN_OPTIONS: 'halt_on_error=1:print_stacktrace=1:exitcode=87',
    // Node runs slower with ASan preloaded: give each parity scenario child more time than its
    // default 8 s watchdog (the parent's 20 s limit still applies).
    CTXFRAME_SCENARIO_WATCHDOG_MS: '18000',
  });
}

// Runs a step's command; its whole output goes to <cwd>/<log> for reading after a failure.
function run(bin, args, { cwd, env, log, timeoutMs = 30 * 60000 }) {
  const r = spawnSync(bin, args, { cwd, env, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 256 * 1024 * 1024 });
  const out = `${r.stdout || ''}${r.stderr || ''}`;
  if (log) fs.writeFileSync(path.join(cwd, log), out);
  return { status: r.status, signal: r.signal, out, error: r.error, log: log ? path.relative(ROOT, path.join(cwd, log)) : null };
}

function failedTests(out) {
  return out.split('\n').filter((l) => /^\s+\d+\) /.test(l)).map((l) => l.trim()).slice(0, 10).join('\n    ');
}

const SANITIZER_REPORT = /ERROR: AddressSanitizer|runtime error:|ERROR: UndefinedBehaviorSanitizer|SUMMARY: (Address|UndefinedBehavior)Sanitizer/;

function tail(text, n = 12) {
  return text.split('\n').filter(Boolean).slice(-n).join('\n    ');
}

function mochaArgs(dir, files) {
  return [path.join(dir, 'node_modules', 'mocha', 'bin', 'mocha.js'), '--no-config', '--timeout', '120000', '--exit', ...files];
}

function asanSteps(opts) {
  for (const name of opts.runtimes) {
    const runtime = nodeFor(name);
    const dir = makeCopy(`asan-${name}`);
    let addon;
    if (!step(`asan: build with ${SANITIZE} for node ${name}`, () => {
      addon = build(dir, runtime, SANITIZE);
      const symbols = execFileSync('nm', ['-D', addon], { encoding: 'utf8' });
      if (!/__asan_/.test(symbols) || !/__ubsan_/.test(symbols)) throw new Error(`${addon} is not instrumented`);
      return path.relative(ROOT, addon);
    })) continue;
    const env = { ...asanEnv(), CTXFRAME_EXPECT_BACKEND: require(path.join(ROOT, 'scripts', 'runtimes.js')).expectedBackend(execFileSync(runtime.bin, ['-p', 'process.versions.node'], { encoding: 'utf8', env: cleanEnv() }).trim(), runtime.flags) };
    if (runtime.flags.length) env.NODE_OPTIONS = runtime.flags.join(' ');
    if (opts.suiteRuntimes === null || opts.suiteRuntimes.includes(name)) step(`asan: core suite (test/core) on node ${name}`, () => {
      const files = fs.readdirSync(path.join(dir, 'test', 'core')).filter((f) => f.endsWith('.test.js')).map((f) => path.join(dir, 'test', 'core', f));
      const r = run(runtime.bin, mochaArgs(dir, files), { cwd: dir, env, log: 'core-suite.log' });
      if (SANITIZER_REPORT.test(r.out)) throw new Error(`sanitizer report (${r.log}):\n    ${tail(r.out.slice(r.out.search(SANITIZER_REPORT) - 200), 40)}`);
      if (r.status !== 0) throw new Error(`exit ${r.status ?? r.signal} (${r.log}):\n    ${failedTests(r.out)}\n    ${tail(r.out)}`);
      return (/(\d+) passing/.exec(r.out) || [])[0];
    });
    step(`asan: native bridge fuzz on node ${name}`, () => {
      const r = run(runtime.bin, [path.join(dir, 'test', 'asan', 'bridge-fuzz.js'), '--addon', addon, '--iterations', String(opts.iterations)], { cwd: dir, env, log: 'bridge-fuzz.log' });
      if (SANITIZER_REPORT.test(r.out)) throw new Error(`sanitizer report:\n    ${tail(r.out.slice(r.out.search(SANITIZER_REPORT) - 200), 40)}`);
      if (r.status !== 0) throw new Error(`exit ${r.status ?? r.signal}:\n    ${tail(r.out)}`);
      return tail(r.out, 1);
    });
  }
}

// The canary: a 1-byte heap over-read in the addon's module init (ctxframe_init), on a buffer it
// allocates itself.
function injectBug(dir) {
  const file = path.join(dir, 'src', 'addon.c');
  const source = fs.readFileSync(file, 'utf8');
  const include = '#include <node_api.h>';
  const anchor = /static napi_value ctxframe_init\(napi_env env, napi_value exports\) \{\n/;
  if (!source.includes(include) || !anchor.test(source)) {
    throw new Error('canary: ctxframe_init or the node_api.h include not found in src/addon.c (update test/asan/run.js)');
  }
  // The offset is opaque to the compiler (volatile), so neither -Warray-bounds nor a static check
  // sees it: only a memory checker can.
  const bug = '  { unsigned char* canary = malloc(8); volatile size_t canary_offset = 9;\n' +
    '    if (canary != NULL) { volatile unsigned char sink = ((volatile unsigned char*)canary)[canary_offset];\n' +
    '      (void)sink; free(canary); } }\n';
  fs.writeFileSync(file, source.replace(include, `#include <stdlib.h>\n${include}`).replace(anchor, (m) => m + bug));
}

function canaryAsan() {
  const runtime = nodeFor('20');
  const dir = makeCopy('asan-canary', injectBug);
  step('asan canary: an injected heap over-read in the addon is reported', () => {
    // UBSan's object-size check may catch this read too (and halt first); turned off here so that
    // the canary shows AddressSanitizer itself at work.
    const addon = build(dir, runtime, `${SANITIZE} -fno-sanitize=object-size`);
    const r = run(runtime.bin, [path.join(dir, 'test', 'asan', 'bridge-fuzz.js'), '--addon', addon, '--iterations', '10'], { cwd: dir, env: asanEnv() });
    if (!/heap-buffer-overflow/.test(r.out) || r.status === 0) throw new Error(`ASan did not report the injected bug (exit ${r.status}):\n    ${tail(r.out)}`);
    return `exit ${r.status}, ${(/SUMMARY: AddressSanitizer: [^\n]*/.exec(r.out) || [''])[0]}`;
  });
}

function valgrindArgs(extra = []) {
  return ['--tool=memcheck', '--error-exitcode=99', '--errors-for-leak-kinds=none', '--leak-check=no',
    `--suppressions=${path.join(__dirname, 'node.supp')}`, '--num-callers=30', ...extra];
}

function hasValgrind() {
  if (spawnSync('valgrind', ['--version']).status === 0) return true;
  step('valgrind: present', () => { throw new Error('valgrind is not installed (node scripts/system-deps.js sanitizers installs it)'); });
  return false;
}

function valgrindSteps(opts) {
  if (!hasValgrind()) return;
  const runtime = nodeFor('20');
  const dir = makeCopy('valgrind');
  let addon;
  if (!step('valgrind: build (normal flags) for node 20', () => { addon = build(dir, runtime, null); return path.relative(ROOT, addon); })) return;
  step('valgrind memcheck: native bridge fuzz on node 20', () => {
    const r = run('valgrind', [...valgrindArgs(), runtime.bin, path.join(dir, 'test', 'asan', 'bridge-fuzz.js'), '--addon', addon,
      '--iterations', String(Math.min(1000, opts.iterations)), '--workers', '2'], { cwd: dir, env: cleanEnv(), log: 'valgrind-bridge-fuzz.log' });
    if (r.status !== 0) throw new Error(`exit ${r.status ?? r.signal}:\n    ${tail(r.out, 40)}`);
    return `${(/ERROR SUMMARY: [^\n]*/.exec(r.out) || ['?'])[0]}; ${tail(r.out.split('\n').filter((l) => !l.startsWith('==')).join('\n'), 1)}`;
  });
  // The test file's in-process cases run under memcheck; its child processes (dlopen, workers,
  // garbage) run natively, as memcheck makes them slower than their 25 s limit: the bridge fuzz
  // above covers the same ground (two module instances, workers, garbage) under memcheck.
  step('valgrind memcheck: test/core/native.test.js on node 20', () => {
    const r = run('valgrind', [...valgrindArgs(), runtime.bin, ...mochaArgs(dir, [path.join(dir, 'test', 'core', 'native.test.js')])],
      { cwd: dir, env: cleanEnv({ CTXFRAME_EXPECT_BACKEND: 'carrier' }), log: 'valgrind-native-test.log' });
    if (r.status !== 0) throw new Error(`exit ${r.status ?? r.signal}:\n    ${tail(r.out, 40)}`);
    return `${(/(\d+) passing/.exec(r.out) || [])[0]}; ${(/ERROR SUMMARY: [^\n]*/.exec(r.out) || ['?'])[0]}`;
  });
}

function canaryValgrind() {
  if (!hasValgrind()) return;
  const runtime = nodeFor('20');
  const bad = makeCopy('valgrind-canary', injectBug);
  step('valgrind canary: an injected heap over-read in the addon is reported', () => {
    const badAddon = build(bad, runtime, null);
    const r = run('valgrind', [...valgrindArgs(), runtime.bin, path.join(bad, 'test', 'asan', 'bridge-fuzz.js'), '--addon', badAddon, '--iterations', '10', '--workers', '0'], { cwd: bad, env: cleanEnv() });
    if (r.status !== 99 || !/Invalid read of size 1/.test(r.out) || !/ctxframe_init|napi_register_module_v1/.test(r.out)) {
      throw new Error(`valgrind did not report the injected bug (exit ${r.status}):\n    ${tail(r.out, 20)}`);
    }
    return `exit ${r.status}, "Invalid read of size 1" in ctxframe_init`;
  });
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  const started = Date.now();
  // valgrind and the sanitizer runtimes come from apt on a fresh machine (announced, with the reason).
  const deps = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'system-deps.js'), 'sanitizers'], { stdio: 'inherit' });
  if (deps.status !== 0) {
    console.log('test:asan: 0 passed, 1 failed (system packages missing: see above)');
    process.exitCode = 1;
    return;
  }
  if (opts.only === null || opts.only === 'asan') asanSteps(opts);
  if (opts.only === null || opts.only === 'valgrind') valgrindSteps(opts);
  if ((opts.only === null && opts.canary) || opts.only === 'canary') {
    canaryAsan();
    canaryValgrind();
  }
  const failed = results.filter((r) => !r.ok);
  console.log(`test:asan: ${results.length - failed.length} passed, ${failed.length} failed in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  process.exitCode = failed.length ? 1 : 0;
}

main();
