'use strict';
// Owns: fuzzing context validation (ctxframe/context freeze/run/with) with JSON-ish data,
// "__proto__"/"constructor" keys, deep, wide and huge values and everything a context refuses.
// Properties: the only errors are the documented coded ones; what is accepted is a deep-frozen,
// plain, JSON-equal copy within the size limit; no prototype is ever polluted.

const assert = require('node:assert');
const { fc, check } = require('./support.js');
const { createContext } = require('ctxframe/context');
const { jsonObject, refused, shaped, withParts } = require('./values.js');

const Ctx = createContext({ name: 'FuzzContext', maxBytes: 8192 });

function assertFrozenPlain(value) {
  if (value === null || typeof value !== 'object') return;
  assert.ok(Object.isFrozen(value));
  const proto = Object.getPrototypeOf(value);
  assert.ok(proto === Object.prototype || proto === Array.prototype || proto === null);
  for (const key of Object.keys(value)) {
    const desc = Object.getOwnPropertyDescriptor(value, key);
    assert.ok('value' in desc, `accessor at ${key}`);
    assertFrozenPlain(desc.value);
  }
}

function pristine() {
  for (const name of ['polluted', 'isAdmin', 'k0', 'd', 'x']) assert.ok(!(name in Object.prototype), `Object.prototype.${name}`);
  assert.strictEqual(Object.prototype.toString, Object.prototype.toString);
}

function freezeOrCodedError(value) {
  let frozen;
  try {
    frozen = Ctx.freeze(value);
  } catch (err) {
    assert.ok((err instanceof TypeError && err.code === 'CTXFRAME_INVALID_CONTEXT') ||
      (err instanceof RangeError && err.code === 'CTXFRAME_CONTEXT_TOO_LARGE'), `unexpected ${err && err.stack}`);
    pristine();
    return { error: err };
  }
  assertFrozenPlain(frozen);
  assert.deepStrictEqual(JSON.parse(JSON.stringify(frozen)), JSON.parse(JSON.stringify(value)));
  assert.ok(Buffer.byteLength(JSON.stringify(frozen)) <= Ctx.maxBytes);
  pristine();
  return { frozen };
}

describe('fuzz: context validation', function () {
  it('JSON data with hostile keys: accepted as a frozen plain copy, or refused with a coded error', function () {
    check(fc.property(jsonObject, (value) => {
      const { frozen } = freezeOrCodedError(value);
      if (frozen && Object.prototype.hasOwnProperty.call(value, '__proto__')) {
        assert.ok(Object.prototype.hasOwnProperty.call(frozen, '__proto__'));
        assert.strictEqual(Object.getPrototypeOf(frozen), Object.prototype);
      }
    }), 3000);
  });

  it('values with refused parts anywhere inside are refused with CTXFRAME_INVALID_CONTEXT', function () {
    check(fc.property(withParts(refused), (value) => {
      const { error } = freezeOrCodedError(value);
      assert.ok(error, 'a value with a refused part was accepted');
      assert.strictEqual(error.code, 'CTXFRAME_INVALID_CONTEXT');
    }), 1500);
  });

  it('deep, wide and huge values: accepted within the limits, refused with a coded error beyond them', function () {
    check(fc.property(fc.tuple(jsonObject, shaped), ([base, big]) => {
      freezeOrCodedError({ ...base, big });
    }), 300);
  });

  it('run() and with() store only validated copies; the context outside is untouched', function () {
    check(fc.property(jsonObject, jsonObject, (outer, partial) => {
      let ran = false;
      try {
        Ctx.run(outer, () => {
          const before = Ctx.current();
          try {
            Ctx.with(partial, () => { ran = true; assertFrozenPlain(Ctx.current()); });
          } catch (err) {
            assert.ok(['CTXFRAME_INVALID_CONTEXT', 'CTXFRAME_CONTEXT_TOO_LARGE'].includes(err.code), String(err));
          }
          assert.strictEqual(Ctx.current(), before);
        });
      } catch (err) {
        assert.ok(['CTXFRAME_INVALID_CONTEXT', 'CTXFRAME_CONTEXT_TOO_LARGE'].includes(err.code), String(err));
        assert.ok(!ran);
      }
      assert.strictEqual(Ctx.currentOrNull(), null);
      pristine();
    }), 1000);
  });
});
