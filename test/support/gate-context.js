'use strict';
// Shared by the ctxframe/gate tests: one ctxframe storage and one built-in
// storage entered together (so every check covers both), random small
// delays, and the hygiene every gate test file asserts after each test (no
// unhandled rejection, no AbortSignal left watched).

const assert = require('node:assert/strict');
const async_hooks = require('node:async_hooks');
const { setImmediate: immediate, setTimeout: sleep } = require('node:timers/promises');
const { AsyncLocalStorage } = require('ctxframe');
const { getEventListeners } = require('node:events');

const frameStore = new AsyncLocalStorage();
const builtinStore = new async_hooks.AsyncLocalStorage();

function inContext(id, fn) {
  return frameStore.run(id, () => builtinStore.run(id, fn));
}

function seen() { return [frameStore.getStore(), builtinStore.getStore()]; }

// 0-3 ms, 0 meaning "next turn" (setImmediate).
function randomDelay() {
  const ms = Math.floor(Math.random() * 4);
  return ms === 0 ? immediate() : sleep(ms);
}

// Every AbortSignal a gate test hands to the gate, so the hygiene check can look at each one.
const signals = [];
function newController() {
  const controller = new AbortController();
  signals.push(controller.signal);
  return controller;
}
function abortedSignal(reason) {
  const signal = AbortSignal.abort(reason);
  signals.push(signal);
  return signal;
}

// Call inside a describe(): after each test, no unhandled rejection and no 'abort' listener
// left on any signal the test created (the gate removes its listener when nothing waits on it).
function assertGateHygiene() {
  const unhandled = [];
  const onUnhandled = (reason) => unhandled.push(reason);
  before(() => process.on('unhandledRejection', onUnhandled));
  after(() => process.off('unhandledRejection', onUnhandled));
  afterEach(async () => {
    await immediate();
    assert.deepEqual(unhandled, [], 'no unhandled rejection leaks');
    for (const signal of signals.splice(0)) {
      assert.equal(getEventListeners(signal, 'abort').length, 0, 'no AbortSignal left watched');
    }
  });
}

module.exports = {
  frameStore, builtinStore, inContext, seen, randomDelay, assertGateHygiene, newController, abortedSignal,
};
