'use strict';
// How doctor is turned on and off, and what it prints: `-r ctxframe/doctor`,
// `--import ctxframe/doctor`, CTXFRAME_DOCTOR=1 with ctxframe/register, CTXFRAME_DOCTOR=0, the
// summary on exit and SIGUSR2, CTXFRAME_DOCTOR_REPORT, and the examples, where there is
// nothing to report.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');
const { spawn } = require('node:child_process');
const { once } = require('node:events');
const { runFixture, assertOneFinding, ROOT } = require('./run-fixture.js');

describe('doctor: on and off', function () {
  this.timeout(60000);

  it('required without a preload, doctor is off: nothing loaded, nothing hooked', async () => {
    const result = await runFixture('off.js', { args: [] });
    assert.equal(result.enabled, false);
    assert.deepEqual(result.report, { enabled: false, findings: [] });
    assert.equal(result.hooked, false);
    assert.equal(result.socketsInstrumented, false);
    assert.equal(result.responsesInstrumented, false);
    assert.equal(result.engineLoaded, false);
    assert.equal(result.markedReturns, true);
    assert.deepEqual(result.badOutside, [
      { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' },
      { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' },
      { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' },
    ]);
    assert.equal(result.returned, true);
    assert.deepEqual(result.badArg, { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
  });

  it('-r ctxframe/doctor turns it on; CTXFRAME_DOCTOR=0 keeps it off', async () => {
    const on = await runFixture('off.js');
    assert.equal(on.enabled, true);
    assert.equal(on.hooked, true);
    assert.equal(on.socketsInstrumented, true);
    assert.equal(on.responsesInstrumented, true);
    assert.equal(on.markedReturns, true);
    assert.equal(on.badOutside.length, 3);
    assert.deepEqual(on.badArg, { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
    const off = await runFixture('off.js', { env: { CTXFRAME_DOCTOR: '0' } });
    assert.equal(off.enabled, false);
    assert.equal(off.engineLoaded, false);
  });

  it('-r ctxframe/register loads doctor only with CTXFRAME_DOCTOR=1', async () => {
    const plain = await runFixture('off.js', { args: ['-r', 'ctxframe/register'] });
    assert.equal(plain.enabled, false);
    assert.equal(plain.engineLoaded, false);
    const on = await runFixture('off.js', { args: ['-r', 'ctxframe/register'], env: { CTXFRAME_DOCTOR: '1' } });
    assert.equal(on.enabled, true);
    assert.equal(on.hooked, true);
  });

  it('--import ctxframe/doctor (ESM): an expected storage read without a store', async () => {
    const result = await runFixture('expect.mjs', { args: ['--import', 'ctxframe/doctor'] });
    assert.equal(result.enabled, true);
    assert.equal(result.named, true, 'outsideRequests is a named export of the ESM entry');
    const finding = assertOneFinding(result, { type: 'lost', kind: 'timer', marker: 'expect-read' });
    // The built-in class has no `name` before Node 22.3: doctor then names the class.
    const builtinName = new (require('node:async_hooks').AsyncLocalStorage)({ name: 'tenant' }).name;
    assert.equal(finding.context, result.report.backend === 'builtin' ? builtinName || 'AsyncLocalStorage' : 'tenant');
    assert.deepEqual(finding.apis, ['getStore()']);
    assert.equal(finding.count, 1, 'the read inside tenant.run() found its store');
  });

  it('CTXFRAME_DOCTOR_SIGNAL=none: SIGUSR2 ends the process as it would without doctor', async () => {
    const child = spawn(process.execPath, [...process.execArgv, '-r', 'ctxframe/doctor', '-e',
      "process.stdout.write('up\\n'); setInterval(() => {}, 1000)"], {
      cwd: ROOT, env: { ...process.env, CTXFRAME_DOCTOR_SIGNAL: 'none' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    await once(child.stdout, 'data');
    const exited = once(child, 'exit');
    child.kill('SIGUSR2');
    const [code, signal] = await exited;
    assert.equal(code, null);
    assert.equal(signal, 'SIGUSR2');
  });

  it('prints the summary on exit and writes CTXFRAME_DOCTOR_REPORT', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ctxframe-doctor-')), 'report.json');
    const result = await runFixture('emitter.js', { env: { CTXFRAME_DOCTOR_REPORT: file } });
    const written = JSON.parse(fs.readFileSync(file, 'utf8'));
    assert.equal(written.findings.length, 1);
    assert.equal(written.findings[0].site, result.report.findings[0].site);
    assert.equal(written.findings[0].count, result.report.findings[0].count);
    assert.match(result.stderr, /ctxframe doctor: 1 site where a context was lost or leaked/);
    assert.match(result.stderr, new RegExp(`LOST RequestContext at ${result.report.findings[0].site.replace(/[.]/g, '\\.')}: an EventEmitter`));
    assert.match(result.stderr, /fix +register AsyncLocalStorage\.bind\(listener\)/);
    assert.match(result.stderr, /see +ctxframe\/docs\/doctor\.md#emitter/);
  });

  const EXAMPLES = [
    ['http-service.js', { method: 'POST', path: '/events', body: '{"n":1}' }],
    ['express-service.js', { method: 'GET', path: '/orders/42' }],
    ['fastify-service.js', { method: 'GET', path: '/projects/7' }],
  ];
  for (const [example, request] of EXAMPLES) {
    it(`examples/${example} under doctor: served, nothing to report, summary on SIGUSR2`, async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctxframe-doctor-'));
      const reportFile = path.join(dir, 'report.json');
      const child = spawn(process.execPath, [...process.execArgv, '-r', 'ctxframe/doctor', path.join(ROOT, 'examples', example)], {
        cwd: ROOT, env: { ...process.env, PORT: '0', HOST: '127.0.0.1', CTXFRAME_DOCTOR_REPORT: reportFile },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (c) => { stderr += c; });
      try {
        const url = await new Promise((resolve, reject) => {
          let out = '';
          child.stdout.on('data', (c) => {
            out += c;
            for (const line of out.split('\n')) {
              if (!line.includes('"listening"')) continue;
              try {
                const { url } = JSON.parse(line);
                if (url) resolve(url);
              } catch { /* a partial line */ }
            }
          });
          child.on('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
        });
        for (let i = 0; i < 3; i++) {
          const status = await new Promise((resolve, reject) => {
            const req = http.request(`${url}${request.path}`, {
              method: request.method,
              headers: { 'content-type': 'application/json', 'x-tenant-id': 'acme', authorization: 'Bearer t' },
            }, (res) => {
              res.resume();
              res.on('end', () => resolve(res.statusCode));
            });
            req.on('error', reject);
            req.end(request.body);
          });
          assert.ok(status < 300, `status ${status}: ${stderr}`);
        }
        child.kill('SIGUSR2');
        for (let i = 0; i < 300 && !/ctxframe doctor:/.test(stderr); i++) await new Promise((r) => setTimeout(r, 10));
        assert.match(stderr, /ctxframe doctor: no lost or leaked context \(\d+ requests seen/);
        assert.equal(child.exitCode, null, 'SIGUSR2 must not stop the process');
      } finally {
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        await exited;
      }
      const report = JSON.parse(fs.readFileSync(reportFile, 'utf8'));
      assert.deepEqual(report.findings, [], stderr);
      assert.ok(report.requests.started >= 3);
      assert.equal(report.requests.inFlight, 0);
      assert.equal(report.internalErrors, 0);
    });
  }
});
