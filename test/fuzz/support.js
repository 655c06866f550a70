'use strict';
// Owns: the shared settings of the property-based fuzz tests (test/fuzz/*.fuzz.js, run by
// test/fuzz/run.js). CTXFRAME_FUZZ=ci: a fixed seed and the base number of runs (what CI runs);
// CTXFRAME_FUZZ=full (the default of `npm run fuzz`): 20x the runs and a random seed, printed so a
// failure can be replayed with CTXFRAME_FUZZ_SEED.

const fc = require('fast-check');

const MODE = process.env.CTXFRAME_FUZZ === 'ci' ? 'ci' : 'full';
const SEED = process.env.CTXFRAME_FUZZ_SEED !== undefined
  ? Number(process.env.CTXFRAME_FUZZ_SEED)
  : (MODE === 'ci' ? 424242 : Math.floor(Math.random() * 0x7fffffff));
const MULTIPLIER = MODE === 'ci' ? 1 : 20;

const totals = { properties: 0, runs: 0 };

// fast-check parameters for a property whose CI run does `runs` cases.
function params(runs) {
  const numRuns = runs * MULTIPLIER;
  totals.properties++;
  totals.runs += numRuns;
  return { numRuns, seed: SEED, endOnFailure: true };
}

function check(property, runs) {
  return fc.assert(property, params(runs));
}

// A string of any UTF-16 code units (lone surrogates, controls, CR/LF, NUL included), biased towards
// the characters that break headers, comments and JSON.
const nasty = fc.constantFrom('\r', '\n', '\r\n', '\0', '*/', '/*', "'", '"', '\\', '--', ';', ' ', '\t',
  '%', '\u2028', '\ud800', '\udfff', '__proto__', 'constructor', '=', ',', '-', '00');
function hostileString(maxLength = 64) {
  return fc.array(fc.oneof(
    { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 8 }) },
    { weight: 2, arbitrary: fc.string({ unit: fc.constantFrom(...'abcdefABCDEF0123456789-_.:/+=@'.split('')), maxLength: 16 }) },
    { weight: 2, arbitrary: nasty },
    { weight: 1, arbitrary: fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 4 }) },
  ), { maxLength: Math.max(1, Math.ceil(maxLength / 4)) }).map((parts) => parts.join('').slice(0, maxLength));
}

const CRLF = /[\r\n]/;

module.exports = { fc, MODE, SEED, check, params, totals, hostileString, CRLF };
