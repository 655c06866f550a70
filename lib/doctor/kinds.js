'use strict';
// Owns: the kinds of async boundary doctor names, what each means, and its fix. The anchors
// point into docs/doctor.md, which shows each pattern before and after the fix.

// Shipped in the package (package.json "files" has docs/).
const DOCS = 'ctxframe/docs/doctor.md';

const KINDS = Object.freeze({
  pool: {
    title: 'a connection pool or other object that keeps callbacks',
    why: 'the connection was opened (or the pooled object handed back) in another context — at ' +
      'startup, or in the request that created or released it — and the callback runs there, ' +
      'not in the context that asked for it',
    fix: 'wrap the callback with AsyncLocalStorage.bind(cb) where you hand it to the pool, or use ' +
      'the promise API (await keeps the context); a pool library should run each checkout in its ' +
      'own AsyncResource (one per checkout, runInAsyncScope around the callback)',
  },
  emitter: {
    title: 'an EventEmitter listened to outside the request',
    why: 'listeners run in the context of the code that calls emit(), not of the code that ' +
      'called on()',
    fix: 'register AsyncLocalStorage.bind(listener), or give the emitter its context with ' +
      'EventEmitterAsyncResource',
  },
  queue: {
    title: 'a user-level queue or batcher',
    why: 'the callback was stored and is called later from the code that drains the queue, in ' +
      "that code's context",
    fix: 'store AsyncLocalStorage.snapshot() (or bind the callback) with each queued item and run ' +
      'the item inside it, or queue through ctxframe/gate, which carries each caller\'s context',
  },
  timer: {
    title: 'a timer or interval started outside the request, or outliving it',
    why: 'a timer runs in the context that created it: one started at startup has no request ' +
      'context, one started by a request keeps that request\'s context for as long as it runs',
    fix: 'start per-request timers inside the request; for work a startup timer does on behalf ' +
      'of requests, store AsyncLocalStorage.snapshot() with each piece of work and run it inside',
  },
  'native-callback': {
    title: 'a native addon calling back without a callback scope',
    why: 'the addon called into JavaScript with napi_call_function from its own thread-safe or ' +
      'libuv callback, so Node had no async context to restore',
    fix: 'ask the addon to create an async context (napi_async_init) when the callback is ' +
      'registered and to call it with napi_make_callback, or use a thread-safe function; until ' +
      'then wrap the callback with AsyncLocalStorage.bind(cb)',
  },
  thenable: {
    title: 'a thenable (a non-native promise)',
    why: 'the promise library keeps its own list of then() callbacks and runs them from ' +
      'whichever context settles the promise',
    fix: 'await it (await adopts the thenable into a native promise that keeps the context) or ' +
      'wrap it with Promise.resolve(thenable) before calling then(); bind callbacks you pass to it',
  },
  'before-ingress': {
    title: 'a hook or middleware that runs before the request enters its context',
    why: 'the framework called it for this request before ctxframe\'s ingress (plugin or ' +
      'middleware) entered the request\'s context: it was registered before the ingress',
    fix: 'register ctxframe\'s ingress first (app.register(fastifyRequestContext) before other ' +
      'onRequest hooks, app.use(requestContextMiddleware()) before other middleware), or move ' +
      'this work to a later hook',
  },
  'stored-resolve': {
    title: 'a promise awaited outside the request and resolved by it',
    why: "a `new Promise` executor stored `resolve` for later; the code awaiting that promise " +
      'runs in the context where it awaited (for example a loop started at startup), not in ' +
      'the context that called resolve()',
    fix: 'pass AsyncLocalStorage.snapshot() along with the value you resolve and run the ' +
      'handling inside it, or hand work over through ctxframe/gate',
  },
  'async-resource': {
    title: 'an async resource created outside the request',
    why: 'the callback belongs to an async resource created in another context',
    fix: 'create the resource inside the request, or bind its callback with ' +
      'AsyncLocalStorage.bind()',
  },
});

// Libraries with their own switch for async context, named in the fix when they called back.
const LIBRARY_FIXES = Object.freeze({
  bluebird: {
    thenable: 'turn on Bluebird\'s async hooks once at startup — Promise.config({ asyncHooks: true }) ' +
      '(Bluebird 3.7+), so each then() callback runs in the context it was registered in — or ' +
      'adopt the value into a native promise (await it, or Promise.resolve(bluebirdPromise).then(...))',
  },
});

function kindInfo(kind, library) {
  const info = KINDS[kind];
  const special = library ? LIBRARY_FIXES[library] : undefined;
  const fix = special !== undefined && special[kind] !== undefined ? special[kind] : info.fix;
  return { ...info, fix, docs: `${DOCS}#${kind}` };
}

module.exports = { KINDS, kindInfo, DOCS, LIBRARY_FIXES };
