'use strict';
// Shared by the ctxframe/gate tests: one ctxframe storage and one built-in
// storage entered together (so every check covers both), random small
// delays, and the hygiene every gate test file asserts after each test (no
// unhandled rejection, no AbortSignal left watched).

const assert = require('node:assert/strict');
const async_hooks = require('node:async_hooks');
const { setImmediate: immediate, setTimeout: sleep } = require('node:timers/promises');
const { AsyncLocalStorage } = require('ctxframe');
const { watchedSignalCount } = require('../../lib/kit/gate/queue.js');

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

// Call inside a describe(): after each test, no unhandled rejection and no
// AbortSignal still watched by the gate.
function assertGateHygiene() {
  const unhandled = [];
  const onUnhandled = (reason) => unhandled.push(reason);
  before(() => process.on('unhandledRejection', onUnhandled));
  after(() => process.off('unhandledRejection', onUnhandled));
  afterEach(async () => {
    await immediate();
    assert.deepEqual(unhandled, [], 'no unhandled rejection leaks');
    assert.equal(watchedSignalCount(), 0, 'no AbortSignal left watched');
  });
}

module.exports = { frameStore, builtinStore, inContext, seen, randomDelay, assertGateHygiene };
