// Compiled (never run) by test/types.test.js with `tsc --strict`: every entry
// point resolves through package.json "exports" to its types, the main uses
// type-check, and the misuses marked @ts-expect-error are rejected.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AsyncLocalStorage, backend } from 'ctxframe';
import * as register from 'ctxframe/register';
import { createContext, requestContext } from 'ctxframe/context';
import { parseTraceparent, formatTraceparent, newTraceId, newSpanId } from 'ctxframe/traceparent';
import { withRequestContext, count, requestMetrics } from 'ctxframe/http';
import { requestContextMiddleware as expressMiddleware, withRequestContext as expressAround } from 'ctxframe/express';
import { fastifyRequestContext } from 'ctxframe/fastify';
import { requestContextMiddleware as koaMiddleware } from 'ctxframe/koa';
import { pinoMixin, PINO_KEYS } from 'ctxframe/pino';
import { contextFormat, WINSTON_KEYS } from 'ctxframe/winston';
import { installOutbound } from 'ctxframe/outbound';
import { CtxframeContextManager } from 'ctxframe/otel';
import { injectContext, wrapProcessor } from 'ctxframe/jobs';
import * as jobs from 'ctxframe/jobs';
import { contextQueue, contextProcessor } from 'ctxframe/bullmq';
import { ContextCommentPlugin } from 'ctxframe/kysely';
import { postWithContext, onContextMessage } from 'ctxframe/worker';
import { AsyncGate, retry, ResourcePool, codes, GateError, GateTimeoutError } from 'ctxframe/gate';
import * as doctor from 'ctxframe/doctor';

const als = new AsyncLocalStorage<{ id: string }>({ name: 'req', defaultValue: { id: '-' } });
const sum: number = als.run({ id: 'a' }, (x: number) => x + 1, 1);
const id: string | undefined = als.getStore()?.id;
const which: 'frame' | 'carrier' | 'builtin' = backend;
const sameClass: typeof AsyncLocalStorage = register.AsyncLocalStorage;
{
  using scope = als.withScope({ id: 'b' });
  scope.dispose();
}
AsyncLocalStorage.snapshot()((s: string) => s.length, 'x');
// @ts-expect-error a store of the wrong type
als.run({ nope: 1 }, () => 0);

const jobContext = createContext({ name: 'JobContext', maxBytes: 4096 });
jobContext.run({ requestId: 'r', tenantId: 't' }, () => jobContext.current().requestId);
const tenant = requestContext.get('tenantId');

const parsed = parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
const header: string = formatTraceparent({ traceId: newTraceId(), spanId: newSpanId(), traceFlags: '01' });
const handler = withRequestContext((req, res) => { count('hits'); res.end(String(requestMetrics())); },
  { requireTenant: true, resolve: () => ({ tenantId: 't' }) });

const outbound = installOutbound();
outbound.uninstall();
const withBaggage = installOutbound({ baggage: { tenantId: 'tenant' }, openTelemetry: false });
withBaggage.uninstall();
const baggageIngress = withRequestContext(() => {}, { baggage: ['tenantId', 'userId'], openTelemetry: true });
const manager = new CtxframeContextManager().enable();
const payload = injectContext({ orderId: 1 });
const processor = wrapProcessor(async (p: unknown) => p);
const plugin = new ContextCommentPlugin({ fields: { request_id: 'requestId' } });

const gate = new AsyncGate({ concurrency: 2, maxQueue: 10 });
const out: Promise<number> = gate.run(async ({ signal }) => (signal.aborted ? 0 : 1), { timeout: 100 });
const again: Promise<string> = retry(async () => 'ok', { retries: 2 });
const code: 'CTXFRAME_GATE_TIMEOUT' = codes.TIMEOUT;
// @ts-expect-error concurrency is a number
new AsyncGate({ concurrency: 'two' });
const timedOut = (err: unknown): boolean => err instanceof GateTimeoutError && err instanceof GateError;

const logMixin = pinoMixin({ fields: 'all', reservedKeys: ['message'] });
const loggerKeys: readonly string[] = [...PINO_KEYS, ...WINSTON_KEYS];
// @ts-expect-error reservedKeys is a list of names
pinoMixin({ reservedKeys: 'message' });
// @ts-expect-error no test seam in the public API
jobs.resetWarningsForTesting();

// enrich() after authentication; request-id options; Fastify's one id; strict option names.
requestContext.withContext(() => requestContext.enrich({ userId: 'u-1' }));
requestContext.withContext(() => requestContext.enrich('userId', 'u-2'));
const enriched: string | undefined = requestContext.get('userId');
const idHandler = withRequestContext((req, res) => { res.end(); },
  { generateRequestId: (req) => `svc-${req.method}`, trustRequestId: ['10.0.0.0/8', '::1'], warningIntervalMs: 1000 });
const fastifyOptions: import('ctxframe/fastify').FastifyRequestContextOptions = { fastifyRequestId: false, trustRequestId: false };
// @ts-expect-error a typo of an option name
withRequestContext((req, res) => { res.end(); }, { requireTennant: true });
// @ts-expect-error trustRequestId is a boolean, a list of addresses or a function
withRequestContext((req, res) => { res.end(); }, { trustRequestId: 'yes' });

// ctxframe/express around the whole app: a (req, res) handler in, one out.
const expressServer: (req: IncomingMessage, res: ServerResponse) => void =
  expressAround((req, res) => { res.end(); }, { resolve: (req) => ({ tenantId: req.headers['x-tenant-id'] as string }) });
// @ts-expect-error the app is a request handler
expressAround('app');

export const used = [sum, id, which, sameClass, tenant, parsed, header, handler, manager, payload,
  processor, plugin, out, again, code, expressMiddleware, expressServer, fastifyRequestContext, koaMiddleware,
  pinoMixin, contextFormat, contextQueue, contextProcessor, postWithContext, onContextMessage,
  ResourcePool, timedOut, logMixin, loggerKeys, enriched, idHandler, fastifyOptions];

// ctxframe/doctor
const expected: AsyncLocalStorage<{ id: string }> = doctor.expect(als);
const doctorOn: boolean = doctor.enabled;
const doctorReport = doctor.report();
for (const finding of doctorReport.findings) {
  const kind: doctor.DoctorKind = finding.kind;
  const line: number = finding.line;
  const ids: Array<string | number> = finding.requestIds;
  void kind; void line; void ids;
}
// @ts-expect-error expect() takes a storage
doctor.expect('tenant');
void expected; void doctorOn;
const tick: () => number = doctor.outsideRequests(() => 1);
const markedSite: string = doctor.outsideRequests('src/jobs.js:12');
const marks: number = (doctorReport.marked ?? []).length + (doctorReport.beforeIngress ?? []).length;
void tick; void markedSite; void marks;
