'use strict';
// Owns: the names of ctxframe's node:diagnostics_channel channels. The kit publishes on them
// only when someone subscribes (`channel.hasSubscribers`), so they cost nothing otherwise;
// ctxframe/doctor is the subscriber that ships with the package.
//
//   ctxframe:context:missing   { context, storage, api }  a read that expects a context found none:
//                              api is 'current()', 'assertContext()', 'with()' or the log
//                              integration ('pino', 'winston') that wrote a line without one
//   ctxframe:request:start     { context, store }          ingress entered a request's context
//   ctxframe:request:end       { context, store, aborted } the request's response finished or closed

const dc = require('node:diagnostics_channel');

const contextMissing = dc.channel('ctxframe:context:missing');
const requestStart = dc.channel('ctxframe:request:start');
const requestEnd = dc.channel('ctxframe:request:end');

module.exports = { contextMissing, requestStart, requestEnd };
