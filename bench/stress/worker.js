'use strict';
// Owns: the worker thread of the stress service (bench/stress/service.js). It receives work with
// the sender's request context (ctxframe/worker), checks that it runs in that context across an
// await and a timer, and answers with postWithContext so the reply carries the context back.

const { parentPort } = require('node:worker_threads');
const { setTimeout: sleep } = require('node:timers/promises');
const { onContextMessage, postWithContext } = require('ctxframe/worker');
const { requestContext } = require('ctxframe/context');

onContextMessage(async (msg) => {
  const seen = [requestContext.current().requestId];
  await null;
  seen.push(requestContext.current().requestId);
  await sleep(0);
  seen.push(requestContext.current().requestId);
  const ok = seen.every((id) => id === msg.requestId);
  postWithContext(parentPort, { id: msg.id, ok, seen: ok ? undefined : seen });
});
