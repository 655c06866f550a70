// Types for ctxframe/context — the typed, frozen, JSON-safe request context.
import type { AsyncLocalStorage } from './index';

/** A JSON-safe value: what a context may hold. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Deeply read-only view of a stored context (the stored value is deep-frozen). */
export type DeepReadonly<T> =
  T extends (infer U)[] ? ReadonlyArray<DeepReadonly<U>> :
  T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;

/** Well-known fields; any other JSON-safe field may be added. */
export interface RequestContextFields {
  requestId?: string;
  tenantId?: string;
  organizationId?: string;
  projectId?: string;
  userId?: string;
  apiKeyId?: string;
  traceId?: string;
  spanId?: string;
  parentSpanId?: string;
  /** Two lowercase hex characters, e.g. "01". */
  traceFlags?: string;
  traceState?: string;
  [field: string]: JsonValue | undefined;
}

export interface CreateContextOptions {
  /** Shown in errors and given to the storage. Default "RequestContext". */
  name?: string;
  /** Largest allowed size of the context serialized as JSON, in UTF-8 bytes. Default 8192. */
  maxBytes?: number;
}

export interface ContextType<T extends object = RequestContextFields> {
  readonly name: string;
  readonly maxBytes: number;
  /**
   * The ctxframe AsyncLocalStorage the contexts of this type live in. Its store is a per-run()
   * scope object, not the context: read the context with current()/get().
   */
  readonly storage: AsyncLocalStorage<object>;
  /**
   * Validates `ctx` (plain object, JSON-safe, <= maxBytes), stores a deep-frozen copy and runs `fn` in it.
   * @throws TypeError code CTXFRAME_INVALID_CONTEXT, RangeError code CTXFRAME_CONTEXT_TOO_LARGE
   */
  run<R, A extends unknown[]>(ctx: T, fn: (...args: A) => R, ...args: A): R;
  /** The current context. @throws Error code CTXFRAME_NO_CONTEXT when none is active. */
  current(): DeepReadonly<T>;
  currentOrNull(): DeepReadonly<T> | null;
  get<K extends keyof T>(field: K): DeepReadonly<T[K]> | undefined;
  /**
   * Adds `partial`'s fields (undefined removes one) to the context of the nearest run() — the
   * request, under ingress — for everything that reads it afterwards in that run(); snapshots read
   * or carried (jobs, worker messages) before keep theirs. The new snapshot is made when the
   * context is next read as a whole (current()); `enrich(field, value)` adds one field by name.
   * @throws Error code CTXFRAME_NO_CONTEXT outside a context; TypeError code CTXFRAME_INVALID_CONTEXT
   * (also for an ingress-owned field such as requestId); RangeError code CTXFRAME_CONTEXT_TOO_LARGE
   */
  enrich(partial: Partial<T>): void;
  enrich<K extends keyof T & string>(field: K, value: T[K] | undefined): void;
  /** Runs `fn` in a new frozen copy of the current context with `partial` overriding fields (undefined removes one). */
  with<R, A extends unknown[]>(partial: Partial<T>, fn: (...args: A) => R, ...args: A): R;
  /** Test helper: runs `fn` in a synthetic context `{ requestId: randomUUID(), ...partial }`. */
  withContext<R, A extends unknown[]>(partial: Partial<T>, fn: (...args: A) => R, ...args: A): R;
  withContext<R>(fn: () => R): R;
  /** Returns the current context. @throws Error code CTXFRAME_NO_CONTEXT mentioning `where`. */
  assertContext(where?: string): DeepReadonly<T>;
  /** Validates `ctx` and returns the deep-frozen copy `run()` would store. */
  freeze(ctx: T): DeepReadonly<T>;
}

export function createContext<T extends object = RequestContextFields>(options?: CreateContextOptions): ContextType<T>;

/** The default instance every integration uses unless given `{ context }`. */
export const requestContext: ContextType<RequestContextFields>;
export const WELL_KNOWN_FIELDS: readonly string[];
export const DEFAULT_MAX_BYTES: number;
