'use strict';
// The built-ins ctxframe's hot paths call, captured once at load, in the
// spirit of Node's primordials: user code that later patches Map.prototype.get
// or Reflect.apply cannot change how ctxframe behaves.

const { apply: ReflectApply } = Reflect;
// uncurryThis(fn)(self, ...args) === fn.call(self, ...args), as Node does it:
// a bound `call` that V8 inlines.
const uncurryThis = Function.prototype.bind.bind(Function.prototype.call);

class SafeMap extends Map {
  constructor(entries) { super(entries); }
}
// Own copies of the methods, so SafeMap instances ignore Map.prototype patches.
for (const name of ['get', 'set', 'has', 'delete', 'clear', 'forEach', 'keys', 'values', 'entries']) {
  Object.defineProperty(SafeMap.prototype, name, {
    value: Map.prototype[name], writable: true, configurable: true,
  });
}
Object.defineProperty(SafeMap.prototype, Symbol.iterator, {
  value: Map.prototype.entries, writable: true, configurable: true,
});

// What Reflect.apply(fn, null, args) throws for a fn that is not callable, from a function only
// that case reaches: it stays unoptimized, so the TypeError reads as the built-in's ("Function.
// prototype.apply was called on #<Object>, ...") and not as a hot, optimized caller's, whose
// inlined call reports "ReflectApply is not a function".
function applyNotCallable(fn, args) {
  return ReflectApply(fn, null, args);
}

module.exports = {
  applyNotCallable,
  FinalizationRegistry,
  MapPrototypeDelete: uncurryThis(Map.prototype.delete),
  MapPrototypeGet: uncurryThis(Map.prototype.get),
  MapPrototypeHas: uncurryThis(Map.prototype.has),
  ObjectIs: Object.is,
  ReflectApply,
  SafeMap,
  SymbolDispose: Symbol.dispose,
};
