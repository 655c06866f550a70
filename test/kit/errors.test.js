'use strict';
// The error and warning registry: every code the source uses is in lib/errors.js's CODES and has
// a section in docs/errors.md (and nothing is listed that nothing uses); coded errors look like
// Node's own; every warning is a CtxframeWarning. The registry is internal: it comes through
// test/support/internals.js.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const util = require('node:util');
const { CODES, withCode, WARNING_TYPE } = require('../support/internals.js').internal('errors');

const ROOT = path.join(__dirname, '..', '..');
// Strings that look like codes but are not: an AsyncResource type name.
const NOT_CODES = new Set(['CTXFRAME_PROBE']);

function sourceFiles(dir) {
  const out = [];
  for (const entry of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(rel));
    else if (/\.(js|mjs|c|cc|h)$/.test(entry.name)) out.push(rel);
  }
  return out;
}

// Every quoted string literal that is a whole code: 'CTXFRAME_X', "ERR_Y", `CTXFRAME_Z`.
function codesInSource() {
  const used = new Map();
  for (const file of [...sourceFiles('lib'), ...sourceFiles('src')]) {
    if (file === path.join('lib', 'errors.js')) continue;
    const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
    for (const [, code] of text.matchAll(/['"`]((?:CTXFRAME|ERR)_[A-Z0-9_]+)['"`]/g)) {
      if (!NOT_CODES.has(code)) used.set(code, file);
    }
  }
  // Codes made by errors.js itself for everyone (invalidArgType & co).
  for (const code of ['ERR_INVALID_ARG_TYPE', 'ERR_INVALID_ARG_VALUE', 'ERR_OUT_OF_RANGE']) used.set(code, 'lib/errors.js');
  return used;
}

describe('kit/errors registry', () => {
  const docs = fs.readFileSync(path.join(ROOT, 'docs', 'errors.md'), 'utf8');
  const documented = new Set([...docs.matchAll(/^### ((?:CTXFRAME|ERR)_[A-Z0-9_]+)$/gm)].map((m) => m[1]));

  it('every code used in lib/ and src/ is registered, and every registered code is used', () => {
    const used = codesInSource();
    const unregistered = [...used].filter(([code]) => !Object.hasOwn(CODES, code));
    assert.deepEqual(unregistered, [], 'codes used but missing from CODES in lib/errors.js');
    const unused = Object.keys(CODES).filter((code) => !used.has(code));
    assert.deepEqual(unused, [], 'codes registered but used nowhere');
  });

  it('docs/errors.md has a section for exactly the registered codes, and a title', () => {
    assert.match(docs, /^# Errors and warnings\n/);
    assert.deepEqual([...documented].sort(), Object.keys(CODES).sort());
  });

  it('a coded error is shaped like Node\'s own: code, class name, [CODE] in the printed form', () => {
    const ours = withCode(TypeError, 'CTXFRAME_INVALID_CONTEXT', 'bad');
    let node;
    try { Buffer.alloc('x'); } catch (err) { node = err; }
    for (const err of [ours, node]) {
      assert.equal(err.name, 'TypeError');
      assert.equal(Object.getOwnPropertyDescriptor(err, 'name'), undefined, 'name comes from the class');
      assert.match(err.stack.split('\n')[0], new RegExp(`^TypeError \\[${err.code}\\]: `));
      assert.match(util.inspect(err), new RegExp(`^TypeError \\[${err.code}\\]: `));
    }
    assert.equal(Object.getOwnPropertyDescriptor(ours, 'code').enumerable, false);
    assert.throws(() => withCode(Error, 'CTXFRAME_NOT_A_CODE', 'x'), /unregistered error code/);
  });

  it('every warning ctxframe emits has one type', async () => {
    const { requestContext } = require('ctxframe/context');
    const { installOutbound } = require('ctxframe/outbound');
    const { createPool } = require('ctxframe/gate');
    const seen = [];
    const onWarning = (w) => { if (/^CTXFRAME_/.test(w.code)) seen.push([w.code, w.name]); };
    process.on('warning', onWarning);
    try {
      const handle = installOutbound({ context: { currentOrNull() { throw new Error('broken'); } } });
      try {
        await requestContext.run({ requestId: 'w' }, () => fetch('http://127.0.0.1:9/').catch(() => {}));
      } finally {
        handle.uninstall();
      }
      const pool = createPool({ max: 1, create: () => ({}), destroy: () => { throw new Error('destroy failed'); } });
      pool.destroy(await pool.acquire());
      await pool.close();
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    assert.ok(seen.length >= 1, 'a warning was emitted');
    for (const [code, type] of seen) assert.equal(type, WARNING_TYPE, code);
  });
});
