'use strict';
// Owns: capturing the whole context current now (every storage, ctxframe's and the built-in's) and
// running a call in it later, many times, as an AsyncResource made now and its runInAsyncScope()
// would, for internal code that binds many calls to one context (the request kit's ingress binds
// a request's and response's events with it). Not public API.
//
//   const context = contextHere();
//   runInContext(context, fn, thisArg, args)  // fn.apply(thisArg, args) in `context`
//
// On the frame backend with the native bridge the whole context is the continuation's value, the
// one thing AsyncResource captures for it on AsyncContextFrame runtimes (its context_frame):
// contextHere() reads it, runInContext() makes it current around the call and puts the prior value
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

let contextHere;
let runInContext;

if (continuation === 'native') {
  const { get, set } = require('./native').continuation;
  contextHere = get;
  runInContext = function runInFrame(frame, fn, thisArg, args) {
    const prior = get();
    set(frame);
    try {
      return ReflectApply(fn, thisArg, args);
    } finally {
      set(prior);
    }
  };
} else {
  const { AsyncResource } = require('node:async_hooks');
  contextHere = function resourceHere() {
    return new AsyncResource('bound-anonymous-fn'); // the type AsyncLocalStorage.snapshot() gives
  };
  runInContext = function runInResource(resource, fn, thisArg, args) {
    return resource.runInAsyncScope(ReflectApply, undefined, fn, thisArg, args);
  };
}

module.exports = { contextHere, runInContext };
