'use strict';
// ctxframe/pino. Owns: a pino `mixin` that adds the current request context's fields to every log
// line, and nothing outside a context. pino is not required here: the mixin is a plain function.

const { contextFieldPicker } = require('./fields.js');

// What pino writes itself on every line with its default options: a context field of one of
// these names is written as ctx_<name> (options.reservedKeys adds a custom messageKey, errorKey…).
const PINO_KEYS = Object.freeze(['level', 'time', 'pid', 'hostname', 'name', 'msg', 'err']);

// pinoMixin(options?) -> (mergeObject, level, logger) => object, for pino({ mixin }).
// Log-call fields win over the mixin's (pino's default merge strategy).
function pinoMixin(options) {
  const { pick, key } = contextFieldPicker(options, 'pinoMixin', PINO_KEYS);
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

module.exports = { pinoMixin, pinoOptions, PINO_KEYS };
