'use strict';
// The package ships what its docs tell users to run. docs/ingress.md sends users to examples/; the
// examples must be in the packed tarball, and they must run from it: test/kit/examples.test.js (the
// same requests and log checks as from the checkout) runs again against an app that installed the
// tarball, each example started as `node node_modules/ctxframe/examples/<name>.js` with the real
// Express 5, Fastify 5 and pino next to it. Also: the package says where its repository, home and
// bug tracker are, and SECURITY.md and README name the same repository.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { installedPackage, ROOT } = require('../support/packed');
const { docFiles } = require('../docs/markdown');

const MOCHA = path.join(ROOT, 'node_modules', 'mocha', 'bin', 'mocha.js');

describe('package: what the docs tell users to run is in the package, and runs from it', function () {
  this.timeout(180000);
  let pkg;

  before(() => {
    pkg = installedPackage();
  });

  it('every examples/ file a doc names is in the tarball (and every shipped example is named)', () => {
    const named = new Set();
    for (const file of docFiles(ROOT)) {
      const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
      for (const m of text.matchAll(/\bexamples\/([\w.-]+\.m?js)\b/g)) named.add(`examples/${m[1]}`);
    }
    assert.ok(named.size >= 3, `docs name ${[...named]}`);
    const missing = [...named].filter((f) => !pkg.files.includes(f));
    assert.deepEqual(missing, [], 'named by the docs, not in the package');
    const shipped = pkg.files.filter((f) => f.startsWith('examples/'));
    assert.deepEqual(shipped.filter((f) => !named.has(f)), [], 'shipped but named by no doc');
  });

  it('the examples run from the installed tarball (test/kit/examples.test.js against it)', () => {
    const r = spawnSync(process.execPath, [MOCHA, path.join(ROOT, 'test', 'kit', 'examples.test.js')], {
      cwd: ROOT, encoding: 'utf8', timeout: 170000,
      env: { ...pkg.env, CTXFRAME_EXAMPLES_APP: pkg.app },
    });
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /3 passing/);
  });

  it('package.json names its repository, homepage and bug tracker; SECURITY.md and README name the same repository', () => {
    const { repository, homepage, bugs } = pkg.manifest;
    assert.equal(repository.type, 'git');
    const m = /^git\+(https:\/\/github\.com\/[\w.-]+\/[\w.-]+)\.git$/.exec(repository.url);
    assert.ok(m, `repository.url ${repository.url}`);
    const base = m[1];
    assert.equal(homepage, `${base}#readme`);
    assert.equal(bugs.url, `${base}/issues`);
    const security = fs.readFileSync(path.join(pkg.pkgDir, 'SECURITY.md'), 'utf8');
    assert.ok(security.includes(`${base}/security/advisories/new`), 'SECURITY.md: where to report privately');
    assert.ok(security.includes(`${base}/issues`), 'SECURITY.md: where other bugs go');
    assert.ok(fs.readFileSync(path.join(pkg.pkgDir, 'README.md'), 'utf8').includes(`git clone ${base}.git`), 'README: how to clone');
  });
});
