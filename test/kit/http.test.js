'use strict';
// ctxframe/http ingress: the shared behaviour suite on a real http server, plus http-specific checks.

const { ingressSuite } = require('./ingress-suite.js');

describe('kit/http', () => {
  ingressSuite('http');
});
