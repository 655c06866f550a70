'use strict';
// bench/peers/profile.js without perf: its reading of `perf script` output, which function and
// group each sample counts for, the per-request sums, and its refusal of bad arguments. The
// samples are written here in perf's format; nothing is measured.

const assert = require('node:assert/strict');
const path = require('node:path');
const { parseArgs, parseSamples, attribute, tally } = require('../../bench/peers/profile.js');

const ROOT = path.resolve(__dirname, '..', '..');
const map = '(/tmp/perf-4242.map)';
const lib = (file) => path.join(ROOT, 'lib', file);

// `perf script -F period,ip,sym,dso`: a period line, then frames leaf first.
const SCRIPT = [
  '    500000 ',
  `\t    7f01 Builtins_ObjectGetOwnPropertyDescriptor (/opt/node/bin/node)`,
  `\t    7f02 JS:*addFields ${lib('kit/context-values.js')}:101:21 ${map}`,
  `\t    7f03 JS:*enter ${lib('kit/ingress/core.js')}:278:3 ${map}`,
  '',
  '    500000 ',
  `\t    7f04 JS:*set type ${ROOT}/node_modules/koa/lib/response.js:399:12 ${map}`,
  '',
  '    500000 ',
  `\t    7f05 RegExp:^[0-9a-f]{2} ${map}`,
  `\t    7f06 JS:'parseTraceparent ${lib('kit/traceparent.js')}:41:26 ${map}`,
  '',
  '    500000 ',
  `\t    7f07 JS:~ node:internal/timers:436:28 ${map}`,
  '',
  '    1000000 ',
  '\tffffffff8226e639 _raw_spin_unlock_irqrestore ([kernel.kallsyms])',
  '\t          b0c01d uv_run (/opt/node/bin/node)',
  '',
  '    500000 ',
  '\t          b0c01d uv__io_poll (/opt/node/bin/node)',
  '',
  '    500000 ',
  `\t    7f08 JS:*handler ${ROOT}/node_modules/@fastify/request-context/index.js:10:5 ${map}`,
  '',
].join('\n');

describe('bench: peers profile', () => {
  it('reads perf script output: one sample per block, its period, its frames leaf first', () => {
    const samples = parseSamples(SCRIPT);
    assert.equal(samples.length, 7);
    assert.deepEqual(samples[0].slice(0, 2), [500000, 'Builtins_ObjectGetOwnPropertyDescriptor (/opt/node/bin/node)']);
    assert.equal(samples[4][0], 1000000);
  });

  it('counts each sample for the innermost JavaScript function, whatever it called', () => {
    const [builtin, koa, regexp, anonymous, kernel, native, scoped] = parseSamples(SCRIPT).map((s) => attribute(s.slice(1)));
    assert.deepEqual(builtin, { group: 'ctxframe', fn: `addFields ${path.join('lib', 'kit', 'context-values.js')}:101` });
    assert.deepEqual(koa, { group: 'node_modules: koa', fn: 'set type koa/lib/response.js:399' });
    // A regular expression's code is not a JavaScript function: its caller pays. Any tier mark.
    assert.deepEqual(regexp, { group: 'ctxframe', fn: `parseTraceparent ${path.join('lib', 'kit', 'traceparent.js')}:41` });
    assert.deepEqual(anonymous, { group: 'Node internals', fn: '(anonymous) node:internal/timers:436' });
    assert.deepEqual(kernel, { group: 'no JavaScript on the stack: kernel', fn: null });
    assert.deepEqual(native, { group: 'no JavaScript on the stack: native', fn: null });
    assert.equal(scoped.group, 'node_modules: @fastify/request-context');
  });

  it('sums µs per request by group and by function', () => {
    const { groups, fns } = tally({ samples: parseSamples(SCRIPT), requests: 100 });
    // 0.5 ms per sample over 100 requests = 5 µs per request per sample.
    assert.equal(groups.get('ctxframe'), 10);
    assert.equal(groups.get('no JavaScript on the stack: kernel'), 10);
    assert.equal(fns.get(`ctxframe\taddFields ${path.join('lib', 'kit', 'context-values.js')}:101`), 5);
    assert.equal([...groups.values()].reduce((a, b) => a + b, 0), 40);
  });

  it('refuses what it cannot measure, naming what it knows', () => {
    assert.throws(() => parseArgs(['koa']), /^Error: usage: node bench\/peers\/profile.js <workload> <variant>/);
    assert.throws(() => parseArgs(['koa', 'kit', 'als-1']), /usage:/);
    assert.throws(() => parseArgs(['otel', 'kit']), /a server workload is needed \(.*koa.*\), got "otel"/);
    assert.throws(() => parseArgs(['koa', 'frc']), /unknown koa variant "frc" \(known: .*als-1/);
    assert.throws(() => parseArgs(['koa', 'kit', '--against', 'nope']), /unknown koa variant "nope"/);
    assert.throws(() => parseArgs(['koa', 'kit', '--only', '23']), /unknown runtime "23" \(known: 20, 22, 22-acf/);
    assert.throws(() => parseArgs(['koa', 'kit', '--seconds', '0']), /--seconds needs a positive number/);
    assert.throws(() => parseArgs(['koa', 'kit', '--fast']), /unknown option --fast/);
    assert.deepEqual(
      (({ workload, variant, against, only, seconds }) => ({ workload, variant, against, only, seconds }))(parseArgs(['koa', 'kit', '--against', 'als-1', '--only', '22', '--seconds', '4'])),
      { workload: 'koa', variant: 'kit', against: 'als-1', only: '22', seconds: 4 });
  });
});
