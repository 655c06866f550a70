'use strict';
// The request kit as users get it: the packed tarball installed in a fresh app (test/support/
// packed.js; real Fastify 5, Express 5, Koa 3, Passport, @fastify/jwt and pino resolved as an app
// that installed them would), exercised against real servers by the same test files the checkout
// runs — test/kit/enrich.test.js (enrich() on Fastify, Express, Koa, node:http and after resolve())
// and test/kit/ingress-options.test.js (one Fastify id; generateRequestId and the trust policy, also
// for trace context and baggage; strict option names and uncalled factories; 400/431 refusals and
// rate-limited warnings). The files and their support are copied into the app, so every
// `require('ctxframe/…')` in them resolves to node_modules/ctxframe there, not to the checkout.
// The matrix runs this under each runtime mode (its flags reach the child through NODE_OPTIONS).

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { installedPackage, ROOT } = require('../support/packed');

const MOCHA = path.join(ROOT, 'node_modules', 'mocha', 'bin', 'mocha.js');
const FILES = ['test/kit/enrich.test.js', 'test/kit/ingress-options.test.js'];

describe('package: the request kit (enrich, request ids, trust, strict options, refusals) from the tarball', function () {
  this.timeout(240000);
  let pkg;

  before(() => {
    pkg = installedPackage();
    fs.cpSync(path.join(ROOT, 'test', 'support'), path.join(pkg.app, 'test', 'support'), { recursive: true });
    fs.mkdirSync(path.join(pkg.app, 'test', 'kit'), { recursive: true });
    for (const file of FILES) fs.copyFileSync(path.join(ROOT, file), path.join(pkg.app, file));
  });

  it('the app resolves ctxframe to the installed tarball, on this runtime mode\'s backend', () => {
    const probe = "const c = require.resolve('ctxframe/context'); const f = require.resolve('fastify');" +
      "console.log(JSON.stringify({ c, f, backend: require('ctxframe').backend }))";
    const r = spawnSync(process.execPath, ['-e', probe], { cwd: pkg.app, env: pkg.env, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.ok(out.c.startsWith(path.join(pkg.app, 'node_modules', 'ctxframe') + path.sep), out.c);
    assert.ok(out.f.startsWith(path.join(ROOT, 'node_modules', 'fastify') + path.sep), out.f); // a real framework
    assert.equal(out.backend, require('ctxframe').backend);
  });

  it('every test of the two files passes against the installed package; none is skipped', () => {
    const r = spawnSync(process.execPath, [MOCHA, '--reporter', 'json', '--timeout', '30000', ...FILES], {
      cwd: pkg.app, env: pkg.env, encoding: 'utf8', timeout: 230000, maxBuffer: 64 * 1024 * 1024,
    });
    const start = r.stdout.indexOf('{\n');
    assert.ok(start !== -1, `no report:\n${r.stdout}${r.stderr}`);
    const { stats, failures } = JSON.parse(r.stdout.slice(start));
    assert.deepEqual(failures.map((f) => `${f.fullTitle}: ${f.err.message}`), []);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(stats.pending, 0);
    assert.ok(stats.passes >= 30 && stats.passes === stats.tests, JSON.stringify(stats));
  });
});
