// Types for ctxframe/outbound: request id and W3C trace context on outgoing http/https/fetch calls.
import type { ContextType } from './context';

export interface OutboundOptions {
  /** The context whose fields are sent. Default: requestContext from ctxframe/context. */
  context?: Pick<ContextType<any>, 'currentOrNull'>;
  /** Header carrying ctx.requestId, or false to send none. Default "x-request-id". */
  requestIdHeader?: string | false;
  /** Send `traceparent` (and `tracestate`) when the context has traceId and spanId. Default true. */
  traceparent?: boolean;
  /**
   * Send the OpenTelemetry span active at the call as traceparent's parent, when there is one
   * (an instrumentation that injects its own traceparent always wins). Default true.
   */
  openTelemetry?: boolean;
  /**
   * Context fields sent in the W3C `baggage` header (merged into one the request has): field
   * names (each its own baggage key) or { field: baggageKey }. Default: none.
   */
  baggage?: readonly string[] | Readonly<Record<string, string>>;
  /**
   * How node:http/https requests are reached: "channel" (diagnostics_channel
   * `http.client.request.created`, where Node publishes it), "patch" (wrap http.request/get and
   * https.request/get) or "auto" (channel where available, else patch). fetch/undici always use
   * the `undici:request:create` channel. Decided by the first installation. Default "auto".
   */
  mode?: 'auto' | 'channel' | 'patch';
}

export interface OutboundMechanism {
  readonly http: 'channel' | 'patch';
  readonly fetch: 'channel';
}

export interface OutboundHandle {
  /** The mechanisms in use (shared by every installation). */
  readonly mechanism: OutboundMechanism;
  /** Removes this installation; the hooks go when the last installation is removed. Idempotent. */
  uninstall(): void;
}

/** Adds an installation (reference-counted). @throws CTXFRAME_OUTBOUND_MODE_CONFLICT, CTXFRAME_OUTBOUND_UNSUPPORTED */
export declare function installOutbound(options?: OutboundOptions): OutboundHandle;
/** Removes every installation and all hooks at once; outstanding handles become no-ops. */
export declare function uninstallOutbound(): void;
/** Whether any installation is active. */
export declare function isOutboundInstalled(): boolean;
