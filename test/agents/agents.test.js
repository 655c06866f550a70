'use strict';
// APM agents next to ctxframe, as users run them: the OpenTelemetry SDK with the
// auto-instrumentations, dd-trace, New Relic, Elastic APM and Sentry, each preloaded on the
// command line with and without ctxframe's register (docs/apm.md), in its own child process,
// instrumenting a Fastify app (and an Express 5 one) with a pg pool and a fetch to a loopback
// downstream, behind ctxframe's ingress (fixtures/app.js). For each agent and side, concurrent requests must each see their own
// current span after every await, carry it to the downstream, and export the pg and downstream
// spans under it; both sides must agree. Every agent sends only to a loopback sink or keeps its
// spans in memory (harness.js).

const assert = require('node:assert/strict');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { startPostgres } = require('../support/postgres.js');
const { builtinUsesFrame } = require('../support/core-runtime.js');
const { AGENTS, runAgentApp, DD_TRACE } = require('./harness.js');

const ROOT = path.resolve(__dirname, '..', '..');
const COUNT = 40;
const CONCURRENCY = 20;

// { traceId, parentId } the downstream got from the agent's propagation header.
function propagated(headers) {
  if (headers.traceparent) {
    const [, traceId, parentId] = headers.traceparent.split('-');
    return { traceId, parentId };
  }
  if (headers['sentry-trace']) {
    const [traceId, parentId] = headers['sentry-trace'].split('-');
    return { traceId, parentId };
  }
  return null;
}

function check(agent, side, run) {
  const where = (what) => `${agent}, ${side}: ${what}`;
  assert.equal(run.info.registered, side === 'ctxframe', where('async_hooks.AsyncLocalStorage is ctxframe\'s'));
  assert.equal(run.responses.length, COUNT);
  const byTrace = new Map();
  for (const s of run.spans) {
    const t = s.traceId.toLowerCase();
    if (!byTrace.has(t)) byTrace.set(t, new Map());
    byTrace.get(t).set(s.spanId.toLowerCase(), s);
  }
  const seenTraces = new Set();
  const seenContextTraces = new Set();
  const shape = new Set();
  for (const r of run.responses) {
    assert.equal(r.dbId, r.id);
    const first = r.seen[0][1];
    assert.ok(first && first.traceId && first.spanId, where(`request ${r.id} has no current span in its handler`));
    const traceId = first.traceId.toLowerCase();
    const spanId = first.spanId.toLowerCase();
    assert.ok(!seenTraces.has(traceId), where(`request ${r.id} shares trace ${traceId} with another request`));
    seenTraces.add(traceId);

    // The downstream got the request's trace, and runs in it.
    const prop = propagated(r.downstream.headers);
    assert.ok(prop, where(`request ${r.id}: no propagation header downstream ${JSON.stringify(r.downstream.headers)}`));
    assert.equal(prop.traceId.toLowerCase().padStart(32, '0'), traceId.padStart(32, '0'),
      where(`request ${r.id}: the trace propagated downstream`));
    assert.ok(r.downstream.current, where(`request ${r.id}: the downstream has no current span`));
    assert.equal(r.downstream.current.traceId.toLowerCase(), traceId, where(`request ${r.id}: the downstream's trace`));

    // Exported parent links: the pg spans and the span that called the downstream sit under
    // the handler's span; the downstream's span sits under the one that called it.
    const spans = byTrace.get(traceId) || new Map();
    const under = (id) => {
      for (let hops = 0; id && hops < 50; hops++) {
        if (id === spanId) return true;
        const s = spans.get(id);
        if (!s) return false;
        id = s.parentId && s.parentId.toLowerCase();
      }
      return false;
    };
    assert.ok(spans.has(spanId), where(`request ${r.id}: its span ${spanId} was not exported`));
    // After every await: the request's own span, or (New Relic 13 after fetch, on the built-in
    // too) one of its descendants; which of the two is compared between the sides below.
    for (const [label, current] of r.seen) {
      assert.ok(current, where(`request ${r.id}: no current span ${label}`));
      assert.equal(current.traceId.toLowerCase(), traceId, where(`request ${r.id}: the current trace ${label}`));
      const id = current.spanId.toLowerCase();
      assert.ok(id === spanId || under(id), where(`request ${r.id}: the current span ${label} (${id}) is not the request's span or under it`));
      shape.add(`${label}: ${id === spanId ? 'the request\'s span' : 'a span under it'}`);
    }
    // ctxframe's request context: one trace with the agent, through OpenTelemetry's API where the
    // agent registers it (ingress takes the span active where it enters the request), through
    // ingress's traceFrom option elsewhere.
    const [ctxStart, ctxEnd] = r.contexts;
    assert.deepEqual(ctxEnd, ctxStart, where(`request ${r.id}: the context after the awaits`));
    assert.match(ctxStart.traceId, /^[0-9a-f]{32}$/, where(`request ${r.id}: the context's trace id`));
    assert.equal(ctxStart.traceId, traceId.padStart(32, '0'), where(`request ${r.id}: the context's trace is the agent's`));
    const ctxSpan = ctxStart.spanId.toLowerCase();
    assert.ok(ctxSpan === spanId || spans.has(ctxSpan), where(`request ${r.id}: the context's span ${ctxSpan} is one the agent exported in the trace`));
    assert.ok(!seenContextTraces.has(ctxStart.traceId), where(`request ${r.id} shares its context's trace`));
    seenContextTraces.add(ctxStart.traceId);
    const db = [...spans.values()].filter((s) => s.db);
    assert.ok(db.length >= 1, where(`request ${r.id}: no pg span exported in its trace`));
    for (const s of db) assert.ok(under(s.spanId.toLowerCase()), where(`request ${r.id}: pg span ${s.name} is not under the request's span`));
    const caller = prop.parentId.toLowerCase();
    assert.ok(under(caller), where(`request ${r.id}: the span that called the downstream (${caller}) is not under the request's span`));
    const down = spans.get(r.downstream.current.spanId.toLowerCase());
    assert.ok(down, where(`request ${r.id}: the downstream's span was not exported`));
    assert.ok(under(down.spanId.toLowerCase()) && down.parentId && under(down.parentId.toLowerCase()),
      where(`request ${r.id}: the downstream's span is not linked under the caller`));
  }
  return [...shape].sort();
}

describe('APM agents with ctxframe register (Fastify or Express + pg + fetch)', function () {
  this.timeout(120000);
  let pg;
  before(async function () {
    pg = await startPostgres();
  });
  after(async function () {
    if (pg) await pg.stop();
  });

  // Fastify for every agent; Express 5 too for the agents whose own examples use it.
  const runsOf = [...Object.keys(AGENTS).map((agent) => [agent, 'fastify']),
    ...['otel', 'dd', 'newrelic', 'elastic', 'sentry'].map((agent) => [agent, 'express'])];
  for (const [agent, framework] of runsOf) {
    describe(framework === 'fastify' ? agent : `${agent}, Express 5`, function () {
      const runs = {};
      for (const side of ['builtin', 'ctxframe']) {
        const flags = AGENTS[agent][side].map((a) => (a.startsWith('/') ? path.relative(ROOT, a) : a)).join(' ');
        it(`${side}: node ${flags} — ${COUNT} requests, ${CONCURRENCY} at a time, keep their own span`, async function () {
          const run = await runAgentApp({ agent, side, framework, pgUrl: pg.connectionString, count: COUNT, concurrency: CONCURRENCY });
          run.shape = check(agent, side, run);
          runs[side] = run;
        });
      }
      it('the current span after each await is the same on both sides', function () {
        if (!runs.builtin || !runs.ctxframe) this.skip(); // a side failed above, and says why
        assert.deepEqual(runs.ctxframe.shape, runs.builtin.shape);
      });
      if (agent === 'dd') {
        it('dd-trace detects AsyncContextFrame as it does on the built-in', function () {
          if (!runs.builtin || !runs.ctxframe) this.skip(); // reported by the failed runs above
          assert.equal(runs.builtin.info.ddACF, builtinUsesFrame());
          assert.equal(runs.ctxframe.info.ddACF, runs.builtin.info.ddACF);
        });
      }
    });
  }
});

// docs/apm.md: `-r` preloads run before `--import` ones whatever their order on the command line,
// so ctxframe's register must come in a form that runs before the agent's own preload.
describe('the order of -r and --import decides whether an agent gets ctxframe\'s storage', function () {
  this.timeout(60000);
  const setup = path.join(__dirname, 'fixtures', 'otel-setup.js');
  const probe = path.join(__dirname, 'fixtures', 'otel-storage.js');
  const managerOn = (flags) => {
    const r = spawnSync(process.execPath, [...flags, probe], {
      cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...AGENTS.otel.env() },
    });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout.trim().split('\n').pop());
  };
  const cases = [
    [['-r', 'ctxframe/register', '-r', setup], true],
    [['--import', 'ctxframe/register', '-r', setup], false],
  ];
  for (const [flags, expected] of cases) {
    const shown = flags.map((a) => (a === setup ? './otel-setup.js' : a)).join(' ');
    it(`node ${shown}: OpenTelemetry's manager ${expected ? 'on ctxframe' : 'on the built-in'}`, function () {
      assert.deepEqual(managerOn(flags), { manager: 'AsyncLocalStorageContextManager', ctxframe: expected });
    });
  }
});

// dd-trace's own detection module, alone, on every mode.
describe('dd-trace\'s AsyncContextFrame detection (packages/datadog-core/src/storage.js)', function () {
  const probe = `console.log(require('${DD_TRACE}/packages/datadog-core/src/storage').isACFActive)`;
  const detect = (flags) => {
    const r = spawnSync(process.execPath, [...flags, '-e', probe], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.trim();
  };
  it('gives the same answer under -r ctxframe/register and --import ctxframe/register as on the built-in', function () {
    const builtin = detect([]);
    assert.equal(builtin, String(builtinUsesFrame()));
    assert.equal(detect(['-r', 'ctxframe/register']), builtin);
    assert.equal(detect(['--import', 'ctxframe/register']), builtin);
  });
});
