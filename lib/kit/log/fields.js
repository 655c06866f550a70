'use strict';
// Owns: the context fields a log line gets — contextFieldPicker(options, where) validates
// { context, fields, key } and returns pick(), which copies the selected fields of the current
// context into a fresh object (null outside one). Logger-neutral: ctxframe/pino and
// ctxframe/winston build on it.

const { WELL_KNOWN_FIELDS } = require('../context.js');
const { contextOption } = require('../context-option.js');
const { invalidArgType, invalidArgValue } = require('../../errors.js');
const { contextMissing } = require('../../channels.js');

// Validates { context, fields, key } and returns a function that
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

module.exports = { contextFieldPicker };
