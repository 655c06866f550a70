'use strict';
// Builds test/doctor/fixtures/native-callback for the running node with node-gyp, headers from
// that node's own prefix (--nodedir: never downloaded), cached per ABI under .cache/.
//   buildNativeCallback() -> absolute path of native_callback.node

const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..', '..');
const SOURCE = path.join(__dirname, 'fixtures', 'native-callback');

function nodedirOf(execPath) {
  let dir = path.dirname(fs.realpathSync(execPath));
  for (;;) {
    if (fs.existsSync(path.join(dir, 'include', 'node', 'node_api.h'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no include/node/node_api.h above ${execPath}`);
    dir = parent;
  }
}

function newestSource() {
  return Math.max(...fs.readdirSync(SOURCE).map((f) => fs.statSync(path.join(SOURCE, f)).mtimeMs));
}

function buildNativeCallback() {
  const abi = `${process.platform}-${process.arch}-abi${process.versions.modules}`;
  const outDir = path.join(ROOT, '.cache', 'test-addons', `native-callback-${abi}`);
  const built = path.join(outDir, 'native_callback.node');
  if (fs.existsSync(built) && fs.statSync(built).mtimeMs >= newestSource()) return built;
  // Build in a private copy so concurrent builds for different ABIs never share build/.
  fs.mkdirSync(path.dirname(outDir), { recursive: true });
  const work = fs.mkdtempSync(`${outDir}-build-`);
  for (const f of fs.readdirSync(SOURCE)) fs.copyFileSync(path.join(SOURCE, f), path.join(work, f));
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const gyp = require.resolve('node-gyp/bin/node-gyp.js', { paths: [ROOT] });
  const result = spawnSync(process.execPath, [gyp, 'rebuild', `--nodedir=${nodedirOf(process.execPath)}`], {
    cwd: work, env, encoding: 'utf8',
  });
  if (result.status !== 0) {
    fs.rmSync(work, { recursive: true, force: true });
    throw new Error(`building the native-callback test addon failed:\n${result.stdout}\n${result.stderr}`);
  }
  fs.mkdirSync(outDir, { recursive: true });
  const tmp = `${built}.${process.pid}`;
  fs.copyFileSync(path.join(work, 'build', 'Release', 'native_callback.node'), tmp);
  fs.renameSync(tmp, built);
  fs.rmSync(work, { recursive: true, force: true });
  return built;
}

module.exports = { buildNativeCallback };
