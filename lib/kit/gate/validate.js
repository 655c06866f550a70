'use strict';
// Owns: the argument validation shared by the ctxframe/gate modules: throws Node-shaped
// TypeError/RangeError with stable codes (ERR_INVALID_ARG_TYPE, ERR_OUT_OF_RANGE).

const { invalidArgType, outOfRange } = require('../../errors.js');

// Largest delay setTimeout honours; anything above fires after 1 ms with a warning.
const MAX_TIMER_MS = 2147483647;

function validateFunction(name, value) {
  if (typeof value !== 'function') throw invalidArgType(name, 'of type function', value);
  return value;
}

function validateOptionalFunction(name, value) {
  if (value === undefined) return undefined;
  return validateFunction(name, value);
}

function validateOptions(name, value) {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object') throw invalidArgType(name, 'of type object', value);
  return value;
}

// An integer >= min, or Infinity.
function validateCount(name, value, min, fallback) {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (value === Infinity) return value;
  if (!Number.isInteger(value) || value < min) {
    throw outOfRange(name, `an integer >= ${min} or Infinity`, value);
  }
  return value;
}

// A finite integer >= min (no Infinity).
function validateFiniteCount(name, value, min, fallback) {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (!Number.isInteger(value) || value < min) {
    throw outOfRange(name, `an integer >= ${min}`, value);
  }
  return value;
}

// Milliseconds: undefined or Infinity mean "no timeout".
function validateTimeout(name, value) {
  if (value === undefined || value === Infinity) return undefined;
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (Number.isNaN(value) || value < 0 || value > MAX_TIMER_MS) {
    throw outOfRange(name, `>= 0 and <= ${MAX_TIMER_MS}, or Infinity`, value);
  }
  return value;
}

function validateDelay(name, value) {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (Number.isNaN(value) || value < 0 || value > MAX_TIMER_MS) {
    throw outOfRange(name, `>= 0 and <= ${MAX_TIMER_MS}`, value);
  }
  return value;
}

function validateSignal(name, value) {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object' || typeof value.aborted !== 'boolean' ||
      typeof value.addEventListener !== 'function') {
    throw invalidArgType(name, 'an instance of AbortSignal', value);
  }
  return value;
}

function validateBoolean(name, value, fallback) {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw invalidArgType(name, 'of type boolean', value);
  return value;
}

module.exports = {
  MAX_TIMER_MS,
  validateFunction,
  validateOptionalFunction,
  validateOptions,
  validateCount,
  validateFiniteCount,
  validateTimeout,
  validateDelay,
  validateSignal,
  validateBoolean,
};
