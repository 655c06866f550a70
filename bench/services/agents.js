'use strict';
// Owns: the APM agents of the services benchmark — how each is preloaded (with and without
// ctxframe's register, the register first as docs/apm.md says), the environment that points it at
// the loopback collector (downstream.js), and, inside the service, how the handler asks it for the
// current trace (`current()`, the agent's own public API). Nothing leaves the machine: every
// agent exports to the loopback collector, which reads and discards what it gets. Unlike the
// agents test (test/agents), no agent keeps spans in memory: a benchmark that ran for minutes
// would measure a growing heap.

const path = require('node:path');

const REGISTER = path.join(__dirname, '..', '..', 'lib', 'register.js');
const REGISTER_MJS = path.join(__dirname, '..', '..', 'lib', 'register.mjs');
const OTEL_SETUP = path.join(__dirname, 'otel-setup.js');
const SENTRY_SETUP = path.join(__dirname, 'sentry-setup.mjs');

// A fake 40-character license key: the collector it would be sent to is the loopback one.
const NR_KEY = '0000000000000000000000000000000000000000';

// dd-trace 6 and New Relic 14 need Node 22+; on Node 20 the last majors that support it,
// installed under npm aliases (package.json), as in the agents test.
const ddPackage = (major) => (major >= 22 ? 'dd-trace' : 'dd-trace-node20');
const nrPackage = (major) => (major >= 22 ? 'newrelic' : 'newrelic-node20');

// AGENTS[name]: { title, preload(major) → node flags, env(collectorUrl, major) }. `none` has no
// agent: the service alone (its own AsyncLocalStorage for the request id in its logs).
const AGENTS = {
  none: {
    title: 'no agent',
    preload: () => [],
    env: () => ({}),
  },
  otel: {
    title: 'OpenTelemetry SDK + auto-instrumentations',
    preload: () => ['-r', OTEL_SETUP],
    env: (collector) => ({
      BENCH_COLLECTOR: collector,
      OTEL_TRACES_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none',
      OTEL_NODE_RESOURCE_DETECTORS: 'none',
    }),
  },
  dd: {
    title: 'dd-trace',
    preload: (major) => ['-r', `${ddPackage(major)}/init`],
    env: (collector) => ({
      DD_TRACE_AGENT_URL: collector,
      DD_INSTRUMENTATION_TELEMETRY_ENABLED: 'false',
      DD_REMOTE_CONFIGURATION_ENABLED: 'false',
      DD_TRACE_STARTUP_LOGS: 'false',
      DD_RUNTIME_METRICS_ENABLED: 'false',
      DD_PROFILING_ENABLED: 'false',
      DD_CRASHTRACKING_ENABLED: 'false',
      DD_DATA_STREAMS_ENABLED: 'false',
      DD_APPSEC_ENABLED: 'false',
      DD_DYNAMIC_INSTRUMENTATION_ENABLED: 'false',
      DD_SERVICE: 'ctxframe-bench-services',
      DD_TRACE_SAMPLE_RATE: '1',
    }),
  },
  newrelic: {
    title: 'New Relic',
    preload: (major) => ['-r', nrPackage(major)],
    env: (collector) => {
      const { hostname, port } = new URL(collector);
      return {
        NEW_RELIC_NO_CONFIG_FILE: 'true',
        NEW_RELIC_APP_NAME: 'ctxframe-bench-services',
        NEW_RELIC_LICENSE_KEY: NR_KEY,
        NEW_RELIC_HOST: hostname,
        NEW_RELIC_PORT: port,
        NEW_RELIC_LOG_ENABLED: 'false',
        NEW_RELIC_DISTRIBUTED_TRACING_ENABLED: 'true',
        NEW_RELIC_UTILIZATION_DETECT_AWS: 'false',
        NEW_RELIC_UTILIZATION_DETECT_AZURE: 'false',
        NEW_RELIC_UTILIZATION_DETECT_AZURE_FUNCTION: 'false',
        NEW_RELIC_UTILIZATION_DETECT_GCP: 'false',
        NEW_RELIC_UTILIZATION_DETECT_PCF: 'false',
        NEW_RELIC_UTILIZATION_DETECT_DOCKER: 'false',
        NEW_RELIC_UTILIZATION_DETECT_KUBERNETES: 'false',
      };
    },
  },
  elastic: {
    title: 'Elastic APM',
    preload: () => ['-r', 'elastic-apm-node/start'],
    env: (collector) => ({
      ELASTIC_APM_SERVER_URL: collector,
      ELASTIC_APM_SERVICE_NAME: 'ctxframe-bench-services',
      ELASTIC_APM_CENTRAL_CONFIG: 'false',
      ELASTIC_APM_CLOUD_PROVIDER: 'none',
      ELASTIC_APM_METRICS_INTERVAL: '0s',
      ELASTIC_APM_LOG_LEVEL: 'off',
      ELASTIC_APM_CAPTURE_EXCEPTIONS: 'false',
      ELASTIC_APM_TRANSACTION_SAMPLE_RATE: '1',
    }),
  },
  sentry: {
    title: 'Sentry',
    preload: () => ['--import', SENTRY_SETUP],
    env: (collector) => ({ BENCH_COLLECTOR: collector }),
  },
};

// Node flags of a variant: `register` puts ctxframe's register before the agent (the way
// docs/apm.md says: --import for an agent loaded with --import, -r otherwise).
function flagsFor(agent, side, major) {
  const spec = AGENTS[agent];
  const preload = spec.preload(major);
  if (side !== 'register') return preload;
  return preload[0] === '--import' ? ['--import', REGISTER_MJS, ...preload] : ['-r', REGISTER, ...preload];
}

// Inside the service: { traceId, spanId } of the agent's current span, or null.
function currentTrace(agent) {
  const major = Number(process.versions.node.split('.')[0]);
  switch (agent) {
    case 'none': return null;
    case 'otel': {
      const api = require('@opentelemetry/api');
      return () => {
        const span = api.trace.getActiveSpan();
        return span ? span.spanContext() : null;
      };
    }
    case 'dd': {
      const tracer = require(ddPackage(major));
      return () => {
        const span = tracer.scope().active();
        if (!span) return null;
        const ctx = span.context();
        return { traceId: ctx.toTraceId(true), spanId: ctx.toSpanId(true) };
      };
    }
    case 'newrelic': {
      const newrelic = require(nrPackage(major));
      return () => {
        const { traceId, spanId } = newrelic.getTraceMetadata();
        return traceId ? { traceId, spanId } : null;
      };
    }
    case 'elastic': {
      const apm = require('elastic-apm-node');
      return () => {
        const ids = apm.currentTraceIds;
        return ids['trace.id'] ? { traceId: ids['trace.id'], spanId: ids['span.id'] || ids['transaction.id'] } : null;
      };
    }
    case 'sentry': {
      const Sentry = globalThis.Sentry;
      return () => {
        const span = Sentry.getActiveSpan();
        return span ? span.spanContext() : null;
      };
    }
    default: throw new Error(`unknown agent ${agent}`);
  }
}

// The trace id a downstream got in the agent's propagation header (traceparent, or Sentry's
// sentry-trace), 32 lowercase hex digits, or null.
function propagatedTrace(headers) {
  if (headers.traceparent) return String(headers.traceparent).split('-')[1].toLowerCase();
  if (headers['sentry-trace']) return String(headers['sentry-trace']).split('-')[0].toLowerCase();
  return null;
}

const normalTrace = (id) => String(id).toLowerCase().padStart(32, '0');

module.exports = { AGENTS, flagsFor, currentTrace, propagatedTrace, normalTrace, ddPackage, nrPackage };
