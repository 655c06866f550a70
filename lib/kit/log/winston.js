'use strict';
// ctxframe/winston. Owns: a winston format that adds the current request context's fields to every
// log entry: nothing outside a context, and never a field the log call set itself.
// winston is required lazily, when contextFormat() is called.

const { contextFieldPicker } = require('./fields.js');

// What winston and its usual formats write themselves: a context field of one of these names
// is written as ctx_<name> (options.reservedKeys adds others).
const WINSTON_KEYS = Object.freeze(['level', 'message', 'timestamp', 'label', 'ms', 'stack', 'splat']);

// A "__proto__" field stays a field of the entry, never its prototype.
function setField(info, name, value) {
  Object.defineProperty(info, name, { value, enumerable: true, writable: true, configurable: true });
}

// contextFormat(options?) -> a winston Format instance; use it in winston.format.combine(...).
function contextFormat(options) {
  const { pick, key } = contextFieldPicker(options, 'contextFormat', WINSTON_KEYS);
  const { format } = require('winston');
  const addContextFields = format((info) => {
    const picked = pick();
    if (picked === null) return info;
    if (key !== undefined) {
      if (!Object.prototype.hasOwnProperty.call(info, key)) setField(info, key, picked);
      return info;
    }
    for (const name of Object.keys(picked)) {
      if (!Object.prototype.hasOwnProperty.call(info, name)) setField(info, name, picked[name]);
    }
    return info;
  });
  return addContextFields();
}

module.exports = { contextFormat, WINSTON_KEYS };
