'use strict';
// Argument validation: every public entry point given wrong types must behave like the running
// Node's built-in AsyncLocalStorage — same error class, name, code and message (or no throw
// when the built-in accepts it), and the store must be unchanged afterwards. Both are compared
// in this process. Where the running built-in has no constructor options (Node 20/22), ctxframe
// offers the Node 24 API and must validate its options as Node 24's built-in does (recorded
// below from Node 24.21.0 and 26.10.0, which agree).

const assert = require('node:assert');
const { AsyncLocalStorage: Builtin } = require('node:async_hooks');
const { AsyncLocalStorage } = require('ctxframe');

const BUILTIN_HAS_OPTIONS = typeof Builtin.prototype.withScope === 'function';

function outcome(fn) {
  try {
    const value = fn();
    return { threw: false, type: typeof value };
  } catch (err) {
    return {
      threw: true,
      class: err && err.constructor && err.constructor.name,
      name: err && err.name,
      code: err && err.code,
      message: err && err.message,
    };
  }
}

// name -> (ALS) => value. Each runs against a fresh storage where one is needed.
const CALLS = {
  'AsyncLocalStorage() without new': (ALS) => ALS(),
  'run(store) without fn': (ALS) => new ALS().run(1),
  'run(store, 1)': (ALS) => new ALS().run(1, 1),
  'run(store, "notfn")': (ALS) => new ALS().run('s', 'notfn'),
  'run(store, null)': (ALS) => new ALS().run(1, null),
  'run(store, {})': (ALS) => new ALS().run(1, {}),
  'exit() without fn': (ALS) => new ALS().exit(),
  'exit(1)': (ALS) => new ALS().exit(1),
  'exit("x")': (ALS) => new ALS().exit('x'),
  'bind() without fn': (ALS) => ALS.bind(),
  'bind(1)': (ALS) => ALS.bind(1),
  'bind("x")': (ALS) => ALS.bind('x'),
  'bind({})': (ALS) => ALS.bind({}),
  'bind(null)': (ALS) => ALS.bind(null),
  'snapshot()(1)': (ALS) => ALS.snapshot()(1),
  'snapshot()() without fn': (ALS) => ALS.snapshot()(),
  'enterWith() without store': (ALS) => new ALS().enterWith(),
  'getStore(1) with an extra arg': (ALS) => new ALS().getStore(1),
  'disable(1) with an extra arg': (ALS) => new ALS().disable(1),
};

const OPTION_CALLS = {
  'new AsyncLocalStorage(1)': (ALS) => new ALS(1),
  'new AsyncLocalStorage("x")': (ALS) => new ALS('x'),
  'new AsyncLocalStorage(null)': (ALS) => new ALS(null),
  'new AsyncLocalStorage({ name: 1 })': (ALS) => new ALS({ name: 1 }).name,
  'new AsyncLocalStorage({ name: {} })': (ALS) => new ALS({ name: {} }).name,
  'new AsyncLocalStorage({ name: Symbol() })': (ALS) => new ALS({ name: Symbol('s') }),
  'new AsyncLocalStorage(undefined)': (ALS) => new ALS(undefined),
  'new AsyncLocalStorage({})': (ALS) => new ALS({}),
  'withScope() without store': (ALS) => { const s = new ALS().withScope(); s.dispose(); return s; },
};

const NODE24_OPTION_OUTCOMES = {
  'new AsyncLocalStorage(1)': { threw: true, class: 'TypeError', name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: 'The "options" argument must be of type object. Received type number (1)' },
  'new AsyncLocalStorage("x")': { threw: true, class: 'TypeError', name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: 'The "options" argument must be of type object. Received type string (\'x\')' },
  'new AsyncLocalStorage(null)': { threw: true, class: 'TypeError', name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: 'The "options" argument must be of type object. Received null' },
  'new AsyncLocalStorage({ name: 1 })': { threw: false, type: 'string' },
  'new AsyncLocalStorage({ name: {} })': { threw: false, type: 'string' },
  'new AsyncLocalStorage({ name: Symbol() })': { threw: true, class: 'TypeError', name: 'TypeError', code: undefined, message: 'Cannot convert a Symbol value to a string' },
  'new AsyncLocalStorage(undefined)': { threw: false, type: 'object' },
  'new AsyncLocalStorage({})': { threw: false, type: 'object' },
  'withScope() without store': { threw: false, type: 'object' },
};

describe('core: argument validation matches the built-in', function () {
  for (const [label, call] of Object.entries(CALLS)) {
    it(label, function () {
      const expected = outcome(() => call(Builtin));
      const actual = outcome(() => call(AsyncLocalStorage));
      assert.deepStrictEqual(actual, expected, `ctxframe (actual) vs built-in (expected) for ${label}`);
    });
  }

  for (const [label, call] of Object.entries(OPTION_CALLS)) {
    it(`${label} (${BUILTIN_HAS_OPTIONS ? 'vs the running built-in' : 'vs Node 24\'s built-in'})`, function () {
      const expected = BUILTIN_HAS_OPTIONS ? outcome(() => call(Builtin)) : NODE24_OPTION_OUTCOMES[label];
      if (BUILTIN_HAS_OPTIONS) {
        // The recorded table must stay true where it can be checked.
        assert.deepStrictEqual(expected, NODE24_OPTION_OUTCOMES[label], `built-in changed for ${label}`);
      }
      const actual = outcome(() => call(AsyncLocalStorage));
      assert.deepStrictEqual(actual, expected, `ctxframe (actual) vs expected for ${label}`);
    });
  }

  it('a failed run/exit/bind leaves the current store untouched', function () {
    const a = new AsyncLocalStorage();
    a.run('kept', () => {
      for (const bad of [() => a.run('other', 1), () => a.exit('x'), () => AsyncLocalStorage.bind(2),
        () => AsyncLocalStorage.snapshot()(3)]) {
        assert.throws(bad, TypeError);
        assert.strictEqual(a.getStore(), 'kept');
      }
    });
    assert.strictEqual(a.getStore(), undefined);
  });

  it('errors with a code carry it as a non-enumerable own property, like Node\'s', function () {
    const grab = (ALS) => { try { ALS.bind(1); } catch (err) { return err; } return null; };
    const ours = grab(AsyncLocalStorage);
    const theirs = grab(Builtin);
    assert.ok(ours instanceof TypeError);
    assert.strictEqual(Object.keys(ours).join(), Object.keys(theirs).join());
    assert.match(String(ours.stack), /ERR_INVALID_ARG_TYPE|must be of type function/);
  });

  it('exposes the same public surface as the Node 24 built-in', function () {
    for (const m of ['run', 'exit', 'enterWith', 'getStore', 'disable', 'withScope']) {
      assert.strictEqual(typeof AsyncLocalStorage.prototype[m], 'function', m);
    }
    assert.strictEqual(typeof AsyncLocalStorage.bind, 'function');
    assert.strictEqual(typeof AsyncLocalStorage.snapshot, 'function');
    assert.strictEqual(typeof new AsyncLocalStorage().name, 'string');
    for (const m of ['run', 'exit', 'enterWith', 'getStore', 'disable']) {
      assert.strictEqual(AsyncLocalStorage.prototype[m].length, Builtin.prototype[m].length, `${m}.length`);
    }
  });
});
