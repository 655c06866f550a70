'use strict';
// ctxframe/pino — a pino `mixin` that adds the current request context's fields to every log
// line, and nothing outside a context. pino is not required here: the mixin is a plain function.

const { WELL_KNOWN_FIELDS } = require('../context.js');
const { contextOption } = require('../context-option.js');
const { invalidArgType, invalidArgValue } = require('../../errors.js');
const { contextMissing } = require('../../channels.js');

// Shared by pino and winston: validates { context, fields, key } and returns a function that
// copies the selected fields of the current context into a fresh object (null outside one).
function contextFieldPicker(options, where) {
  if (options === undefined) options = {};
  if (options === null || typeof options !== 'object') {
    throw invalidArgType('options', 'of type object', options);
  }
  const context = contextOption(options, ['currentOrNull']);
  let fields = options.fields === undefined ? WELL_KNOWN_FIELDS : options.fields;
  if (fields !== 'all') {
    if (!Array.isArray(fields) || fields.some((f) => typeof f !== 'string' || f.length === 0)) {
      throw invalidArgType('options.fields', "an array of field names or 'all'", fields);
    }
    fields = [...new Set(fields)];
  }
  const key = options.key;
  if (key !== undefined && (typeof key !== 'string' || key.length === 0)) {
    throw invalidArgValue('options.key', key, `must be a non-empty string (${where})`);
  }
  function pick() {
    const ctx = context.currentOrNull();
    if (ctx === null || ctx === undefined) {
      if (contextMissing.hasSubscribers) {
        contextMissing.publish({ context: context.name, storage: context.storage, api: where === 'pinoMixin' ? 'pino' : 'winston' });
      }
      return null;
    }
    const out = {};
    let any = false;
    const names = fields === 'all' ? Object.keys(ctx) : fields;
    for (let i = 0; i < names.length; i++) {
      const name = names[i];
      const value = ctx[name];
      if (value !== undefined && Object.prototype.hasOwnProperty.call(ctx, name)) {
        out[name] = value;
        any = true;
      }
    }
    return any ? out : null;
  }
  return { pick, key };
}

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

module.exports = { pinoMixin, pinoOptions, contextFieldPicker };
