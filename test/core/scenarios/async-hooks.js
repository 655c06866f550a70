'use strict';
// Owns: parity scenarios for what async_hooks users observe around run(), exit(), enterWith(),
// getStore() and disable(): executionAsyncId(), triggerAsyncId() and executionAsyncResource()
// inside them, the trigger ids and types of the async resources created inside them as an init
// hook sees them, and ids and trigger ids in the callbacks of those resources. Each is run on the
// built-in and on ctxframe by test/core/parity-async-hooks.test.js; values are logged relative to
// what the scenario saw outside (ids themselves differ from process to process).

const asyncHooks = require('node:async_hooks');
const { executionAsyncId, triggerAsyncId, executionAsyncResource, AsyncResource } = asyncHooks;

// What the current execution looks like, against `outside` ({ id, trigger, resource }).
function sameAs(outside) {
  return [executionAsyncId() === outside.id, triggerAsyncId() === outside.trigger,
    executionAsyncResource() === outside.resource];
}

function here() {
  return { id: executionAsyncId(), trigger: triggerAsyncId(), resource: executionAsyncResource() };
}

module.exports = {
  'ids, trigger id and resource inside run/exit/nested run are the caller\'s': {
    fn(ALS, t) {
      const a = new ALS();
      const b = new ALS();
      const outside = here();
      a.run(1, () => {
        t.log(sameAs(outside));
        b.run(2, () => {
          t.log(sameAs(outside));
          a.exit(() => t.log(sameAs(outside)));
          a.enterWith(3);
          t.log(sameAs(outside));
        });
        t.log(sameAs(outside));
      });
      t.log(sameAs(outside));
    },
    expect: [[true, true, true], [true, true, true], [true, true, true], [true, true, true],
      [true, true, true], [true, true, true]],
  },

  'inside a callback (timer, immediate, AsyncResource): ids and resource inside run are the callback\'s': {
    async fn(ALS, t) {
      const a = new ALS();
      await new Promise((resolve) => setTimeout(() => {
        const outside = here();
        a.run('t', () => t.log(['timer', ...sameAs(outside)]));
        resolve();
      }, 1));
      await new Promise((resolve) => setImmediate(() => {
        const outside = here();
        a.run('i', () => a.run('j', () => t.log(['immediate', ...sameAs(outside)])));
        resolve();
      }));
      const resource = new AsyncResource('SCENARIO');
      resource.runInAsyncScope(() => {
        const outside = here();
        t.log(['resource is current', outside.resource === resource, outside.id === resource.asyncId()]);
        a.run('r', () => t.log(['resource', ...sameAs(outside)]));
      });
      resource.emitDestroy();
    },
    expect: [['timer', true, true, true], ['immediate', true, true, true],
      ['resource is current', true, true], ['resource', true, true, true]],
  },

  'resources created inside run get the caller\'s id as trigger; an init hook sees the same resources': {
    async fn(ALS, t) {
      const a = new ALS();
      const b = new ALS();
      const seen = [];
      let recording = false;
      const hook = asyncHooks.createHook({
        init(id, type, trigger) {
          if (recording) seen.push({ id, type, trigger });
        },
      }).enable();
      await new Promise((resolve) => setImmediate(resolve));
      const outside = executionAsyncId();
      let timerTrigger;
      let timerSees;
      const done = new Promise((resolve) => {
        recording = true;
        a.run('A', () => {
          b.run('B', () => {
            const r = new AsyncResource('SCENARIO_RESOURCE');
            t.log(['resource trigger is the caller', r.triggerAsyncId() === outside]);
            setTimeout(() => {
              timerTrigger = triggerAsyncId();
              timerSees = [a.getStore(), b.getStore()];
              resolve();
            }, 1);
            a.enterWith('A2');
            b.getStore();
            a.disable();
          });
        });
        recording = false;
      });
      await done;
      hook.disable();
      t.log(['init types', seen.map((s) => s.type)]);
      t.log(['init triggers are the caller', seen.every((s) => s.trigger === outside)]);
      t.log(['timer trigger', timerTrigger === outside, timerSees]);
    },
    // On async_hooks runtimes the built-in's disable() blanks the storage for work created before
    // it too (docs/guarantees.md).
    expect: (rt) => [['resource trigger is the caller', true],
      ['init types', ['SCENARIO_RESOURCE', 'Timeout']],
      ['init triggers are the caller', true],
      ['timer trigger', true, [rt.frameMode ? 'A' : '<undefined>', 'B']]],
  },

  'promise ids with a hook enabled: await inside run, then() created inside run': {
    async fn(ALS, t) {
      const a = new ALS();
      const types = [];
      let recording = false;
      const hook = asyncHooks.createHook({
        init(id, type) { if (recording) types.push(type); },
      }).enable();
      const outside = executionAsyncId();
      recording = true;
      const p = a.run('p', async () => {
        const inner = executionAsyncId() === outside;
        await null;
        return [inner, a.getStore()];
      });
      recording = false;
      t.log(await p);
      t.log(['promises created', types.filter((type) => type === 'PROMISE').length]);
      hook.disable();
    },
    // How many promises an async function and its await make is V8's business: judged against
    // the built-in only.
  },
};
