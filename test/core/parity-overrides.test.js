'use strict';
// Parity of what run(), exit() and withScope() call on the storage itself (subclasses, instance
// and prototype overrides; dd-trace's AsyncContextFrame detection): each scenario of
// scenarios/overrides.js runs on the built-in and on ctxframe, and on the carrier backend forced.
const path = require('node:path');
const { describeParity } = require('../support/parity.js');

const file = path.join(__dirname, 'scenarios', 'overrides.js');
describeParity('core parity: overrides', file);
describe('core parity: overrides, CTXFRAME_BACKEND=carrier forced', function () {
  // On frame runtimes the forced carrier rides on an AsyncContextFrame built-in but is itself
  // an async_hooks-style storage: only the scenarios whose log does not depend on that.
  describeParity('carrier', file, {
    ctxframeEnv: { CTXFRAME_BACKEND: 'carrier', CTXFRAME_SCENARIO_EXPECT_BACKEND: 'carrier' },
    names: [
      'a subclass with getStore(handle) keeps each request\'s store across awaits (dd-trace\'s storage)',
      'withScope goes through the subclass\'s getStore and enterWith',
    ],
  });
});
