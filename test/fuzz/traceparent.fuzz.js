'use strict';
// Owns: fuzzing ctxframe/traceparent — parsing never throws and returns only well-formed fields,
// format/parse round-trip, a mutated header is either refused or still well-formed, tracestate
// validation never throws and accepts nothing a header cannot carry.

const assert = require('node:assert');
const { fc, check, hostileString, CRLF } = require('./support.js');
const {
  parseTraceparent, formatTraceparent, isValidTracestate, isValidTraceId, isValidSpanId, isValidTraceFlags,
} = require('ctxframe/traceparent');

const hex = (n) => fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: n, maxLength: n });
const validFields = fc.record({ traceId: hex(32), spanId: hex(16), traceFlags: hex(2) })
  .filter((f) => isValidTraceId(f.traceId) && isValidSpanId(f.spanId));

function wellFormed(parsed) {
  assert.ok(/^[0-9a-f]{2}$/.test(parsed.version) && parsed.version !== 'ff');
  assert.ok(isValidTraceId(parsed.traceId), parsed.traceId);
  assert.ok(isValidSpanId(parsed.parentId), parsed.parentId);
  assert.ok(isValidTraceFlags(parsed.traceFlags), parsed.traceFlags);
}

describe('fuzz: traceparent', function () {
  it('parseTraceparent never throws; whatever it accepts is well-formed', function () {
    check(fc.property(fc.oneof(hostileString(600), fc.anything()), (input) => {
      const parsed = parseTraceparent(input);
      if (parsed !== null) wellFormed(parsed);
    }), 2000);
  });

  it('format -> parse round-trips; the header has no CR/LF and is 55 characters', function () {
    check(fc.property(validFields, (fields) => {
      const header = formatTraceparent(fields);
      assert.strictEqual(header.length, 55);
      assert.ok(!CRLF.test(header));
      const parsed = parseTraceparent(header);
      assert.deepStrictEqual({ ...parsed }, { version: '00', traceId: fields.traceId, parentId: fields.spanId, traceFlags: fields.traceFlags });
    }), 1000);
  });

  it('a valid header with one character replaced, inserted or removed is refused or still well-formed', function () {
    const edit = fc.record({ at: fc.nat(60), ch: hostileString(2), kind: fc.constantFrom('replace', 'insert', 'delete') });
    check(fc.property(validFields, edit, (fields, { at, ch, kind }) => {
      const header = formatTraceparent(fields);
      const i = at % header.length;
      const mutated = kind === 'delete' ? header.slice(0, i) + header.slice(i + 1)
        : header.slice(0, i) + ch + header.slice(kind === 'replace' ? i + 1 : i);
      const parsed = parseTraceparent(mutated);
      if (parsed !== null) wellFormed(parsed);
    }), 2000);
  });

  it('formatTraceparent refuses bad ids with a coded TypeError, never anything else', function () {
    check(fc.property(fc.record({ traceId: fc.oneof(hostileString(40), fc.anything()), spanId: fc.oneof(hostileString(20), fc.anything()), traceFlags: fc.anything() }), (fields) => {
      let header;
      try {
        header = formatTraceparent(fields);
      } catch (err) {
        assert.ok(err instanceof TypeError, String(err));
        assert.strictEqual(err.code, 'ERR_INVALID_ARG_VALUE');
        return;
      }
      wellFormed(parseTraceparent(header));
    }), 1000);
  });

  it('isValidTracestate never throws; what it accepts is at most 512 visible ASCII characters', function () {
    const member = fc.tuple(hostileString(12), hostileString(12)).map(([k, v]) => `${k}=${v}`);
    const list = fc.array(fc.oneof(member, fc.constant('rojo=00f067aa0ba902b7'), fc.constant('')), { maxLength: 40 }).map((m) => m.join(','));
    check(fc.property(fc.oneof(list, hostileString(600), fc.anything()), (input) => {
      if (isValidTracestate(input)) {
        assert.ok(input.length <= 512);
        assert.ok(/^[\x20-\x7e]*$/.test(input), JSON.stringify(input));
        assert.ok(!CRLF.test(input));
      }
    }), 2000);
  });
});
