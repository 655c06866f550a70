'use strict';
// Owns: "the installed package" for tests that must see what users get rather than the checkout.
// Packs the checkout with `npm pack --ignore-scripts` (so only what package.json `files` ships),
// extracts the tarball to <tmp>/app/node_modules/ctxframe and copies in the addon built for this
// checkout (native/), which is what `npm install` adds by building or from a prebuild. Integrations'
// frameworks are not in the tarball: NODE_PATH points CommonJS resolution at the checkout's
// node_modules, as an app that installed them would have them.
// Packed once per process; the directory is removed at exit.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..', '..');
let installed = null;

function npmCommand() {
  // npm's own CLI, run by the node that runs the tests (npm on PATH may be any version).
  const fromEnv = process.env.npm_execpath;
  if (fromEnv && /npm-cli\.js$/.test(fromEnv)) return [process.execPath, fromEnv];
  return ['npm'];
}

function installedPackage() {
  if (installed) return installed;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctxframe-packed-'));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  const [cmd, ...pre] = npmCommand();
  const out = execFileSync(cmd, [...pre, 'pack', '--ignore-scripts', '--json', '--pack-destination', dir], {
    cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false' },
  });
  const [{ filename, files }] = JSON.parse(out.slice(out.indexOf('[')));
  const app = path.join(dir, 'app');
  const pkgDir = path.join(app, 'node_modules', 'ctxframe');
  fs.mkdirSync(pkgDir, { recursive: true });
  execFileSync('tar', ['-xzf', path.join(dir, path.basename(filename)), '-C', pkgDir, '--strip-components=1']);
  if (fs.existsSync(path.join(ROOT, 'native'))) {
    fs.cpSync(path.join(ROOT, 'native'), path.join(pkgDir, 'native'), {
      recursive: true, filter: (src) => !/\.(lock|log)$/.test(src),
    });
  }
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', private: true }));
  installed = {
    app,
    pkgDir,
    files: files.map((f) => f.path),
    manifest: JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8')),
    env: { ...process.env, NODE_PATH: path.join(ROOT, 'node_modules') },
  };
  return installed;
}

// Every package entry point as a user imports it: 'ctxframe', 'ctxframe/register', …
function entryPoints(manifest) {
  return Object.keys(manifest.exports)
    .filter((key) => key !== './package.json')
    .map((key) => (key === '.' ? manifest.name : `${manifest.name}/${key.slice(2)}`));
}

module.exports = { installedPackage, entryPoints, ROOT };
