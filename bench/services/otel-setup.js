'use strict';
// OpenTelemetry as the services benchmark runs it: the Node SDK with the auto-instrumentations
// (fs, dns and net off, as most services configure them), spans batched and exported as OTLP
// (protobuf over HTTP) to the benchmark's loopback collector (BENCH_COLLECTOR). Preloaded with
// `node -r ./otel-setup.js`, after `-r ctxframe/register` on the register side.
const { NodeSDK } = require('@opentelemetry/sdk-node');
const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-proto');
const { getNodeAutoInstrumentations } = require('@opentelemetry/auto-instrumentations-node');

const sdk = new NodeSDK({
  serviceName: 'ctxframe-bench-services',
  traceExporter: new OTLPTraceExporter({ url: `${process.env.BENCH_COLLECTOR}/v1/traces` }),
  instrumentations: [getNodeAutoInstrumentations({
    '@opentelemetry/instrumentation-fs': { enabled: false },
    '@opentelemetry/instrumentation-dns': { enabled: false },
    '@opentelemetry/instrumentation-net': { enabled: false },
  })],
  resourceDetectors: [],
});
sdk.start();
