'use strict';
// Owns: the OpenTelemetry workload of the peers benchmark (one process per measurement).
//   node [flags] bench/peers/otel.js '{"variant":"otel:<manager>[+register]","requests":N,"warmup":N,"depth":20,"concurrency":10}'
// A "request" is a root span and `depth` nested child spans, each opened with startActiveSpan()
// and awaiting inside; `concurrency` requests run at once so their awaits interleave. The SDK is
// @opentelemetry/sdk-trace-base's BasicTracerProvider with a SimpleSpanProcessor into an
// InMemorySpanExporter. Managers:
//   none      no context manager: every span gets its parent by hand (the floor)
//   als       @opentelemetry/context-async-hooks AsyncLocalStorageContextManager
//   hooks     @opentelemetry/context-async-hooks AsyncHooksContextManager
//   ctxframe  ctxframe/otel's CtxframeContextManager
// Every child checks that the active span is its own, and every request checks, when it ends, that
// each span's parent is the span around it: a manager that loses or mixes contexts fails the run.
// Metrics: CPU µs per request (user + system), wall µs per request, req/s.

const api = require('@opentelemetry/api');
const { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { readConfig, report, msSince, cpuMsSince } = require('../lib/child.js');

const config = readConfig();
const manager = config.variant.split(':')[1].replace(/\+register$/, '');

function makeManager(name) {
  if (name === 'none') return null;
  if (name === 'ctxframe') return new (require('ctxframe/otel').CtxframeContextManager)();
  const hooks = require('@opentelemetry/context-async-hooks');
  if (name === 'als') return new hooks.AsyncLocalStorageContextManager();
  if (name === 'hooks') return new hooks.AsyncHooksContextManager();
  throw new Error(`unknown manager "${name}"`);
}

// A service's own long-lived heap: its modules, caches, pools. V8 starts full collections once the
// old generation passes ~8 MB, and this workload alone sits just below that, so without ballast a
// run landed on either side of the threshold (Node 20: 210 or 370 µs per request for the same
// variant) depending on a few hundred kilobytes of loaded code. Every variant carries the same
// ~20 MB, so all of them run in the regime a real service runs in.
const ballast = Array.from({ length: 200000 }, (_, i) => ({ i, name: `entry-${i}` }));

const contextManager = makeManager(manager);
if (contextManager && !api.context.setGlobalContextManager(contextManager.enable())) {
  throw new Error('could not install the context manager');
}
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const tracer = provider.getTracer('peers-bench');

function wrong(what) {
  throw new Error(`otel workload: ${what}`);
}

async function step(i) {
  return i;
}

// With a manager: startActiveSpan, and the active span must be this one after an await.
function childActive(depth, spans) {
  return tracer.startActiveSpan(`child-${depth}`, async (span) => {
    spans.push(span);
    await step(depth);
    if (api.trace.getActiveSpan() !== span) wrong(`active span of child-${depth} is not its own`);
    if (depth > 1) await childActive(depth - 1, spans);
    span.end();
  });
}

function requestActive(depth) {
  return tracer.startActiveSpan('request', async (root) => {
    const spans = [root];
    await childActive(depth, spans);
    if (api.trace.getActiveSpan() !== root) wrong('active span of the request is not the root');
    root.end();
    return spans;
  });
}

// Without a manager: the parent is passed by hand as a context holding it.
async function childByHand(depth, parentContext, spans) {
  const span = tracer.startSpan(`child-${depth}`, undefined, parentContext);
  spans.push(span);
  await step(depth);
  if (depth > 1) await childByHand(depth - 1, api.trace.setSpan(parentContext, span), spans);
  span.end();
}

async function requestByHand(depth) {
  const root = tracer.startSpan('request', undefined, api.ROOT_CONTEXT);
  const spans = [root];
  await childByHand(depth, api.trace.setSpan(api.ROOT_CONTEXT, root), spans);
  root.end();
  return spans;
}

const request = contextManager ? requestActive : requestByHand;

function verify(spans, depth) {
  if (spans.length !== depth + 1) wrong(`${spans.length} spans, expected ${depth + 1}`);
  const rootParent = spans[0].parentSpanContext;
  if (rootParent !== undefined && rootParent !== null) wrong('the root span has a parent');
  const traceId = spans[0].spanContext().traceId;
  for (let i = 1; i < spans.length; i++) {
    const parent = spans[i].parentSpanContext;
    if (!parent || parent.spanId !== spans[i - 1].spanContext().spanId || spans[i].spanContext().traceId !== traceId) {
      wrong(`span ${spans[i].name}'s parent is not ${spans[i - 1].name}`);
    }
    if (!spans[i].ended) wrong(`span ${spans[i].name} did not end`);
  }
}

// The exporter answers each export on a timer (InMemorySpanExporter: setTimeout 0), and the
// processor holds the span until it answers. Requests that only await promises never let the event
// loop reach its timers: every span of the run, and the context each timer captured, would stay
// alive, and the run would measure the garbage collector on a heap growing by ~70 KB per request
// (600 MB after 9,000 requests) instead of the context manager. A service returns to the event loop
// between requests; so does every batch here, on a timer that runs after the exporter's.
const afterPendingTimers = () => new Promise((resolve) => setTimeout(resolve, 0));

async function run(n) {
  const { depth, concurrency } = config;
  for (let done = 0; done < n; done += concurrency) {
    const batch = [];
    for (let i = 0; i < concurrency; i++) batch.push(request(depth));
    for (const spans of await Promise.all(batch)) verify(spans, depth);
    if (exporter.getFinishedSpans().length !== concurrency * (depth + 1)) wrong('the exporter missed spans');
    exporter.reset();
    await afterPendingTimers();
  }
  return Math.ceil(n / concurrency) * concurrency;
}

async function main() {
  await run(config.warmup);
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  const n = await run(config.requests);
  const ms = msSince(start);
  const cpuMs = cpuMsSince(cpu);
  const ctxframe = require.cache[require.resolve('ctxframe')];
  const variant = { name: config.variant, kind: manager, count: 0, backend: ctxframe ? ctxframe.exports.backend : 'node' };
  report('peers-otel', variant, {
    'cpu µs/req': (cpuMs * 1000) / n,
    'µs/req': (ms * 1000) / n,
    'req/s': n / (ms / 1000),
  }, { requests: n, depth: config.depth, concurrency: config.concurrency, ballast: ballast.length });
}

main().catch((err) => {
  console.error(err && err.stack ? err.stack : err);
  process.exit(1);
});
