'use strict';
// ctxframe/koa ingress: the shared behaviour suite on a real koa server, plus koa-specific checks.

const { ingressSuite } = require('../support/ingress-suite.js');

describe('kit/koa', () => {
  ingressSuite('koa');
});
