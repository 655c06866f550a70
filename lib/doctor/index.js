'use strict';
// ctxframe/doctor — finds where a request's context was lost or leaked: the async boundary,
// its file and line, and the fix. On when preloaded (`node -r ctxframe/doctor`,
// `--import ctxframe/doctor`) or when CTXFRAME_DOCTOR=1 (e.g. with `-r ctxframe/register`);
// CTXFRAME_DOCTOR=0 turns it off. Required any other way it is off: expect() and report() are
// cheap no-ops and nothing is hooked.

const fs = require('node:fs');
const path = require('node:path');
const { fileURLToPath } = require('node:url');
const { invalidArgType, invalidArgValue } = require('../errors.js');

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

function checkOutside(target) {
  if (typeof target === 'function') return;
  if (typeof target !== 'string') throw invalidArgType('target', 'a function or a "file:line" string', target);
  if (target === '' || target.trim() !== target || target.includes(',')) {
    throw invalidArgValue('target', target, 'must be a file path with an optional :line');
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
    outsideRequests(target) {
      return target;
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
  // Declares work that runs outside requests on purpose: a function (returns a wrapper that
  // calls it with the same this, arguments and result; reads in it and in async work it starts
  // are counted under report().marked instead of reported) or a 'file:line' / 'file' site.
  outsideRequests(target) {
    checkOutside(target);
    return doctor.outsideRequests(target);
  },
  // What doctor found so far, as JSON-safe data (see docs/doctor.md for the fields).
  report() {
    return doctor.report();
  },
};
