'use strict';
// Owns: the one table of Node runtimes ctxframe is tested and benchmarked on, and the rule saying
// which backend ctxframe must pick on a given runtime. The test matrix (scripts/matrix.js), the
// runtime fetcher (scripts/fetch-node.js), the benchmark (bench/lib/runtimes.js) and the core
// tests (test/support/core-runtime.js) all read it from here.
//
//   const { RUNTIMES, expectedBackend, nodeFlags } = require('./scripts/runtimes.js');
//   RUNTIMES[i]              { name, major, version, flags, backend, native }
//   expectedBackend()        'frame' | 'carrier' for the running process
//   expectedBackend(24, ['--no-async-context-frame'])   -> 'carrier'
//
// `version` is the exact Node release fetched for the mode; null means the system Node (the `node`
// running the script: Node 20 in CI), which is not fetched. `native: false` marks a mode that runs
// without ctxframe's native part, as on a platform or a Node release without a prebuild (Node 25
// stands for the next release: its ABI has no build): the matrix neither builds it nor lets the
// process find one (scripts/hide-native.js), and the frame backend runs its JS path. `specs`:
// the test files a mode runs when the matrix is given none (default: all of them).

// Node turns AsyncContextFrame on by default from 24; 22 has it behind a flag from 22.9.
const NO_FRAME_FLAG = '--no-async-context-frame';
const EXPERIMENTAL_FRAME_FLAG = '--experimental-async-context-frame';

// One row per mode of the matrix. `backend` (the backend ctxframe must pick there) is derived from
// expectedBackend() below, so the table and the rule cannot disagree.
const MODES = [
  { name: '20', major: 20, version: null, flags: [] },
  { name: '22', major: 22, version: '22.23.3', flags: [] },
  { name: '22-acf', major: 22, version: '22.23.3', flags: [EXPERIMENTAL_FRAME_FLAG] },
  { name: '24', major: 24, version: '24.21.0', flags: [] },
  { name: '24-no-acf', major: 24, version: '24.21.0', flags: [NO_FRAME_FLAG] },
  { name: '26', major: 26, version: '26.10.0', flags: [] },
  { name: '24-no-native', major: 24, version: '24.21.0', flags: [], native: false },
  { name: '25', major: 25, version: '25.9.0', flags: [], native: false, specs: ['test/core/*.test.js'] },
];

// The flags the running process was started with: its command line and NODE_OPTIONS.
function nodeFlags() {
  const fromOptions = (process.env.NODE_OPTIONS || '').split(/\s+/).filter(Boolean);
  return [...process.execArgv, ...fromOptions];
}

// Node's own rule (lib/internal/async_context_frame.js): from 24 on unless --no-async-context-frame;
// 22.9 to 23 only with --experimental-async-context-frame; older never. Where Node's built-in
// AsyncLocalStorage runs on AsyncContextFrame, ctxframe must pick `frame`; elsewhere `carrier`.
// `version` is a major number or a full version string ('22.8.0'); without it, the running Node.
function expectedBackend(version = process.versions.node, flags = nodeFlags()) {
  const [major, minor = Infinity] = String(version).replace(/^v/, '').split('.').map(Number);
  if (!Number.isInteger(major)) throw new TypeError(`expectedBackend: not a Node version: ${version}`);
  if (major >= 24) return flags.includes(NO_FRAME_FLAG) ? 'carrier' : 'frame';
  const flagged = major === 23 || (major === 22 && minor >= 9);
  return flagged && flags.includes(EXPERIMENTAL_FRAME_FLAG) ? 'frame' : 'carrier';
}

const RUNTIMES = Object.freeze(MODES.map((mode) => Object.freeze({
  native: true,
  ...mode,
  flags: Object.freeze(mode.flags),
  backend: expectedBackend(mode.version || mode.major, mode.flags),
})));

// The exact versions fetched, by major: { 22: '22.23.3', 24: '24.21.0', 26: '26.10.0' }.
const PINNED = Object.freeze(Object.fromEntries(
  RUNTIMES.filter((runtime) => runtime.version !== null).map((runtime) => [runtime.major, runtime.version]),
));

function runtimeNamed(name) {
  return RUNTIMES.find((runtime) => runtime.name === name) || null;
}

module.exports = { RUNTIMES, PINNED, expectedBackend, nodeFlags, runtimeNamed };

if (require.main === module) {
  for (const runtime of RUNTIMES) {
    const flags = runtime.flags.length ? ` ${runtime.flags.join(' ')}` : '';
    console.log(`${runtime.name}\tnode ${runtime.version || `${runtime.major} (system)`}${flags}\t${runtime.backend}`);
  }
}
