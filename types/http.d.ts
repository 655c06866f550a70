// Types for ctxframe/http — request context ingress for node:http and per-request metrics.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ContextType, JsonValue } from './context';

/** Fields resolve() may return; merged into the context (requestId and trace fields stay ingress's). */
export type ResolvedFields = { [field: string]: JsonValue | undefined };

/** What onRequestEnd receives when the response finishes or the connection closes first. */
export interface RequestSummary {
  method: string;
  /** The framework's route pattern (e.g. "/users/:id") when known, else the path. */
  route: string;
  /** The request path without the query string. */
  path: string;
  status: number;
  durationMs: number;
  requestId: string;
  tenantId: JsonValue | null;
  counters: Record<string, number>;
  /** True when the connection closed before the response finished. */
  aborted: boolean;
}

export interface RequestMetrics {
  /** Date.now() when ingress saw the request. */
  startTime: number;
  durationMs: number;
  counters: Record<string, number>;
}

/** Where an error reported to onError came from; 'request': the request's own data was refused (400/431). */
/** A span context ({ traceId: 32 hex, spanId: 16 hex, traceFlags?: number | 2 hex }), or a span that has one. */
export type TraceFromResult =
  | { readonly traceId: string; readonly spanId: string; readonly traceFlags?: number | string }
  | { spanContext(): { readonly traceId: string; readonly spanId: string; readonly traceFlags?: number | string } };

export type IngressErrorSource = 'resolve' | 'onRequestEnd' | 'handler' | 'generateRequestId' | 'traceFrom' | 'request';

export interface IngressOptions<Req = IncomingMessage> {
  /** Context type to run requests in. Default: requestContext. */
  context?: ContextType<any>;
  /** Inbound and response request-id header. Default "x-request-id". */
  header?: string;
  /** Set the request id on the response. Default true. */
  responseHeader?: boolean;
  /** Fields to merge into the context (tenantId, userId, ...); may be async. A throw answers 500. */
  resolve?: (req: Req) => ResolvedFields | null | undefined | Promise<ResolvedFields | null | undefined>;
  /** Answer 400 {"error":"tenant_required"} when the context has no tenant. Default false. */
  requireTenant?: boolean;
  /** The field requireTenant and summaries read. Default "tenantId". */
  tenantField?: string;
  /** Continue/start W3C trace context (traceId, spanId, parentSpanId, traceFlags, traceState). Default true. */
  trace?: boolean;
  /** traceFlags for a trace started here. Default "01": sampled, what OpenTelemetry's default sampler
   * (ParentBased(AlwaysOn)) decides for a trace it starts. With "00", services that follow their
   * parent's decision record nothing for these requests. */
  newTraceFlags?: string;
  /**
   * Take traceId, spanId, traceFlags and traceState from the OpenTelemetry span active where the
   * request enters (the http instrumentation's server span), when there is one. Default true.
   */
  openTelemetry?: boolean;
  /**
   * The APM agent's span for the request, for agents that do not register OpenTelemetry's API
   * (Sentry 11, New Relic, Elastic, dd-trace without its TracerProvider): called where the request
   * enters; return the span or its span context ({ traceId, spanId, traceFlags? }), or
   * null/undefined for none. The context then takes its ids, as with OpenTelemetry's span.
   */
  traceFrom?: (req: IncomingMessage) => TraceFromResult | null | undefined;
  /**
   * W3C Baggage members to read into context fields: field names (each its own baggage key) or
   * { field: baggageKey }. resolve()'s fields win over them. Default: none.
   */
  baggage?: readonly string[] | Readonly<Record<string, string>>;
  /** Called (inside the request's context) when the response finishes or closes early. Turns metrics on. */
  onRequestEnd?: (summary: RequestSummary) => void;
  /** Per-request metrics (count(), requestMetrics()). Default: true when onRequestEnd is given, else false. */
  metrics?: boolean;
  /** Errors from resolve, onRequestEnd, generateRequestId, refusals and (node:http) the handler. Default: rate-limited process warnings CTXFRAME_INGRESS_ERROR / CTXFRAME_INGRESS_REFUSED. */
  onError?: (error: unknown, source: IngressErrorSource) => void;
  /** Makes the id of a request that brings no trusted valid one (Node's req). Must return 1-128 characters from [A-Za-z0-9-_.:/+=@]. Default: randomUUID(). */
  generateRequestId?: (req: IncomingMessage) => string;
  /** Which callers to believe: true (default), false (never), addresses and subnets of trusted proxies ("10.0.0.0/8", "::1"), or a function (asked once per request). An untrusted request's x-request-id, traceparent, tracestate and baggage are all ignored. */
  trustRequestId?: boolean | readonly string[] | ((req: IncomingMessage) => boolean);
  /** At most one warning per code per interval; the others are counted. 0: every one. Default 60000. */
  warningIntervalMs?: number;
}

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => unknown;

/** Wraps a node:http handler: it runs in the request's context; a throw/rejection answers 500. */
export function withRequestContext(handler: RequestHandler, options?: IngressOptions): (req: IncomingMessage, res: ServerResponse) => void;

export interface Ingress {
  (req: IncomingMessage, res: ServerResponse, next: () => unknown): void;
  readonly options: Readonly<Record<string, unknown>>;
}

/** A connect-style function: next() runs inside the request's context. */
export function createIngress(options?: IngressOptions): Ingress;

/** Adds n (default 1) to a per-request counter; returns the new value, or undefined outside a request with metrics on. */
export function count(name: string, n?: number): number | undefined;
/** A snapshot of the current request's metrics, or null outside a request. */
export function requestMetrics(): RequestMetrics | null;
/** 1-128 characters from [A-Za-z0-9-_.:/+=@]. */
export function isValidRequestId(value: unknown): value is string;
