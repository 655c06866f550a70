'use strict';
// Owns: the context fields a log line gets, for every logger — contextFieldPicker() validates
// { context, fields, key, reservedKeys } and returns pick(), which copies the selected fields of
// the current context into a fresh object (null outside one), and the rule that keeps context
// from forging the logger's own keys: a field named like one of them (pino's `level`, `time`,
// `msg`…, winston's `level`, `message`…) is written as `ctx_<name>` instead, and left out when
// the context also has a field of that prefixed name. Nested under `key`, fields keep their names.
// Logger-neutral: ctxframe/pino and ctxframe/winston build on it.

const { WELL_KNOWN_FIELDS } = require('../context.js');
const { invalidArgType, invalidArgValue } = require('../../errors.js');
const { validateOptions, contextOption } = require('../../validators.js');
const { contextMissing } = require('../../channels.js');

const { defineProperty } = Object;

const PREFIX = 'ctx_';

function validateNames(name, value) {
  if (!Array.isArray(value) || value.some((f) => typeof f !== 'string' || f.length === 0)) {
    throw invalidArgType(name, 'an array of field names', value);
  }
  return value;
}

// The name a context field is written under at the top level of a log line, or null when it
// must be left out (its prefixed name is a field of the context too).
function outputName(name, reserved, hasField) {
  if (!reserved.has(name)) return name;
  const prefixed = `${PREFIX}${name}`;
  return hasField(prefixed) ? null : prefixed;
}

// contextFieldPicker(options, where, loggerKeys) -> { pick, key }
// loggerKeys: the keys the logger writes itself (its level, time, message…).
function contextFieldPicker(options, where, loggerKeys) {
  options = validateOptions('options', options, ['context', 'fields', 'reservedKeys', 'key']);
  const context = contextOption(options, ['currentOrNull']);
  let fields = options.fields === undefined ? WELL_KNOWN_FIELDS : options.fields;
  if (fields !== 'all') {
    if (!Array.isArray(fields) || fields.some((f) => typeof f !== 'string' || f.length === 0)) {
      throw invalidArgType('options.fields', "an array of field names or 'all'", fields);
    }
    fields = [...new Set(fields)];
  }
  const reserved = new Set(loggerKeys);
  if (options.reservedKeys !== undefined) {
    for (const name of validateNames('options.reservedKeys', options.reservedKeys)) reserved.add(name);
  }
  const key = options.key;
  if (key !== undefined) {
    if (typeof key !== 'string' || key.length === 0) {
      throw invalidArgValue('options.key', key, `must be a non-empty string (${where})`);
    }
    if (reserved.has(key)) {
      throw invalidArgValue('options.key', key, `must not be one of the logger's own keys (${[...reserved].join(', ')})`);
    }
  }

  const listed = fields === 'all' ? null : new Set(fields);

  function pick() {
    const ctx = context.currentOrNull();
    if (ctx === null || ctx === undefined) {
      if (contextMissing.hasSubscribers) {
        contextMissing.publish({ context: context.name, storage: context.storage, api: where === 'pinoMixin' ? 'pino' : 'winston' });
      }
      return null;
    }
    // Would the context write a field of this name itself?
    const writes = (n) => Object.prototype.hasOwnProperty.call(ctx, n) && ctx[n] !== undefined &&
      (listed === null || listed.has(n));
    const out = {};
    let any = false;
    const names = fields === 'all' ? Object.keys(ctx) : fields;
    for (let i = 0; i < names.length; i++) {
      const name = names[i];
      const value = ctx[name];
      if (value === undefined || !Object.prototype.hasOwnProperty.call(ctx, name)) continue;
      let as = name;
      if (key === undefined && reserved.has(name)) {
        as = outputName(name, reserved, writes);
        if (as === null) continue;
      }
      // defineProperty: a "__proto__" field is written as a field, never as out's prototype.
      defineProperty(out, as, { value, enumerable: true, writable: true, configurable: true });
      any = true;
    }
    return any ? out : null;
  }
  return { pick, key };
}

module.exports = { contextFieldPicker };
