'use strict';
// Tests for ctxframe/traceparent: strict W3C traceparent parsing, formatting, id generation
// and tracestate validation.

const assert = require('node:assert/strict');
const {
  parseTraceparent, formatTraceparent, newTraceId, newSpanId, isValidTracestate,
} = require('ctxframe/traceparent');

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

describe('kit/traceparent', () => {
  it('parses a valid version-00 header', () => {
    assert.deepEqual(parseTraceparent(`00-${TRACE}-${SPAN}-01`),
      { version: '00', traceId: TRACE, parentId: SPAN, traceFlags: '01' });
    assert.deepEqual(parseTraceparent(`  00-${TRACE}-${SPAN}-00 `),
      { version: '00', traceId: TRACE, parentId: SPAN, traceFlags: '00' });
    // unknown flag bits are kept as sent
    assert.equal(parseTraceparent(`00-${TRACE}-${SPAN}-ff`).traceFlags, 'ff');
  });

  it('parses a future version by its version-00 prefix', () => {
    assert.deepEqual(parseTraceparent(`cc-${TRACE}-${SPAN}-01-what-the-future-holds`),
      { version: 'cc', traceId: TRACE, parentId: SPAN, traceFlags: '01' });
    assert.deepEqual(parseTraceparent(`01-${TRACE}-${SPAN}-01`),
      { version: '01', traceId: TRACE, parentId: SPAN, traceFlags: '01' });
  });

  const invalid = [
    ['undefined', undefined], ['null', null], ['a number', 42], ['an array', [`00-${TRACE}-${SPAN}-01`]],
    ['an object', { toString: () => `00-${TRACE}-${SPAN}-01` }],
    ['empty', ''],
    ['version ff', `ff-${TRACE}-${SPAN}-01`],
    ['uppercase hex', `00-${TRACE.toUpperCase()}-${SPAN}-01`],
    ['uppercase version', `0A-${TRACE}-${SPAN}-01`],
    ['all-zero trace id', `00-${'0'.repeat(32)}-${SPAN}-01`],
    ['all-zero parent id', `00-${TRACE}-${'0'.repeat(16)}-01`],
    ['short trace id', `00-${TRACE.slice(1)}-${SPAN}-01`],
    ['long trace id', `00-${TRACE}a-${SPAN}-01`],
    ['short parent id', `00-${TRACE}-${SPAN.slice(1)}-01`],
    ['non-hex', `00-${TRACE.slice(0, 31)}g-${SPAN}-01`],
    ['bad flags', `00-${TRACE}-${SPAN}-0x`],
    ['one-char flags', `00-${TRACE}-${SPAN}-1`],
    ['version 00 with extra fields', `00-${TRACE}-${SPAN}-01-extra`],
    ['future version without dash', `cc-${TRACE}-${SPAN}-01x`],
    ['wrong separators', `00_${TRACE}_${SPAN}_01`],
    ['two headers joined', `00-${TRACE}-${SPAN}-01, 00-${TRACE}-${SPAN}-01`],
    ['CRLF injection', `00-${TRACE}-${SPAN}-01\r\nx: y`],
    ['huge', `cc-${TRACE}-${SPAN}-01-${'a'.repeat(10000)}`],
  ];
  for (const [label, value] of invalid) {
    it(`returns null (never throws) for ${label}`, () => {
      assert.equal(parseTraceparent(value), null);
    });
  }

  it('formats and round-trips', () => {
    assert.equal(formatTraceparent({ traceId: TRACE, spanId: SPAN, traceFlags: '01' }), `00-${TRACE}-${SPAN}-01`);
    assert.equal(formatTraceparent({ traceId: TRACE, spanId: SPAN }), `00-${TRACE}-${SPAN}-00`);
    assert.equal(formatTraceparent({ traceId: TRACE, spanId: SPAN, traceFlags: 1 }), `00-${TRACE}-${SPAN}-01`);
    assert.equal(formatTraceparent({ traceId: TRACE, parentId: SPAN, traceFlags: '03' }), `00-${TRACE}-${SPAN}-03`);
    const parsed = parseTraceparent(formatTraceparent({ traceId: TRACE, spanId: SPAN, traceFlags: '01' }));
    assert.equal(parsed.traceId, TRACE);
    assert.equal(parsed.parentId, SPAN);
  });

  it('formatTraceparent throws TypeError with a code on bad input', () => {
    for (const fields of [null, 'x', { traceId: 'nope', spanId: SPAN }, { traceId: TRACE, spanId: '0'.repeat(16) },
      { traceId: TRACE, spanId: SPAN, traceFlags: 'zz' }, { traceId: TRACE, spanId: SPAN, traceFlags: 256 },
      { traceId: '0'.repeat(32), spanId: SPAN }]) {
      assert.throws(() => formatTraceparent(fields), (err) => err instanceof TypeError && err.code === 'ERR_INVALID_ARG_VALUE');
    }
  });

  it('newTraceId/newSpanId produce valid, distinct ids', () => {
    const traces = new Set();
    const spans = new Set();
    for (let i = 0; i < 1000; i++) {
      const t = newTraceId();
      const s = newSpanId();
      assert.match(t, /^[0-9a-f]{32}$/);
      assert.match(s, /^[0-9a-f]{16}$/);
      assert.notEqual(parseTraceparent(formatTraceparent({ traceId: t, spanId: s })), null);
      traces.add(t);
      spans.add(s);
    }
    assert.equal(traces.size, 1000);
    assert.equal(spans.size, 1000);
  });

  it('isValidTracestate accepts spec-valid lists', () => {
    for (const s of ['rojo=00f067aa0ba902b7', 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7',
      'a=1 , b=2', 'tenant1@vendor=x', 'a=1,,b=2', 'k_-*/9=v with spaces inside',
      `a=${'v'.repeat(256)}`]) {
      assert.equal(isValidTracestate(s), true, s);
    }
  });

  it('isValidTracestate refuses invalid lists and never throws', () => {
    const tooMany = Array.from({ length: 33 }, (_, i) => `k${i}=v`).join(',');
    for (const s of [undefined, null, 1, {}, '', ',', 'novalue', '=v', 'Upper=v', '1abc=v', 'a=',
      'a=x=y', 'a=1,a=2', 'a=\u00e9', 'a=1\r\nb=2', tooMany, `a=${'v'.repeat(257)}`, `a=${'v'.repeat(600)}`,
      'tenant@Vendor=x', `t@${'s'.repeat(15)}=x`]) {
      assert.equal(isValidTracestate(s), false, String(s));
    }
  });
});
