'use strict';
// CTXFRAME_BACKEND=carrier is a supported choice on every runtime, including those where the
// matrix otherwise runs `frame` (the carrier then rides on an AsyncContextFrame built-in). A
// representative subset of the parity scenarios runs with the ctxframe side forced to carrier;
// the run-scenario child also asserts the backend it got.
const path = require('node:path');
const { describeParity } = require('../support/parity.js');

const scenarios = (file) => path.join(__dirname, 'scenarios', file);

describe('core parity with CTXFRAME_BACKEND=carrier forced', function () {
  const ctxframeEnv = { CTXFRAME_BACKEND: 'carrier', CTXFRAME_SCENARIO_EXPECT_BACKEND: 'carrier' };
  describeParity('basics', scenarios('basics.js'), {
    ctxframeEnv,
    names: ['enterWith before and after an await inside async functions',
      'disable() inside run, then run() again, getStore after disable', 'two storages are isolated',
      'AsyncLocalStorage.bind and snapshot (static)'],
  });
  describeParity('timers', scenarios('timers.js'), {
    ctxframeEnv,
    names: ['setInterval keeps its store on every tick and stops when cleared',
      'AsyncResource: runInAsyncScope, bind, AsyncResource.bind'],
  });
  describeParity('io', scenarios('io.js'), {
    ctxframeEnv,
    names: ['http keep-alive Agent with maxSockets 1: each request sees its own store'],
  });
  describeParity('process', scenarios('process.js'), {
    ctxframeEnv,
    names: ['a built-in storage and the tested storage nested in both orders', 'unhandledRejection handler',
      'diagnostics_channel TracingChannel traceSync / tracePromise stores'],
  });
});
