'use strict';
// Runs a fixture of test/doctor/fixtures in a child node (the running runtime, its flags and
// NODE_OPTIONS) under doctor, and parses the JSON line it prints last.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..', '..');
const FIXTURES = path.join(__dirname, 'fixtures');

function runFixture(name, { args = ['-r', 'ctxframe/doctor'], env = {}, timeoutMs = 20000 } = {}) {
  const file = path.join(FIXTURES, name);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, ...args, file], {
      cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => { stdout += c; });
    child.stderr.on('data', (c) => { stderr += c; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const last = stdout.trim().split('\n').pop();
      if (code !== 0 || !last) {
        reject(new Error(`${name} exited with ${signal || code}\nstdout: ${stdout}\nstderr: ${stderr}`));
        return;
      }
      resolve({ ...JSON.parse(last), stderr, file });
    });
  });
}

// The line of a fixture marked `// doctor-site: <marker>`.
function markedLine(file, marker) {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const index = lines.findIndex((line) => line.includes(`doctor-site: ${marker}`));
  assert.notEqual(index, -1, `no doctor-site: ${marker} in ${file}`);
  return index + 1;
}

// Exactly one finding, of this type and kind, at the marked line of the fixture.
function assertOneFinding(result, { type, kind, marker }) {
  const { findings } = result.report;
  assert.equal(result.report.internalErrors, 0);
  assert.equal(findings.length, 1, `expected one finding, got:\n${JSON.stringify(findings, null, 2)}\n${result.stderr}`);
  const [finding] = findings;
  assert.equal(finding.type, type);
  assert.equal(finding.kind, kind);
  assert.equal(finding.file, result.file);
  assert.equal(finding.line, markedLine(result.file, marker), `site ${finding.site}`);
  assert.ok(finding.fix.length > 0 && finding.docs.startsWith(`ctxframe/docs/doctor.md#${kind}`));
  return finding;
}

// What the app answered, with request ids replaced by their request's position (responses
// without an id, e.g. refused ones, are left as they are).
function answers(result) {
  const ids = result.responses.map((r) => r.requestId).filter(Boolean);
  return result.responses.map((r) => ids.reduce((body, id, i) => body.split(id).join(`<request ${i}>`), r.body));
}

// The fixture under doctor and without it, at once: the application must observe the same.
async function withAndWithout(name, options = {}) {
  const [on, off] = await Promise.all([
    runFixture(name, options),
    runFixture(name, { ...options, args: [] }),
  ]);
  assert.equal(off.report.enabled, false);
  assert.deepEqual(answers(on), answers(off), 'doctor changed what the application observed');
  return on;
}

module.exports = { runFixture, markedLine, assertOneFinding, FIXTURES, ROOT, answers, withAndWithout };
