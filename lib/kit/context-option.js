'use strict';
// Owns: the `context` option every kit module takes: the default RequestContext
// (ctxframe/context's requestContext, loaded on first use), or a context type
// that has the methods the module calls. One place for the default and the
// error, so every module refuses a bad context the same way.

const { invalidArgType } = require('../errors.js');

let defaultContext = null;

function contextOption(options, methods) {
  const given = options === undefined || options === null ? undefined : options.context;
  if (given === undefined) {
    if (defaultContext === null) defaultContext = require('./context.js').requestContext;
    return defaultContext;
  }
  if (given === null || typeof given !== 'object' ||
      !methods.every((method) => typeof given[method] === 'function')) {
    throw invalidArgType('options.context', 'a context created by createContext()', given);
  }
  return given;
}

module.exports = { contextOption };
