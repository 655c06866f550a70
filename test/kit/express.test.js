'use strict';
// ctxframe/express ingress: the shared behaviour suite on a real express server, plus express-specific checks.

const { ingressSuite } = require('./ingress-suite.js');

describe('kit/express', () => {
  ingressSuite('express');
});
