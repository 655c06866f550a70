'use strict';
// Errors with stable codes, shaped like Node's own (`err.code`, `[CODE]` in the name
// shown by util.inspect). Shared by the core and every kit module.

const { inspect } = require('node:util');

function withCode(Base, code, message) {
  const err = new Base(message);
  Object.defineProperty(err, 'code', {
    value: code, enumerable: false, writable: true, configurable: true,
  });
  // Error.captureStackTrace already ran in the constructor; name it like Node does.
  Object.defineProperty(err, 'name', {
    value: `${Base.name}`, enumerable: false, writable: true, configurable: true,
  });
  return err;
}

// Describe a received value the way Node's ERR_INVALID_ARG_TYPE does.
function describeReceived(value) {
  if (value == null) return ` Received ${value}`;
  if (typeof value === 'function') {
    return ` Received function ${value.name || '<anonymous>'}`;
  }
  if (typeof value === 'object') {
    if (value.constructor && value.constructor.name) {
      return ` Received an instance of ${value.constructor.name}`;
    }
    return ` Received ${inspect(value, { depth: -1 })}`;
  }
  let shown = inspect(value, { colors: false });
  if (shown.length > 28) shown = `${shown.slice(0, 25)}...`;
  return ` Received type ${typeof value} (${shown})`;
}

// new TypeError('The "name" argument must be of type function. Received ...')
function invalidArgType(name, expected, value) {
  const kind = name.includes('.') ? 'property' : 'argument';
  return withCode(TypeError, 'ERR_INVALID_ARG_TYPE',
    `The "${name}" ${kind} must be ${expected}.${describeReceived(value)}`);
}

function invalidArgValue(name, value, reason = 'is invalid') {
  const kind = name.includes('.') ? 'property' : 'argument';
  return withCode(TypeError, 'ERR_INVALID_ARG_VALUE',
    `The ${kind} '${name}' ${reason}. Received ${inspect(value)}`);
}

function outOfRange(name, range, value) {
  return withCode(RangeError, 'ERR_OUT_OF_RANGE',
    `The value of "${name}" is out of range. It must be ${range}. Received ${inspect(value)}`);
}

module.exports = {
  withCode,
  invalidArgType,
  invalidArgValue,
  outOfRange,
};
