'use strict';
// The request's and response's events under ingress, on a real node:http server: every event with
// listeners runs in the request's whole context (ctxframe's stores and the built-in storages'),
// whoever registered the listener and when; what a listener enters stays inside its emit; and
// what async_hooks shows a listener (docs/ingress.md): on the frame backend with the native bridge
// the ids and resource of a server without ingress, elsewhere the one AsyncResource the request's
// events are bound to.

const assert = require('node:assert/strict');
const http = require('node:http');
const { AsyncLocalStorage: BuiltinStorage, executionAsyncId, triggerAsyncId, executionAsyncResource } =
  require('node:async_hooks');
const { continuation } = require('ctxframe');
const { withRequestContext } = require('ctxframe/http');
const { requestContext } = require('ctxframe/context');

async function post(server, requestId, body) {
  const url = `http://127.0.0.1:${server.address().port}/`;
  const res = await fetch(url, { method: 'POST', body, headers: { 'x-request-id': requestId } });
  assert.equal(res.status, 200);
  return res.text();
}

async function listen(server) {
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return () => new Promise((resolve) => { server.close(resolve); server.closeAllConnections(); });
}

function here(builtin) {
  return { requestId: requestContext.currentOrNull()?.requestId ?? null, builtin: builtin.getStore() ?? null };
}

describe('kit/ingress events', () => {
  it('listeners registered before ingress, outside the context, run in the request\'s whole context', async () => {
    const builtin = new BuiltinStorage(); // an APM's own storage, entered before ingress runs
    const seen = new Map();
    const ids = ['ev-1', 'ev-2', 'ev-3', 'ev-4'];
    let closed = 0;
    let allClosed;
    const closes = new Promise((resolve) => { allClosed = resolve; });
    const server = http.createServer();
    server.on('request', (req, res) => {
      const id = req.headers['x-request-id'];
      builtin.enterWith(`apm-${id}`);
      const log = [];
      seen.set(id, log);
      req.on('data', () => log.push(['data', here(builtin)]));
      req.on('end', () => log.push(['end', here(builtin)]));
      res.on('finish', () => log.push(['finish', here(builtin)]));
      res.on('close', () => {
        log.push(['close', here(builtin)]);
        if (++closed === ids.length) allClosed();
      });
    });
    server.on('request', withRequestContext((req, res) => {
      req.resume();
      req.on('end', () => setTimeout(() => res.end(requestContext.get('requestId')), 1));
    }));
    const close = await listen(server);
    try {
      assert.deepEqual(await Promise.all(ids.map((id) => post(server, id, 'x'.repeat(64)))), ids);
      await closes; // each response's 'close' comes after its answer was sent
      for (const id of ids) {
        const log = seen.get(id);
        assert.deepEqual(log.map(([event]) => event).filter((e, i, all) => all.indexOf(e) === i),
          ['data', 'end', 'finish', 'close']);
        for (const [event, ctx] of log) {
          assert.deepEqual(ctx, { requestId: id, builtin: `apm-${id}` }, `${id} ${event}`);
        }
      }
    } finally {
      await close();
    }
  });

  it('what a listener enters, or throws, stays inside its emit', async () => {
    const builtin = new BuiltinStorage();
    const results = [];
    const server = http.createServer(withRequestContext((req, res) => {
      builtin.enterWith('handler');
      res.on('ctxframe-enter', () => {
        builtin.enterWith('listener');
        requestContext.storage.enterWith(undefined); // leaves the request's context
      });
      res.on('ctxframe-throw', () => {
        builtin.enterWith('thrower');
        throw new Error('listener failed');
      });
      res.emit('ctxframe-enter');
      const afterEnter = here(builtin);
      let error = null;
      try {
        res.emit('ctxframe-throw');
      } catch (err) {
        error = err.message;
      }
      results.push({ afterEnter, afterThrow: here(builtin), error });
      res.end('ok');
    }));
    const close = await listen(server);
    try {
      await post(server, 'enter-1', 'x');
      // Bound at ingress, before the handler's enterWith: the listeners ran in the request's
      // context, and the handler's own context is what it was before each emit.
      assert.deepEqual(results, [{
        afterEnter: { requestId: 'enter-1', builtin: 'handler' },
        afterThrow: { requestId: 'enter-1', builtin: 'handler' },
        error: 'listener failed',
      }]);
    } finally {
      await close();
    }
  });

  // A record of what async_hooks shows a request's 'data', 'end' and 'finish' listeners, ids
  // relative to the handler's execution (ids themselves differ from run to run).
  async function asyncHooksView(wrap) {
    let record;
    const server = http.createServer(wrap((req, res) => {
      const handler = executionAsyncId();
      const view = { handlerTrigger: triggerAsyncId() !== 0 };
      const ids = {};
      const note = (event) => {
        const resource = executionAsyncResource();
        ids[event] = { id: executionAsyncId(), resource };
        view[event] = {
          type: resource.constructor.name,
          triggerIsHandler: triggerAsyncId() === handler,
          isHandler: executionAsyncId() === handler,
        };
      };
      req.on('data', () => note('data'));
      req.on('end', () => {
        note('end');
        res.end('ok');
      });
      res.on('finish', () => {
        note('finish');
        view.finishTriggerIsEnd = triggerAsyncId() === ids.end.id;
        view.oneResource = ids.data.resource === ids.end.resource && ids.end.resource === ids.finish.resource;
        record = view;
      });
    }));
    const close = await listen(server);
    try {
      await post(server, 'ids-1', 'body');
    } finally {
      await close();
    }
    return record;
  }

  it('async_hooks in a listener: Node\'s own view on the frame backend, else the one bound resource', async () => {
    const plain = await asyncHooksView((handler) => handler);
    const ingress = await asyncHooksView((handler) => withRequestContext(handler));
    if (continuation === 'native') {
      // The frame is restored around the emit with no resource of its own: ids, triggers and
      // executionAsyncResource() read as on the same server without ingress.
      assert.deepEqual(ingress, plain);
    } else {
      // An AsyncResource made where the chain enters the request, shared by every event.
      assert.equal(ingress.oneResource, true);
      for (const event of ['data', 'end', 'finish']) {
        assert.equal(ingress[event].type, 'AsyncResource', event);
        assert.equal(ingress[event].triggerIsHandler, true, event);
      }
      assert.equal(plain.oneResource, false);
    }
  });
});
