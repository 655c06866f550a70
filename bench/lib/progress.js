'use strict';
// Owns: the benchmark's progress display — "step k of N" with the time left, estimated from the
// steps done so far. On a terminal one line is rewritten in place; otherwise (a log file, CI) a line
// is printed when a workload finishes. Failed measurements are always printed in full.
// Also samples the 1-minute load average at every step, for the closing verdict.

const os = require('node:os');

const clock = (ms) => {
  const s = Math.max(0, Math.round(ms / 1000));
  return s >= 60 ? `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s` : `${s} s`;
};

function createProgress(total, stream = process.stderr) {
  const started = Date.now();
  const tty = Boolean(stream.isTTY);
  let done = 0;
  let maxLoad = os.loadavg()[0];
  let dirty = false;

  const status = (what) => {
    const elapsed = Date.now() - started;
    const left = done ? (elapsed / done) * (total - done) : NaN;
    return `step ${done} of ${total} (${what}); ${clock(elapsed)} so far${Number.isFinite(left) ? `, about ${clock(left)} left` : ''}`;
  };
  const clear = () => { if (dirty) { stream.write('\r\x1b[K'); dirty = false; } };

  return {
    // One measurement finished; `what` names it, `error` is set when it failed.
    step(what, error) {
      done++;
      maxLoad = Math.max(maxLoad, os.loadavg()[0]);
      if (error) { clear(); stream.write(`${what}: ERROR ${error}\n`); }
      if (tty) { stream.write(`\r\x1b[K${status(what)}`); dirty = true; }
    },
    // A workload finished (printed as a line also when not on a terminal).
    milestone(what) {
      clear();
      stream.write(`${status(what)}\n`);
    },
    finish() { clear(); },
    maxLoad: () => maxLoad,
  };
}

module.exports = { createProgress };
