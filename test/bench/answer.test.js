'use strict';
// The benchmark's closing answer (bench/lib/answer.js) from given summaries: which ratios it quotes,
// and when it tells the reader not to trust them. No timing here: the numbers are made up.

const assert = require('node:assert/strict');
const { answer } = require('../../bench/lib/answer.js');

const ratio = (median, min = median, max = median) => ({ median, min, max, n: 5 });
const row = (metric, count, r) => ({ metric, count, ratio: r });
const summary = (overrides = {}) => ({
  backend: 'frame',
  errors: [],
  workloads: {
    micro: [row('run ns', 1, ratio(0.05, 0.045, 0.055)), row('getStore ns', 1, ratio(0.48, 0.45, 0.5)), row('run ns', 10, ratio(9))],
    awaits: [row('cpu ms', 1, ratio(1.01)), row('cpu ms', 10, ratio(0.3)), row('ms', 1, ratio(7))],
    http: [row('cpu µs/req', 1, ratio(0.95)), row('cpu µs/req', 10, ratio(0.65))],
  },
  ...overrides,
});
const quiet = { max: 0.8, cores: 2 };

describe('bench: the closing answer', () => {
  it('quotes run(), getStore(), per await and per request with the most storages, for this node', () => {
    const a = answer({ label: 'Node 24.21.0' }, summary(), quiet);
    assert.equal(a.line, 'On Node v24.21.0 here (frame backend), ctxframe costs 0.05× the built-in for run(), 0.48× for getStore(), ' +
      '1.01× per await (0.30× with 10 storages), 0.65× for a request with 10 libraries keeping context (CPU). Below 1× is cheaper than the built-in.');
    assert.equal(a.trust, true);
    assert.match(a.verdict, /quiet enough to trust/);
  });

  it('a loaded machine, a wide spread or a failed measurement is said, with the reason', () => {
    const loaded = answer({ label: 'Node 20.20.2' }, summary(), { max: 9.5, cores: 2 });
    assert.equal(loaded.trust, false);
    assert.match(loaded.verdict, /load average reached 9\.5 on 2 cores/);

    const s = summary();
    s.workloads.micro[0] = row('run ns', 1, ratio(1.2, 0.8, 1.64));
    const noisy = answer({ label: 'Node 20.20.2' }, s, quiet);
    assert.equal(noisy.trust, false);
    assert.match(noisy.verdict, /run\(\) 0\.80–1\.64×/);

    const failed = answer({ label: 'Node 20.20.2' }, summary({ errors: [{ workload: 'http' }] }), quiet);
    assert.equal(failed.trust, false);
    assert.match(failed.verdict, /1 measurement\(s\) failed/);
  });

  it('says so when nothing could be measured', () => {
    const a = answer({ label: 'Node 26.10.0' }, summary({ workloads: {} }), quiet);
    assert.match(a.line, /no ratio could be computed/);
    assert.equal(a.trust, false);
  });
});
