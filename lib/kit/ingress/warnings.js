'use strict';
// Owns: how ingress reports what goes wrong without flooding the log — onError when the app
// gave one, else a process warning rate-limited per code: the first of a code is emitted at once;
// the ones that follow within `intervalMs` are counted, and one warning at the end of the
// interval says how many were suppressed (with the last one's first line). intervalMs 0: every
// one is emitted. Also: which errors mean the request's own data was refused (4xx), not the app.

const { emitWarning } = require('../../errors.js');
const { AsyncLocalStorage } = require('../../index.js');

// The status and error code for a context refused because of what the request carried: a
// context too large (431, e.g. a huge header copied into it by resolve()), or values JSON allows
// but a context does not (400: a number JSON.parse made Infinity, nesting deeper than the limit).
// Anything else resolve() produced is the app's bug: undefined (500).
function refusalOf(err) {
  if (err === null || typeof err !== 'object') return undefined;
  if (err.code === 'CTXFRAME_CONTEXT_TOO_LARGE') return { status: 431, error: 'context_too_large' };
  if (err.code === 'CTXFRAME_INVALID_CONTEXT' && /: (non-finite number|nested deeper than)/.test(String(err.message))) {
    return { status: 400, error: 'invalid_context' };
  }
  return undefined;
}

// createReporter(onError, intervalMs) -> report(code, err, where, describe)
//   describe(): the warning's text (called only when a warning is emitted)
function createReporter(onError, intervalMs) {
  // Timers for the end-of-interval summary start outside any request's context.
  const outside = AsyncLocalStorage.snapshot();
  const byCode = new Map();

  function summary(code, state) {
    state.timer = null;
    if (state.suppressed === 0) return;
    emitWarning(code, `ctxframe ingress: ${state.suppressed} more ${code} warning${state.suppressed === 1 ? '' : 's'} ` +
      `suppressed in the last ${intervalMs} ms; the last: ${state.last}`);
    state.suppressed = 0;
    state.until = Date.now() + intervalMs;
  }

  function warn(code, describe) {
    if (intervalMs === 0) {
      emitWarning(code, describe());
      return;
    }
    let state = byCode.get(code);
    if (state === undefined) {
      state = { until: 0, suppressed: 0, last: '', timer: null };
      byCode.set(code, state);
    }
    const now = Date.now();
    if (now >= state.until && state.timer === null) {
      state.until = now + intervalMs;
      emitWarning(code, describe());
      return;
    }
    state.suppressed++;
    state.last = String(describe()).split('\n')[0];
    if (state.timer === null) {
      state.timer = outside(setTimeout, () => summary(code, state), Math.max(1, state.until - now));
      state.timer.unref();
    }
  }

  return function report(code, err, where, describe) {
    if (onError) {
      try {
        onError(err, where);
        return;
      } catch {
        // fall through to a warning: a failing error reporter must not crash the server
      }
    }
    warn(code, describe);
  };
}

module.exports = { createReporter, refusalOf };
