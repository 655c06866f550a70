'use strict';
// NestJS 11 on Express and on Fastify with ctxframe's ingress, as docs/nestjs.md sets it up: a
// guard that enriches the context after authenticating, an interceptor and a service reading it,
// a job carrying it, and nestjs-cls beside it — with concurrent requests whose users must never
// cross. Decorators are applied with Reflect.decorate (no TypeScript step).

require('reflect-metadata');
const assert = require('node:assert/strict');
const { setTimeout: sleep } = require('node:timers/promises');
const { Module, Controller, Get, Injectable, Inject, UseGuards, UseInterceptors, UnauthorizedException } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { FastifyAdapter } = require('@nestjs/platform-fastify');
const { ClsModule, ClsService } = require('nestjs-cls');
const { map } = require('rxjs');
const { requestContextMiddleware } = require('ctxframe/express');
const { fastifyRequestContext } = require('ctxframe/fastify');
const { requestContext } = require('ctxframe/context');
const { injectContext, wrapProcessor } = require('ctxframe/jobs');

const decorateMethod = (decorators, Class, name) =>
  Reflect.decorate(decorators, Class.prototype, name, Object.getOwnPropertyDescriptor(Class.prototype, name));

function buildModule(queue) {
  class User {
    constructor(id) { this.id = id; }
  }

  class AuthGuard {
    constructor(cls) { this.cls = cls; }
    async canActivate(execution) {
      const req = execution.switchToHttp().getRequest();
      const token = String(req.headers.authorization || '').replace(/^Bearer /, '');
      await sleep(Number(req.headers['x-delay'] || 0)); // verifying the token
      if (!/^tok-\d+$/.test(token)) throw new UnauthorizedException();
      const n = token.slice(4);
      this.cls.set('user', new User(`user-${n}`));
      requestContext.enrich({ userId: `user-${n}`, roles: [`role-${n}`] });
      return true;
    }
  }
  Inject(ClsService)(AuthGuard, undefined, 0);
  Reflect.decorate([Injectable()], AuthGuard);

  class ContextInterceptor {
    intercept(execution, next) {
      const before = requestContext.get('userId');
      const res = execution.switchToHttp().getResponse();
      return next.handle().pipe(map((body) => {
        res.header('x-user-id', requestContext.get('userId'));
        return { ...body, interceptorBefore: before, interceptorAfter: requestContext.get('userId') };
      }));
    }
  }
  Reflect.decorate([Injectable()], ContextInterceptor);

  class OrdersService {
    constructor(cls) { this.cls = cls; }
    async place(sku) {
      await sleep(1);
      queue.push(JSON.stringify(injectContext({ sku })));
      return {
        requestId: requestContext.get('requestId'),
        userId: requestContext.get('userId'),
        roles: requestContext.get('roles'),
        clsUser: this.cls.get('user').id,
        clsId: this.cls.getId(),
      };
    }
  }
  Inject(ClsService)(OrdersService, undefined, 0);
  Reflect.decorate([Injectable()], OrdersService);

  class OrdersController {
    constructor(orders) { this.orders = orders; }
    place() { return this.orders.place('sku-1'); }
  }
  Inject(OrdersService)(OrdersController, undefined, 0);
  decorateMethod([Get('place')], OrdersController, 'place');
  Reflect.decorate([Controller('orders'), UseGuards(AuthGuard), UseInterceptors(ContextInterceptor)], OrdersController);

  class AppModule {}
  Reflect.decorate([Module({
    imports: [ClsModule.forRoot({
      global: true,
      middleware: { mount: true, generateId: true, idGenerator: (req) => requestContext.get('requestId') ?? req.id },
    })],
    controllers: [OrdersController],
    providers: [OrdersService],
  })], AppModule);
  return AppModule;
}

async function start(platform, AppModule) {
  if (platform === 'express') {
    const app = await NestFactory.create(AppModule, { logger: false });
    app.use(requestContextMiddleware());
    return app;
  }
  const app = await NestFactory.create(AppModule, new FastifyAdapter(), { logger: false });
  await app.register(fastifyRequestContext);
  return app;
}

describe('kit/nestjs (Nest 11)', () => {
  for (const platform of ['express', 'fastify']) {
    it(`${platform}: a guard enriches, interceptor/service/job/nestjs-cls see only their own request`, async () => {
      const queue = [];
      const app = await start(platform, buildModule(queue));
      await app.listen(0, '127.0.0.1');
      const url = `${await app.getUrl()}/orders/place`;
      const processJob = wrapProcessor(async (payload) => ({ sku: payload.sku, userId: requestContext.get('userId'), requestId: requestContext.get('requestId') }));
      try {
        const total = 60;
        const results = await Promise.all(Array.from({ length: total }, async (_, i) => {
          const res = await fetch(url, { headers: { authorization: `Bearer tok-${i}`, 'x-request-id': `nest-${i}`, 'x-delay': String(i % 6) } });
          return { i, status: res.status, body: await res.json(), user: res.headers.get('x-user-id'), id: res.headers.get('x-request-id') };
        }));
        for (const { i, status, body, user, id } of results) {
          assert.equal(status, 200, JSON.stringify(body));
          assert.equal(id, `nest-${i}`);
          assert.equal(user, `user-${i}`);
          assert.deepEqual(body, {
            requestId: `nest-${i}`, userId: `user-${i}`, roles: [`role-${i}`], clsUser: `user-${i}`, clsId: `nest-${i}`,
            interceptorBefore: `user-${i}`, interceptorAfter: `user-${i}`,
          });
        }
        assert.equal(queue.length, total);
        const jobs = await Promise.all(queue.map((p) => processJob(JSON.parse(p))));
        for (const job of jobs) assert.equal(job.userId, `user-${job.requestId.slice(5)}`);
        const denied = await fetch(url, { headers: { 'x-request-id': 'nest-denied' } });
        assert.equal(denied.status, 401);
        assert.equal(denied.headers.get('x-request-id'), 'nest-denied');
        await denied.arrayBuffer();
      } finally {
        await app.close();
      }
    });
  }
});
