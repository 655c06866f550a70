'use strict';
// Workload 7 (memory): the server of lib/server.js, run with --expose-gc. The runner marks (full GC,
// baseline heap) after `warmupRequests` warm-up requests (so lazily compiled code and caches are in
// the baseline), sends `requests` requests with autocannon, then asks for the report: full GC again
// and heapUsed. Metrics: heap MB after the load and GC, and KB retained relative to the baseline.

const { startServer } = require('../lib/server.js');
const { report } = require('../lib/child.js');

if (typeof global.gc !== 'function') throw new Error('memory workload needs --expose-gc');

startServer((variant, mark, now, collect) => {
  const heap = collect();
  report('memory', variant, {
    'heap MB': heap / (1024 * 1024),
    'retained KB': (heap - mark.heap) / 1024,
  }, { requests: now.requests - mark.requests });
});
