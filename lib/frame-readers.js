'use strict';
// Owns: native code outside ctxframe that reads V8's continuation slot and expects Node's own
// AsyncContextFrame there (a JS Map from storage to store), and what ctxframe/register does so it
// keeps working once ctxframe's frames are in the slot.
//
// Datadog's profiler (@datadog/pprof, started by dd-trace) has two ways to label each sample with
// the span it ran under. In its AsyncContextFrame mode -- dd-trace's default wherever run() goes
// through enterWith(), so on every AsyncContextFrame runtime, under ctxframe too -- it writes the
// labels into the Map in the slot and its signal handler reads them back from there. A ctxframe
// frame is not a Map: the writes are dropped and every sample comes out without its span, with
// no error (code hotspots and endpoint profiling go blank). Its other mode keeps one context that
// the tracer updates on every span switch and async callback, reads nothing from the slot, and
// keeps every label; it is what dd-trace runs on Node 20 and 22. register picks that mode through
// dd-trace's own setting when the user has not chosen, and warns when the user chose the Map mode.

const { warnOnce } = require('./errors');

const DD_PROFILER_MODE = 'DD_PROFILING_ASYNC_CONTEXT_FRAME_ENABLED';

// backend: ctxframe's; env: the process's environment, changed in place (workers and child
// processes inherit it, as they inherit the rest of the user's settings).
function keepForeignReaders(backend, env) {
  if (backend !== 'frame') return;
  const chosen = env[DD_PROFILER_MODE];
  if (chosen === undefined || chosen === '') {
    env[DD_PROFILER_MODE] = 'false';
  } else if (/^(true|1|yes|on)$/i.test(chosen.trim())) {
    warnOnce('CTXFRAME_DD_PROFILER_LABELS', `${DD_PROFILER_MODE}=${chosen}: Datadog's profiler ` +
      'keeps span labels in Node\'s own frame, which ctxframe replaces, so its samples will carry no ' +
      `span (code hotspots, endpoint profiling). Unset it, or set it to false, to keep them.`);
  }
}

module.exports = { keepForeignReaders, DD_PROFILER_MODE };
