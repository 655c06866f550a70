'use strict';
// Owns: one server per (framework, context mechanism) of the peers benchmark, each written the way
// a user of that mechanism would write it.
//
//   frameworks: http (node:http), express (5), fastify (5), koa (3)
//   mechanisms:
//     none    no context: the hook/middleware computes the same ids and passes them on the request
//     kit     ctxframe's ingress with its defaults (id kept or made, echoed, trace continuation,
//             resolve() for tenant and user) and requestContext.current()/with() in the handler
//     kit-notrace  the same with `trace: false`: what trace continuation costs, by difference
//     kit-server   (express) the kit around the whole app at the server (ctxframe/express's
//             withRequestContext(app)) instead of as its first middleware
//     frc     @fastify/request-context (fastify only): defaultStoreValues(req), get/set
//     als-N   a minimal hand-written AsyncLocalStorage middleware; N libraries each own a storage
//             and wrap the request in its run() (storage 0 holds the request context); an added
//             value is a run() of a shallow copy
//     cls     cls-hooked: namespace.run() with bound req/res, set()/get(), runAndReturn() to add
// Every server answers GET /work with `ok <request id>` and the id in x-request-id; its handler
// runs request.js's work(), which throws (500) when the context read is not this request's.
// `+register` variants are the same code started with `-r ctxframe/register` (see plan.js).

const { identify, work, check } = require('./request.js');

const HEADER = 'x-request-id';
const resolve = (req) => ({ tenantId: req.headers['x-tenant-id'], userId: req.headers['x-user-id'] });

// { wrap(headers, setHeader, next), api(headers) } for a mechanism: wrap runs next() inside the
// request's context; api(...) is what the handler reads and adds with.
function alsMechanism(count) {
  const { AsyncLocalStorage } = require('node:async_hooks');
  const storages = Array.from({ length: count }, () => new AsyncLocalStorage());
  const libraryStores = storages.map((_, i) => ({ library: i }));
  const first = storages[0];
  const last = storages[count - 1];
  function runFrom(i, ctx, next) {
    if (i === count) return next();
    return storages[i].run(i === 0 ? ctx : libraryStores[i], runFrom, i + 1, ctx, next);
  }
  const api = {
    read() {
      if (count > 1 && last.getStore() !== libraryStores[count - 1]) throw new Error('a library lost its store');
      return first.getStore();
    },
    add: (fields, fn) => first.run({ ...first.getStore(), ...fields }, fn),
  };
  return {
    backend: backendOf(AsyncLocalStorage),
    wrap(headers, setHeader, next) {
      const ctx = identify(headers);
      setHeader(HEADER, ctx.requestId);
      return runFrom(0, ctx, next);
    },
    api: () => api,
  };
}

function clsMechanism() {
  const cls = require('cls-hooked');
  const ns = cls.createNamespace('peers-bench');
  const api = {
    read: () => ns.get('ctx'),
    add: (fields, fn) => ns.runAndReturn(() => {
      ns.set('ctx', { ...ns.get('ctx'), ...fields });
      return fn();
    }),
  };
  return {
    backend: 'cls-hooked',
    bindEmitters(req, res) {
      ns.bindEmitter(req);
      ns.bindEmitter(res);
    },
    wrap(headers, setHeader, next) {
      return ns.runAndReturn(() => {
        const ctx = identify(headers);
        ns.set('ctx', ctx);
        setHeader(HEADER, ctx.requestId);
        return next();
      });
    },
    api: () => api,
  };
}

function noneMechanism() {
  return {
    backend: 'none',
    wrap(headers, setHeader, next, holder) {
      const ctx = identify(headers);
      setHeader(HEADER, ctx.requestId);
      holder.benchCtx = ctx;
      return next();
    },
    api(holder) {
      return {
        read: () => holder.benchCtx,
        add(fields, fn) {
          holder.benchCtx = { ...holder.benchCtx, ...fields };
          return fn();
        },
      };
    },
  };
}

const isKit = (name) => name === 'kit' || name === 'kit-notrace' || name === 'kit-enrich';
const kitOptions = (name) => (name === 'kit-notrace' ? { resolve, trace: false } : { resolve });

// kit-enrich adds the value with enrich() (to the request, no callback), as after authentication.
function kitApi(name) {
  const { requestContext } = require('ctxframe/context');
  if (name === 'kit-enrich') {
    return { read: () => requestContext.current(), add: (fields, fn) => { requestContext.enrich(fields); return fn(); } };
  }
  return { read: () => requestContext.current(), add: (fields, fn) => requestContext.with(fields, fn) };
}

function backendOf(AsyncLocalStorageClass) {
  const ctxframe = require.cache[require.resolve('ctxframe')];
  return ctxframe && ctxframe.exports.AsyncLocalStorage === AsyncLocalStorageClass ? ctxframe.exports.backend : 'node';
}

function mechanism(name) {
  if (name === 'none') return noneMechanism();
  if (name === 'cls') return clsMechanism();
  const m = /^als-(\d+)$/.exec(name);
  if (m) return alsMechanism(Number(m[1]));
  throw new Error(`mechanism "${name}" has no generic form`);
}

function fail(res, err) {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.statusCode = 500;
  res.end(String(err && err.message));
}

// ---- node:http ---------------------------------------------------------------------------
function httpApp(name) {
  const http = require('node:http');
  const answer = (res, body) => {
    res.setHeader('content-type', 'text/plain');
    res.end(body);
  };
  if (isKit(name)) {
    const { withRequestContext } = require('ctxframe/http');
    const api = kitApi(name);
    const handler = (req, res) => work(api, req.headers).then((body) => answer(res, body), (err) => fail(res, err));
    return { server: http.createServer(withRequestContext(handler, kitOptions(name))), backend: require('ctxframe').backend };
  }
  const mech = mechanism(name);
  const server = http.createServer((req, res) => {
    if (mech.bindEmitters) mech.bindEmitters(req, res);
    mech.wrap(req.headers, (k, v) => res.setHeader(k, v), () => work(mech.api(req), req.headers)
      .then((body) => answer(res, body), (err) => fail(res, err)), req);
  });
  return { server, backend: mech.backend };
}

// ---- Express 5 ---------------------------------------------------------------------------
function expressApp(name) {
  const express = require('express');
  const app = express();
  app.set('etag', false);
  app.set('x-powered-by', false);
  let api;
  let backend;
  let wrapApp = (handler) => handler;
  if (name === 'kit-server') {
    const { withRequestContext } = require('ctxframe/express');
    wrapApp = (handler) => withRequestContext(handler, kitOptions(name));
    const kit = kitApi(name);
    api = () => kit;
    backend = require('ctxframe').backend;
  } else if (isKit(name)) {
    app.use(require('ctxframe/express').requestContextMiddleware(kitOptions(name)));
    const kit = kitApi(name);
    api = () => kit;
    backend = require('ctxframe').backend;
  } else {
    const mech = mechanism(name);
    app.use((req, res, next) => {
      if (mech.bindEmitters) mech.bindEmitters(req, res);
      mech.wrap(req.headers, (k, v) => res.setHeader(k, v), next, req);
    });
    api = (req) => mech.api(req);
    backend = mech.backend;
  }
  app.get('/work', async (req, res) => {
    res.type('text/plain').send(await work(api(req), req.headers));
  });
  app.use((err, req, res, next) => fail(res, err)); // eslint-disable-line no-unused-vars
  return { server: require('node:http').createServer(wrapApp(app)), backend };
}

// ---- Koa 3 -------------------------------------------------------------------------------
function koaApp(name) {
  const Koa = require('koa');
  const app = new Koa();
  app.silent = true;
  let api;
  let backend;
  if (isKit(name)) {
    app.use(require('ctxframe/koa').requestContextMiddleware(kitOptions(name)));
    const kit = kitApi(name);
    api = () => kit;
    backend = require('ctxframe').backend;
  } else {
    const mech = mechanism(name);
    app.use((ctx, next) => {
      if (mech.bindEmitters) mech.bindEmitters(ctx.req, ctx.res);
      return mech.wrap(ctx.headers, (k, v) => ctx.set(k, v), next, ctx.state);
    });
    api = (ctx) => mech.api(ctx.state);
    backend = mech.backend;
  }
  app.use(async (ctx) => {
    ctx.type = 'text/plain';
    ctx.body = await work(api(ctx), ctx.headers);
  });
  return { server: require('node:http').createServer(app.callback()), backend };
}

// ---- Fastify 5 ---------------------------------------------------------------------------
function fastifyApp(name) {
  const fastify = require('fastify')({ logger: false });
  let api;
  let backend;
  let echo = false; // true: the handler echoes the id (mechanisms with no header step of their own)
  if (isKit(name)) {
    fastify.register(require('ctxframe/fastify').fastifyRequestContext, kitOptions(name));
    const kit = kitApi(name);
    api = () => kit;
    backend = require('ctxframe').backend;
  } else if (name === 'frc') {
    const frc = require('@fastify/request-context');
    fastify.register(frc.fastifyRequestContext, { defaultStoreValues: (request) => identify(request.headers) });
    const store = {
      read: () => frc.requestContext.getStore(),
      add(fields, fn) {
        for (const key of Object.keys(fields)) frc.requestContext.set(key, fields[key]);
        return fn();
      },
    };
    api = () => store;
    backend = backendOf(frc.asyncLocalStorage.constructor);
    echo = true;
  } else {
    const mech = mechanism(name);
    fastify.decorateRequest('benchCtx', null);
    fastify.addHook('onRequest', (request, reply, done) => {
      mech.wrap(request.headers, (k, v) => reply.header(k, v), done, request);
    });
    api = (request) => mech.api(request);
    backend = mech.backend;
  }
  fastify.get('/work', async (request, reply) => {
    const a = api(request);
    if (echo) reply.header(HEADER, a.read().requestId);
    reply.type('text/plain');
    return work(a, request.headers);
  });
  return { fastify, backend };
}

// Starts the server on 127.0.0.1:0; resolves { port, backend, close() }.
async function startApp(framework, name) {
  if (framework === 'fastify') {
    const { fastify, backend } = fastifyApp(name);
    await fastify.listen({ port: 0, host: '127.0.0.1' });
    return { port: fastify.server.address().port, backend, close: () => fastify.close() };
  }
  const make = { http: httpApp, express: expressApp, koa: koaApp }[framework];
  if (!make) throw new Error(`unknown framework "${framework}"`);
  const { server, backend } = make(name);
  await new Promise((done) => server.listen(0, '127.0.0.1', done));
  return {
    port: server.address().port,
    backend,
    close() {
      server.close();
      server.closeAllConnections();
    },
  };
}

module.exports = { startApp, check };
