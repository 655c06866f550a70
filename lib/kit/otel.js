'use strict';
// ctxframe/otel. Owns: an OpenTelemetry ContextManager backed by a ctxframe AsyncLocalStorage.
// Same behaviour as @opentelemetry/context-async-hooks' AsyncLocalStorageContextManager
// (active/with/bind for functions and EventEmitters/enable/disable, plus the experimental
// attach()), so `context.setGlobalContextManager(new CtxframeContextManager())` is a drop-in.
// @opentelemetry/api is an optional peer dependency: it is only required (lazily) for
// ROOT_CONTEXT, the first time active() runs outside any context.

const { EventEmitter } = require('node:events');
const { AsyncLocalStorage } = require('../index.js');
// ../errors.js and ../validators.js are loaded only for options to check or an error to throw:
// every module loaded stays in the heap for the life of the process (docs/design.md).
const NO_OPTIONS = Object.freeze({});

const uncurryThis = Function.prototype.bind.bind(Function.prototype.call);
const ArrayPrototypeSlice = uncurryThis(Array.prototype.slice);
const FunctionPrototypeBind = uncurryThis(Function.prototype.bind);

const ADD_LISTENER_METHODS = ['addListener', 'on', 'once', 'prependListener', 'prependOnceListener'];
const REMOVE_LISTENER_METHODS = ['removeListener', 'off'];

let apiRootContext;
function loadRootContext() {
  if (apiRootContext === undefined) apiRootContext = require('@opentelemetry/api').ROOT_CONTEXT;
  return apiRootContext;
}

// attach() token for runtimes whose AsyncLocalStorage has no withScope(): restores the
// previous context once, like the reference implementation's DisposeOnceToken.
class RestoreOnceToken {
  constructor(storage, previous) {
    this._storage = storage;
    this._previous = previous;
    this._disposed = false;
  }

  dispose() {
    if (this._disposed) return;
    this._disposed = true;
    this._storage.enterWith(this._previous);
  }
}
if (typeof Symbol.dispose === 'symbol') {
  RestoreOnceToken.prototype[Symbol.dispose] = RestoreOnceToken.prototype.dispose;
}

class CtxframeContextManager {
  // options.rootContext: the context active() returns outside any with(); defaults to
  // @opentelemetry/api's ROOT_CONTEXT (pass your own if several copies of the api exist).
  constructor(options) {
    options = options === undefined ? NO_OPTIONS : require('../validators.js').validateOptions('options', options, ['rootContext']);
    if (options.rootContext !== undefined &&
        (options.rootContext === null || typeof options.rootContext !== 'object')) {
      throw require('../errors.js').invalidArgType('options.rootContext', 'an OpenTelemetry Context',
        options.rootContext);
    }
    this._rootContext = options.rootContext;
    this._storage = new AsyncLocalStorage({ name: 'CtxframeContextManager' });
    // Per manager: emitter -> { [event]: WeakMap(userListener -> boundListener) }.
    this._listenersKey = Symbol('CtxframeOtelListeners');
    // True while a patched add-listener method runs: EventEmitter#once calls this.on()
    // with its own once-wrapper, which must not be wrapped a second time.
    this._addingListener = false;
  }

  active() {
    const current = this._storage.getStore();
    if (current !== undefined) return current;
    return this._rootContext !== undefined ? this._rootContext : loadRootContext();
  }

  // with(context, fn, thisArg, ...args). The SDK calls it for every span (startActiveSpan passes
  // one argument, the span; span processors pass none): those calls go straight to run(),
  // without collecting the arguments into an array first.
  with(context, fn, thisArg, arg) {
    const n = arguments.length;
    if (n <= 4 && thisArg == null) {
      return n === 4 ? this._storage.run(context, fn, arg) : this._storage.run(context, fn);
    }
    const args = ArrayPrototypeSlice(arguments, 3);
    return this._storage.run(context, thisArg == null ? fn : FunctionPrototypeBind(fn, thisArg), ...args);
  }

  bind(context, target) {
    if (target instanceof EventEmitter) return this._bindEventEmitter(context, target);
    if (typeof target === 'function') return this._bindFunction(context, target);
    return target;
  }

  enable() {
    return this;
  }

  // Like the reference: forget the current context; with() works again afterwards.
  disable() {
    this._storage.disable();
    return this;
  }

  // Experimental in OpenTelemetry: make `context` active for the rest of the current
  // synchronous execution and what it schedules; the token's dispose() restores.
  attach(context) {
    if (typeof this._storage.withScope === 'function') return this._storage.withScope(context);
    const previous = this._storage.getStore();
    this._storage.enterWith(context);
    return new RestoreOnceToken(this._storage, previous);
  }

  _bindFunction(context, target) {
    const manager = this;
    const bound = function contextBound(...args) {
      return manager.with(context, () => target.apply(this, args));
    };
    Object.defineProperty(bound, 'length', {
      value: target.length, enumerable: false, writable: false, configurable: true,
    });
    return bound;
  }

  // Every listener added from now on runs in `context`. Binding an emitter a second time
  // (with any context) does nothing, as in the reference implementation.
  _bindEventEmitter(context, emitter) {
    if (emitter[this._listenersKey] !== undefined) return emitter;
    emitter[this._listenersKey] = Object.create(null);
    for (const name of ADD_LISTENER_METHODS) {
      if (typeof emitter[name] === 'function') {
        emitter[name] = this._patchAddListener(emitter, emitter[name], context);
      }
    }
    for (const name of REMOVE_LISTENER_METHODS) {
      if (typeof emitter[name] === 'function') {
        emitter[name] = this._patchRemoveListener(emitter, emitter[name]);
      }
    }
    if (typeof emitter.removeAllListeners === 'function') {
      emitter.removeAllListeners = this._patchRemoveAllListeners(emitter, emitter.removeAllListeners);
    }
    return emitter;
  }

  _patchAddListener(emitter, original, context) {
    const manager = this;
    return function addContextBoundListener(event, listener) {
      if (manager._addingListener) return original.call(this, event, listener);
      let byEvent = emitter[manager._listenersKey];
      if (byEvent === undefined) byEvent = emitter[manager._listenersKey] = Object.create(null);
      let bound = byEvent[event];
      if (bound === undefined) bound = byEvent[event] = new WeakMap();
      const boundListener = manager.bind(context, listener);
      bound.set(listener, boundListener);
      manager._addingListener = true;
      try {
        return original.call(this, event, boundListener);
      } finally {
        manager._addingListener = false;
      }
    };
  }

  _patchRemoveListener(emitter, original) {
    const manager = this;
    return function removeContextBoundListener(event, listener) {
      const byEvent = emitter[manager._listenersKey];
      const bound = byEvent === undefined ? undefined : byEvent[event];
      if (bound === undefined) return original.call(this, event, listener);
      return original.call(this, event, bound.get(listener) || listener);
    };
  }

  _patchRemoveAllListeners(emitter, original) {
    const manager = this;
    return function removeAllContextBoundListeners(event) {
      const byEvent = emitter[manager._listenersKey];
      if (byEvent !== undefined) {
        if (arguments.length === 0) emitter[manager._listenersKey] = Object.create(null);
        else delete byEvent[event];
      }
      return original.apply(this, arguments);
    };
  }
}

module.exports = { CtxframeContextManager };
