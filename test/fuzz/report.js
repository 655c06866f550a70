'use strict';
// Owns: the one summary line of a fuzz run (mode, seed, properties, generated cases), printed
// when mocha is done. Loaded by test/fuzz/run.js with --require.
const { MODE, SEED, totals } = require('./support.js');

exports.mochaHooks = {
  afterAll() {
    console.log(`fuzz: mode ${MODE}, seed ${SEED}, ${totals.properties} properties, ${totals.runs} generated cases ` +
      `(replay: node test/fuzz/run.js${MODE === 'ci' ? ' --ci' : ''} --seed ${SEED})`);
  },
};
