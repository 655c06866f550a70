'use strict';
// Owns: running the agent test app (fixtures/app.js) under one APM agent, with or without
// ctxframe's register, in a child process; a loopback sink that plays each agent's collector;
// concurrent requests against the app; and turning what each agent exported into
// { traceId, spanId, parentId, name, db } spans. Nothing leaves the machine: every agent is
// pointed at the sink or keeps its spans in memory (see AGENTS).

const http = require('node:http');
const path = require('node:path');
const zlib = require('node:zlib');
const { spawn } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..', '..');
const FIXTURES = path.join(__dirname, 'fixtures');
const APP = path.join(FIXTURES, 'app.js');

// dd-trace 6 and New Relic 14 need Node 22 or later (their engines field; New Relic refuses to
// start, dd-trace starts disabled); on Node 20 the test runs the last majors that support it,
// installed under aliases (package.json).
const NODE_MAJOR = Number(process.versions.node.split('.')[0]);
const DD_TRACE = NODE_MAJOR >= 22 ? 'dd-trace' : 'dd-trace-node20';
const NEWRELIC = NODE_MAJOR >= 22 ? 'newrelic' : 'newrelic-node20';

// A fake 40-character license key: the collector it would be sent to is the loopback sink.
const NR_KEY = '0000000000000000000000000000000000000000';

// Per agent: how it is loaded (preload flags, ctxframe's register placed before it) and the
// environment that keeps it on the loopback sink.
const AGENTS = {
  otel: {
    package: '@opentelemetry/sdk-node',
    builtin: ['-r', path.join(FIXTURES, 'otel-setup.js')],
    ctxframe: ['-r', 'ctxframe/register', '-r', path.join(FIXTURES, 'otel-setup.js')],
    env: () => ({
      OTEL_TRACES_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none',
      OTEL_NODE_RESOURCE_DETECTORS: 'none',
    }),
  },
  dd: {
    package: DD_TRACE,
    builtin: ['-r', `${DD_TRACE}/init`],
    ctxframe: ['-r', 'ctxframe/register', '-r', `${DD_TRACE}/init`],
    env: (sink) => ({
      DD_TRACE_AGENT_URL: sink,
      DD_TRACE_EXPERIMENTAL_EXPORTER: 'log', // finished traces as JSON lines on stdout
      DD_INSTRUMENTATION_TELEMETRY_ENABLED: 'false',
      DD_REMOTE_CONFIGURATION_ENABLED: 'false',
      DD_TRACE_STARTUP_LOGS: 'false',
      DD_RUNTIME_METRICS_ENABLED: 'false',
      DD_PROFILING_ENABLED: 'false',
      DD_CRASHTRACKING_ENABLED: 'false',
      DD_DATA_STREAMS_ENABLED: 'false',
      DD_APPSEC_ENABLED: 'false',
      DD_DYNAMIC_INSTRUMENTATION_ENABLED: 'false',
      DD_SERVICE: 'ctxframe-agent-test',
      DD_TRACE_SAMPLE_RATE: '1',
    }),
  },
  // dd-trace with its OpenTelemetry API support registered (fixtures/agents.js): OpenTelemetry's
  // API sees dd-trace's active span, and so does ctxframe's ingress.
  'dd-otel': {
    package: DD_TRACE,
    builtin: ['-r', `${DD_TRACE}/init`],
    ctxframe: ['-r', 'ctxframe/register', '-r', `${DD_TRACE}/init`],
    env: (sink) => ({ ...AGENTS.dd.env(sink), DD_OTEL_API: '1' }),
  },
  newrelic: {
    package: NEWRELIC,
    builtin: ['-r', NEWRELIC],
    ctxframe: ['-r', 'ctxframe/register', '-r', NEWRELIC],
    env: (sink) => {
      const { hostname, port } = new URL(sink);
      return {
        NEW_RELIC_NO_CONFIG_FILE: 'true',
        NEW_RELIC_APP_NAME: 'ctxframe-agent-test',
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
    package: 'elastic-apm-node',
    builtin: ['-r', 'elastic-apm-node/start'],
    ctxframe: ['-r', 'ctxframe/register', '-r', 'elastic-apm-node/start'],
    env: (sink) => ({
      ELASTIC_APM_SERVER_URL: sink,
      ELASTIC_APM_SERVICE_NAME: 'ctxframe-agent-test',
      ELASTIC_APM_CENTRAL_CONFIG: 'false',
      ELASTIC_APM_CLOUD_PROVIDER: 'none',
      ELASTIC_APM_METRICS_INTERVAL: '0s',
      ELASTIC_APM_LOG_LEVEL: 'off',
      ELASTIC_APM_CAPTURE_EXCEPTIONS: 'false',
      ELASTIC_APM_TRANSACTION_SAMPLE_RATE: '1',
    }),
  },
  sentry: {
    package: '@sentry/node',
    builtin: ['--import', path.join(FIXTURES, 'sentry-setup.mjs')],
    ctxframe: ['--import', 'ctxframe/register', '--import', path.join(FIXTURES, 'sentry-setup.mjs')],
    env: () => ({}),
  },
};

// The loopback collector: answers what each agent asks of its collector (Elastic's server
// version, 202 for intake) and keeps every request's decoded body.
async function startSink() {
  const received = [];
  let clientErrors = 0;
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      try {
        if (req.headers['content-encoding'] === 'gzip') body = zlib.gunzipSync(body);
        else if (req.headers['content-encoding'] === 'deflate') body = zlib.inflateSync(body);
      } catch { /* kept raw */ }
      received.push({ method: req.method, url: req.url, headers: req.headers, body: body.toString('utf8') });
      if (req.method === 'GET' && req.url === '/') {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ version: '8.15.0', build_date: '2024-01-01T00:00:00Z', build_sha: 'x' }));
      } else {
        res.statusCode = req.url.startsWith('/intake/') ? 202 : 200;
        res.end('{}');
      }
    });
  });
  server.on('clientError', (err, socket) => { clientErrors++; socket.destroy(); });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    received,
    clientErrors: () => clientErrors,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }),
  };
}

function get(port, urlPath, timeoutMs = 20000) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d) => { body += d; }).on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`GET ${urlPath}: ${res.statusCode} ${body}`));
        try { resolve(JSON.parse(body)); } catch (err) { reject(new Error(`GET ${urlPath}: ${err.message}: ${body}`)); }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${urlPath} timed out`)));
    req.on('error', reject);
  });
}

// Runs the app under `agent` ('builtin' or 'ctxframe' side), sends `count` requests,
// `concurrency` at a time, and returns { responses, spans, info, stdout, stderr, sink }.
async function runAgentApp({ agent, side, pgUrl, count, concurrency, framework = 'fastify' }) {
  const spec = AGENTS[agent];
  const sink = await startSink();
  const env = {
    ...process.env, ...spec.env(sink.url), AGENT: agent, AGENT_PACKAGE: spec.package, FRAMEWORK: framework, PG_URL: pgUrl, SINK_URL: sink.url, PG_POOL_MAX: String(concurrency),
  };
  const child = spawn(process.execPath, [...spec[side], APP], {
    cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d) => { stdout += d; });
  child.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; });
  const exited = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  const describe = () => `--- stdout ---\n${stdout.slice(-3000)}\n--- stderr ---\n${stderr.slice(-3000)}`;
  const killer = setTimeout(() => child.kill('SIGKILL'), 60000);
  try {
    const port = await new Promise((resolve, reject) => {
      const onData = () => {
        const m = /\{"port":(\d+)\}/.exec(stdout);
        if (m) { child.stdout.off('data', onData); resolve(Number(m[1])); }
      };
      child.stdout.on('data', onData);
      exited.then((r) => reject(new Error(`app exited before listening (${JSON.stringify(r)})\n${describe()}`)));
    });
    // Waves of `concurrency` requests at once: as many as the app's pg pool has connections,
    // so no query waits in the pool's queue (New Relic and Elastic lose the pg span of a
    // query that waited there, on the built-in as well).
    const responses = [];
    for (let wave = 0; wave < count; wave += concurrency) {
      const ids = Array.from({ length: Math.min(concurrency, count - wave) }, (_, i) => `r${wave + i}`);
      responses.push(...await Promise.all(ids.map((id) => get(port, `/work/${id}`))));
    }
    const info = await get(port, '/__recorded');
    await get(port, '/__close');
    const status = await Promise.race([exited, new Promise((r) => setTimeout(() => r(null), 10000))]);
    if (status === null) child.kill('SIGKILL'); // an agent's timers may keep it alive
    await exited;
    let spans = info.spans;
    if (agent === 'dd' || agent === 'dd-otel') spans = ddSpans(stdout);
    if (agent === 'elastic') spans = elasticSpans(sink.received);
    return { responses, spans, info, stdout, stderr, sink, describe };
  } catch (err) {
    child.kill('SIGKILL');
    err.message += `\n${describe()}`;
    throw err;
  } finally {
    clearTimeout(killer);
    await sink.close();
  }
}

// dd-trace's log exporter: lines of {"traces":[[span, …]]}, ids as hex strings or decimals.
function ddSpans(stdout) {
  const spans = [];
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{"traces":')) continue;
    for (const trace of JSON.parse(line).traces) {
      // The high 64 bits of a 128-bit trace id ride on the chunk's first span only.
      const withTid = trace.find((s) => s.meta && s.meta['_dd.p.tid']);
      const high = withTid ? withTid.meta['_dd.p.tid'] : undefined;
      for (const s of trace) {
        spans.push({
          traceId: ddId(s.trace_id, high),
          spanId: ddId(s.span_id),
          parentId: s.parent_id && ddId(s.parent_id) !== '0000000000000000' ? ddId(s.parent_id) : null,
          name: s.name,
          db: s.name === 'pg.query',
        });
      }
    }
  }
  return spans;
}

function ddId(id, high) {
  const low = /^[0-9a-f]{16}$/i.test(String(id)) ? String(id).toLowerCase() :
    BigInt(String(id)).toString(16).padStart(16, '0');
  return high ? `${high}${low}` : low;
}

// Elastic's intake v2: ndjson of {transaction} and {span} events.
function elasticSpans(received) {
  const spans = [];
  for (const r of received) {
    if (!r.url.startsWith('/intake/v2/events')) continue;
    for (const line of r.body.split('\n')) {
      if (!line.trim()) continue;
      const event = JSON.parse(line);
      const e = event.transaction || event.span;
      if (!e) continue;
      spans.push({
        traceId: e.trace_id, spanId: e.id, parentId: e.parent_id || null, name: e.name,
        db: Boolean(event.span && e.type === 'db'),
      });
    }
  }
  return spans;
}

module.exports = { AGENTS, runAgentApp, DD_TRACE };
