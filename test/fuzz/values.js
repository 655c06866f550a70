'use strict';
// Owns: the generators of hostile context values shared by the context, job and log fuzz tests:
// JSON-ish data with "__proto__"/"constructor" keys, deep and wide values, and everything a
// context must refuse (functions, symbols, bigints, NaN, class instances, sparse arrays, cycles,
// accessors); plus Proxies and throwing getters, and counting Proxies that measure the work done.

const { fc, hostileString } = require('./support.js');

const key = fc.oneof(
  { weight: 4, arbitrary: hostileString(12) },
  { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf') },
);

// Plain data as it arrives from JSON.parse (so "__proto__" is an own property).
const jsonData = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true },
    hostileString(40), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), fc.boolean(), fc.constant(null),
    fc.array(tie('value'), { maxLength: 5 }), fc.dictionary(key, tie('value'), { maxKeys: 5 })),
})).value;
const jsonObject = fc.dictionary(key, jsonData, { maxKeys: 8 }).map((o) => JSON.parse(JSON.stringify(o)));

function nest(depth, leaf) {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { d: v };
  return v;
}

// Values a context must refuse (or, for "undefined field", drop), none of them able to run code.
const refused = fc.oneof(
  fc.constantFrom(() => 1, Symbol('s'), 10n, NaN, Infinity, -Infinity, new Date(0), new Map(), Buffer.from('x'),
    new (class Custom {})(), /re/, new Error('e'), Object.create({ inherited: 1 })),
  fc.constant(null).map(() => { const a = []; a[2] = 1; return a; }),
  fc.constant(null).map(() => { const o = { a: 1 }; o.self = o; return o; }),
  fc.constant(null).map(() => Object.defineProperty({}, 'g', { get() { return 1; }, enumerable: true })),
  fc.constant(null).map(() => ({ [Symbol('k')]: 1 })),
  fc.constant(null).map(() => [undefined]),
);

// Deep (around the 32-level limit) and wide values.
const shaped = fc.oneof(
  fc.integer({ min: 25, max: 40 }).map((d) => nest(d, 'leaf')),
  fc.integer({ min: 1, max: 3000 }).map((n) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]))),
  fc.integer({ min: 1, max: 20000 }).map((n) => 'x'.repeat(n)),
);

// A value with hostile parts placed anywhere inside a JSON-ish object. Parts given as factories
// (lazy: true) are built only when the property calls the returned function, so that fast-check
// itself never touches a Proxy whose traps throw.
function withParts(parts, { lazy = false } = {}) {
  return fc.tuple(jsonObject, fc.array(fc.tuple(fc.array(key, { minLength: 1, maxLength: 3 }), parts), { minLength: 1, maxLength: 2 }))
    .map(([base, placements]) => {
      const build = () => {
        const root = { ...base };
        for (const [pathKeys, part] of placements) {
          let at = root;
          for (let i = 0; i < pathKeys.length - 1; i++) {
            const next = {};
            Object.defineProperty(at, pathKeys[i], { value: next, enumerable: true, writable: true, configurable: true });
            at = next;
          }
          Object.defineProperty(at, pathKeys[pathKeys.length - 1], { value: lazy ? part() : part, enumerable: true, writable: true, configurable: true });
        }
        return root;
      };
      return lazy ? build : build();
    });
}

// Proxies whose traps throw, and arrays/objects whose getters throw: they must be refused as
// invalid context, never let their own error through.
class TrapError extends Error {}
const TRAPS = ['get', 'has', 'ownKeys', 'getOwnPropertyDescriptor', 'getPrototypeOf', 'isExtensible', 'preventExtensions'];
const trapping = fc.oneof(
  fc.tuple(fc.constantFrom(...TRAPS), fc.constantFrom('object', 'array', 'empty')).map(([trap, shape]) => () =>
    new Proxy(shape === 'array' ? [1, 2, 3] : shape === 'object' ? { a: 1, b: 'x' } : {}, { [trap]() { throw new TrapError(`trap ${trap}`); } })),
  fc.constant(() => Object.defineProperty([1, 2], 0, { get() { throw new TrapError('array index getter'); }, enumerable: true })),
  fc.constant(() => new Proxy([1], { get(t, k) { if (k === 'length') throw new TrapError('length'); return Reflect.get(t, k); } })),
);

// A Proxy over `target` counting every trap call in counter.calls.
function counting(target, counter) {
  const handler = {};
  for (const trap of ['get', 'has', 'ownKeys', 'getOwnPropertyDescriptor', 'getPrototypeOf', 'isExtensible']) {
    handler[trap] = (...args) => { counter.calls++; return Reflect[trap](...args); };
  }
  return new Proxy(target, handler);
}

module.exports = { key, jsonData, jsonObject, refused, shaped, withParts, trapping, TrapError, counting, nest };
