'use strict';
// ctxframe/outbound: propagates the current request context to outgoing calls: every
// node:http/https request and every fetch/undici request made inside a context gets
// `x-request-id` and W3C `traceparent`/`tracestate`. Calls outside a context are untouched and a
// header the caller set is never overridden.
// Owns: installOutbound()/uninstallOutbound(), their options, and the reference-counted hooks.
// The mechanism is chosen once, when the first installation is made: channels.js for fetch/undici
// and (where Node publishes `http.client.request.created`) node:http; wrap-http.js for node:http
// elsewhere (Node 20) or with mode 'patch'. What gets added is decided in headers.js.

const { withCode, invalidArgType, invalidArgValue } = require('../../errors.js');
const { validateOptions, validateBoolean, validateHeaderName, contextOption } = require('../../validators.js');
const { installations } = require('./headers.js');
const { normalizeBaggageOption } = require('../baggage.js');
const { HTTP_CREATED, httpPublishesCreated, subscribeUndici, subscribeHttpCreated } = require('./channels.js');

// The installed hooks while installations is not empty: { mechanism, mode, undo: [fn] }.
let hooks = null;

function installHooks(mode) {
  const created = httpPublishesCreated();
  if (mode === 'channel' && !created) {
    throw withCode(Error, 'CTXFRAME_OUTBOUND_UNSUPPORTED',
      `Node ${process.version} does not publish "${HTTP_CREATED}" before request headers are sent; ` +
      'use mode "auto" or "patch".');
  }
  const httpMode = mode === 'patch' || !created ? 'patch' : 'channel';
  const undo = [subscribeUndici()];
  if (httpMode === 'channel') {
    undo.push(subscribeHttpCreated());
  } else {
    undo.push(...require('./wrap-http.js').wrapHttpRequests());
  }
  hooks = { mechanism: Object.freeze({ http: httpMode, fetch: 'channel' }), mode, undo };
}

function removeHooks() {
  if (hooks === null) return;
  const { undo } = hooks;
  hooks = null;
  for (let i = undo.length - 1; i >= 0; i--) undo[i]();
}

function normalizeOptions(options) {
  options = validateOptions('options', options, ['context', 'requestIdHeader', 'traceparent', 'openTelemetry', 'baggage', 'mode']);
  const context = contextOption(options, ['currentOrNull']);
  let requestIdHeader = options.requestIdHeader === undefined ? 'x-request-id' : options.requestIdHeader;
  if (requestIdHeader !== false) {
    if (typeof requestIdHeader !== 'string') {
      throw invalidArgType('options.requestIdHeader', 'a header name or false', requestIdHeader);
    }
    requestIdHeader = validateHeaderName('options.requestIdHeader', requestIdHeader).toLowerCase();
  }
  const traceparent = validateBoolean('options.traceparent', options.traceparent, true);
  const mode = options.mode === undefined ? 'auto' : options.mode;
  if (mode !== 'auto' && mode !== 'channel' && mode !== 'patch') {
    throw invalidArgValue('options.mode', mode, "must be 'auto', 'channel' or 'patch'");
  }
  const openTelemetry = validateBoolean('options.openTelemetry', options.openTelemetry, true);
  const baggage = normalizeBaggageOption('options.baggage', options.baggage);
  return { context, requestIdHeader, traceparent, openTelemetry, baggage, mode };
}

// installOutbound(options?) -> { uninstall(), mechanism }. Each call is one installation; the
// hooks go in with the first and come out with the last (reference counting), so two libraries
// may both install and either may uninstall without breaking the other.
function installOutbound(options) {
  const inst = normalizeOptions(options);
  if (hooks === null) {
    installHooks(inst.mode);
  } else if (inst.mode !== 'auto' && inst.mode !== hooks.mechanism.http) {
    throw withCode(Error, 'CTXFRAME_OUTBOUND_MODE_CONFLICT',
      `Outbound propagation is already installed with http mode "${hooks.mechanism.http}"; ` +
      `cannot also install with mode "${inst.mode}".`);
  }
  installations.add(inst);
  const { mechanism } = hooks;
  let installed = true;
  return {
    mechanism,
    uninstall() {
      if (!installed) return;
      installed = false;
      if (installations.delete(inst) && installations.size === 0) removeHooks();
    },
  };
}

// Removes every installation and all hooks at once (shutdown, tests). Handles already handed
// out become no-ops.
function uninstallOutbound() {
  installations.clear();
  removeHooks();
}

function isOutboundInstalled() {
  return hooks !== null;
}

module.exports = {
  installOutbound,
  uninstallOutbound,
  isOutboundInstalled,
};
