'use strict';
// Owns: esbuild for the bundle test, pinned and fetched from the npm registry into .cache/tools/
// once (as the package test fetches npm 12 and pnpm): the `esbuild` package for its JS API and the
// platform package holding its binary (handed over with ESBUILD_BINARY_PATH). Nothing is installed
// into node_modules, so the package's own dependency tree stays as it is.
//
//   const esbuild = require('../support/esbuild.js')();   // the esbuild JS API

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const VERSION = '0.28.2';
const TOOLS = path.resolve(__dirname, '..', '..', '.cache', 'tools');

function fetchPackage(spec, dir) {
  const target = path.join(TOOLS, dir);
  if (fs.existsSync(path.join(target, 'package', 'package.json'))) return path.join(target, 'package');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ctxframe-tool-'));
  try {
    const env = { ...process.env };
    delete env.NODE_OPTIONS;
    const out = execFileSync('npm', ['pack', spec, '--json', '--pack-destination', work], { cwd: work, encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'inherit'] });
    fs.mkdirSync(path.join(work, 'x'));
    execFileSync('tar', ['-xzf', path.join(work, JSON.parse(out)[0].filename), '-C', path.join(work, 'x')]);
    fs.mkdirSync(TOOLS, { recursive: true });
    fs.rmSync(target, { recursive: true, force: true });
    fs.renameSync(path.join(work, 'x'), target);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  return path.join(target, 'package');
}

module.exports = function loadEsbuild() {
  const platform = `${process.platform}-${process.arch}`;
  const binary = path.join(fetchPackage(`@esbuild/${platform}@${VERSION}`, `esbuild-${platform}-${VERSION}`), 'bin', 'esbuild');
  fs.chmodSync(binary, 0o755);
  process.env.ESBUILD_BINARY_PATH = binary;
  return require(path.join(fetchPackage(`esbuild@${VERSION}`, `esbuild-${VERSION}`), 'lib', 'main.js'));
};
