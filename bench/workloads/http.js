'use strict';
// Workload 6 (http): the server of lib/server.js in this process, loaded by autocannon from the
// runner. Metrics over the measured window (between `mark` and `report`): req/s as counted by the
// server, and server CPU µs per request (process.cpuUsage of this process / requests served).

const { startServer } = require('../lib/server.js');
const { report } = require('../lib/child.js');

startServer((variant, mark, now) => {
  const served = now.requests - mark.requests;
  const cpuUs = now.cpu.user + now.cpu.system;
  report('http', variant, {
    'req/s': served / (now.ms / 1000),
    'cpu µs/req': served ? cpuUs / served : null,
  }, { requests: served, windowMs: now.ms });
});
