'use strict';
// ctxframe/pino. Owns: a pino `mixin` that adds the current request context's fields to every log
// line, and nothing outside a context. pino is not required here: the mixin is a plain function.

const { contextFieldPicker } = require('./fields.js');

// pinoMixin(options?) -> (mergeObject, level, logger) => object, for pino({ mixin }).
// Log-call fields win over the mixin's (pino's default merge strategy).
function pinoMixin(options) {
  const { pick, key } = contextFieldPicker(options, 'pinoMixin');
  return function ctxframeMixin() {
    const picked = pick();
    // pino merges the log call's object INTO what we return: always a fresh object.
    if (picked === null) return {};
    return key === undefined ? picked : { [key]: picked };
  };
}

// pinoOptions(options?) -> { mixin }: spread into pino's options.
function pinoOptions(options) {
  return { mixin: pinoMixin(options) };
}

module.exports = { pinoMixin, pinoOptions };
