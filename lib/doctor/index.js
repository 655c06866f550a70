'use strict';
// ctxframe/doctor — finds where a request's context was lost or leaked: the async boundary,
// its file and line, and the fix. On when preloaded (`node -r ctxframe/doctor`,
// `--import ctxframe/doctor`) or when CTXFRAME_DOCTOR=1 (e.g. with `-r ctxframe/register`);
// CTXFRAME_DOCTOR=0 turns it off. Required any other way it is off: expect() and report() are
// cheap no-ops and nothing is hooked.

const fs = require('node:fs');
const path = require('node:path');
const { fileURLToPath } = require('node:url');
const { invalidArgType } = require('../errors.js');

const ENTRY_FILES = [__filename, path.join(__dirname, '..', 'doctor.mjs')];

function realpath(file) {
  try { return fs.realpathSync(file); } catch { return null; }
}

// Does a -r/--require/--import value name this module?
function namesDoctor(spec) {
  if (spec === 'ctxframe/doctor') return true;
  let file = spec;
  if (file.startsWith('file:')) {
    try { file = fileURLToPath(file); } catch { return false; }
  }
  let resolved = null;
  if (path.isAbsolute(file) || file.startsWith('.')) resolved = realpath(path.resolve(file));
  if (resolved === null) {
    try { resolved = realpath(require.resolve(file, { paths: [process.cwd()] })); } catch { return false; }
  }
  return resolved !== null && ENTRY_FILES.some((entry) => realpath(entry) === resolved);
}

function preloadSpecs(args) {
  const specs = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const m = /^(?:-r|--require|--import)(?:=(.*))?$/.exec(arg);
    if (m === null) continue;
    const value = m[1] !== undefined ? m[1] : args[++i];
    if (value) specs.push(value);
  }
  return specs;
}

function preloaded() {
  // CommonJS preloads (-r) are required by Node's internal/preload module.
  if (module.parent && module.parent.id === 'internal/preload') return true;
  const options = (process.env.NODE_OPTIONS || '').split(/\s+/).filter(Boolean);
  return preloadSpecs([...process.execArgv, ...options]).some(namesDoctor);
}

function decide() {
  const env = process.env.CTXFRAME_DOCTOR;
  if (env === '1' || env === 'true') return true;
  if (env === '0' || env === 'false') return false;
  return preloaded();
}

const enabled = decide();

function checkStorage(storage) {
  if (storage === null || typeof storage !== 'object' || typeof storage.getStore !== 'function') {
    throw invalidArgType('storage', 'an AsyncLocalStorage', storage);
  }
}

let doctor;
if (enabled) {
  doctor = require('./doctor.js').start();
} else {
  doctor = {
    expect(storage) {
      checkStorage(storage);
      return storage;
    },
    report() {
      return { enabled: false, findings: [] };
    },
  };
}

module.exports = {
  enabled,
  // Marks a storage whose every read should find a store: a read that finds none is reported.
  expect(storage) {
    checkStorage(storage);
    return doctor.expect(storage);
  },
  // What doctor found so far, as JSON-safe data (see docs/doctor.md for the fields).
  report() {
    return doctor.report();
  },
};
