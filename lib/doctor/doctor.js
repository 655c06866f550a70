'use strict';
// Owns: turning doctor on — the init hook, the kit's diagnostics channels, the summary on exit
// and on SIGUSR2 (CTXFRAME_DOCTOR_SIGNAL), and as JSON to CTXFRAME_DOCTOR_REPORT=<file> on exit.

const fs = require('node:fs');
const dc = require('node:diagnostics_channel');
const { createEngine } = require('./engine.js');
const { format } = require('./report.js');
const { setDepth } = require('./stack.js');

const LOG_APIS = new Set(['pino', 'winston']);

function start() {
  const ctxframe = require('../index.js');
  const { requestContext } = require('../kit/context.js');
  const engine = createEngine({ ownPromiseHooks: ctxframe.backend === 'frame' });
  const depth = Number(process.env.CTXFRAME_DOCTOR_STACK_DEPTH);
  if (Number.isSafeInteger(depth) && depth > 0) setDepth(depth);
  engine.setPrimary(requestContext.storage, requestContext.name);
  // CTXFRAME_DOCTOR_OUTSIDE_REQUESTS=file:line,file — sites outside requests on purpose.
  for (const spec of (process.env.CTXFRAME_DOCTOR_OUTSIDE_REQUESTS || '').split(',')) {
    if (spec.trim() !== '') engine.markSite(spec.trim());
  }

  function onMissing(message) {
    if (message === null || typeof message !== 'object') return;
    try {
      missing(message);
    } catch {
      engine.internal.errors++;
    }
  }
  function missing(message) {
    // A log line outside any request is normal; one written while requests are in flight is not.
    if (LOG_APIS.has(message.api) && engine.inFlightCount() === 0) return;
    if (message.storage && typeof message.storage.getStore === 'function') {
      engine.watch(message.storage, String(message.context), false);
    }
    engine.lost({ context: String(message.context), api: String(message.api) }, onMissing);
  }
  function onStart(message) {
    try {
      if (message && message.context && message.context.storage) {
        engine.watch(message.context.storage, message.context.name, false);
      }
      if (message) engine.requestStarted(message.store);
    } catch {
      engine.internal.errors++;
    }
  }
  function onEnd(message) {
    try {
      if (message) engine.requestEnded(message.store);
    } catch {
      engine.internal.errors++;
    }
  }
  dc.subscribe('ctxframe:context:missing', onMissing);
  dc.subscribe('ctxframe:request:start', onStart);
  dc.subscribe('ctxframe:request:end', onEnd);
  engine.enable();

  function report() {
    return {
      enabled: true,
      backend: ctxframe.backend,
      promises: engine.ownPromiseHooks ? 'v8.promiseHooks' : 'async_hooks',
      node: process.version,
      pid: process.pid,
      requests: { ...engine.requests, inFlight: engine.inFlightCount() },
      // Failures inside doctor itself (never passed on to the application).
      internalErrors: engine.internal.errors,
      ...(engine.internal.lastError === null ? {} : { internalError: engine.internal.lastError }),
      findings: engine.takeFindings().list().map((f) => JSON.parse(JSON.stringify(f))),
      // Reads without a context by a framework before the request entered its context.
      beforeIngress: [...engine.beforeIngress.values()].map((b) => ({ ...b, apis: [...b.apis] })),
      // Findings in work marked as outside requests on purpose (outsideRequests()).
      marked: [...engine.marked.values()].map((m) => ({ ...m })),
    };
  }

  function print() {
    try {
      process.stderr.write(format(report()));
    } catch {
      // a closed stderr must not turn a diagnostic into a crash
    }
  }

  // CTXFRAME_DOCTOR_SIGNAL=none leaves signals alone (nodemon restarts its child with SIGUSR2,
  // which a listener would swallow); another name (e.g. SIGWINCH) moves the summary there.
  const signal = process.env.CTXFRAME_DOCTOR_SIGNAL || 'SIGUSR2';
  if (signal !== 'none') {
    try {
      process.on(signal, print);
    } catch {
      process.stderr.write(`ctxframe doctor: cannot listen for ${signal}; no summary on a signal\n`);
    }
  }
  process.on('exit', () => {
    const file = process.env.CTXFRAME_DOCTOR_REPORT;
    if (file) {
      try {
        fs.writeFileSync(file, `${JSON.stringify(report(), null, 2)}\n`);
      } catch (err) {
        process.stderr.write(`ctxframe doctor: cannot write ${file}: ${err.message}\n`);
      }
    }
    print();
  });

  return {
    expect(storage) {
      engine.watch(storage, storage.name || 'AsyncLocalStorage', true);
      return storage;
    },
    outsideRequests(target) {
      if (typeof target === 'function') return engine.markFunction(target);
      engine.markSite(target);
      return target;
    },
    report,
  };
}

module.exports = { start };
