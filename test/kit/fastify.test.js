'use strict';
// ctxframe/fastify ingress: the shared behaviour suite on a real fastify server, plus fastify-specific checks.

const { ingressSuite } = require('./ingress-suite.js');

describe('kit/fastify', () => {
  ingressSuite('fastify');
});
