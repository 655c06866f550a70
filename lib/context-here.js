'use strict';
// Owns: capturing the whole context current now (every storage, ctxframe's and the built-in's) and
// running calls in it later, many times, as an AsyncResource made now and its runInAsyncScope()
// would, for internal code that binds many calls to one context (the request kit's ingress binds
// a request's and response's events with it). Not public API.
//
//   const context = contextHere();
//   bindEmitterTo(emitter, context)  // its emits with listeners run in `context`
//
// On the frame backend with the native bridge the whole context is the continuation's value, the
// one thing AsyncResource captures for it on AsyncContextFrame runtimes (its context_frame):
// contextHere() reads it, an emit makes it current around the call and puts the prior value
// back, as runInAsyncScope() does, always (what the call enters or disables stays inside it). No
// async_hooks resource is made, so the call runs with the async ids and executionAsyncResource() of
// where it is made, as it would with no binding, and init/before/after/destroy hooks see nothing.
//
// Everywhere else an AsyncResource stays the tool: on the carrier and builtin backends the context
// is what async_hooks gives the current resource, which only switching resources carries whole
// (the built-in storages' stores beside ctxframe's); without the native bridge (the js
// continuation, lib/js-continuation.js) the one way to set the continuation is runInAsyncScope()
// itself.

const { ReflectApply } = require('./primordials');
const { continuation } = require('./index.js');

const FunctionPrototypeCall = Function.prototype.call.bind(Function.prototype.call);

// bindEmitterTo(emitter, context): every emit of an event that has listeners runs in `context`;
// an event nobody listens to is emitted as it is (there is nothing to run in the context).
// listenerCount is read from the emitter once, not at every emit: on an object whose prototype a
// framework replaced (Express), a lookup through the prototype chain costs ~0.2 µs on Node 20 and
// 22, against ~0.05 µs for the call itself.
let contextHere;
let bindEmitterTo;

if (continuation === 'native') {
  const { get, set } = require('./native').continuation;
  contextHere = get;
  // The switch is written into the emit itself: through a helper taking (fn, thisArg, args), V8
  // makes `arguments` an object to pass on (about 600 instructions more per emit on Node 24).
  bindEmitterTo = function bindEmitterToFrame(emitter, frame) {
    const originalEmit = emitter.emit;
    const listenerCount = emitter.listenerCount;
    emitter.emit = function emitInContext(event) {
      if (FunctionPrototypeCall(listenerCount, this, event) === 0) return ReflectApply(originalEmit, this, arguments);
      const prior = get();
      set(frame);
      try {
        return ReflectApply(originalEmit, this, arguments);
      } finally {
        set(prior);
      }
    };
  };
} else {
  const { AsyncResource } = require('node:async_hooks');
  contextHere = function resourceHere() {
    return new AsyncResource('bound-anonymous-fn'); // the type AsyncLocalStorage.snapshot() gives
  };
  bindEmitterTo = function bindEmitterToResource(emitter, resource) {
    const originalEmit = emitter.emit;
    const listenerCount = emitter.listenerCount;
    emitter.emit = function emitInContext(event) {
      if (FunctionPrototypeCall(listenerCount, this, event) === 0) return ReflectApply(originalEmit, this, arguments);
      return resource.runInAsyncScope(ReflectApply, undefined, originalEmit, this, arguments);
    };
  };
}

module.exports = { contextHere, bindEmitterTo };
