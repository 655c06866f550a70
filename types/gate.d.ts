// Types for ctxframe/gate — context-safe concurrency: AsyncGate, map, retry,
// ResourcePool and their errors. Guarantees: docs/concurrency.md.

/** Stable error codes of ctxframe/gate. */
export declare const codes: {
  readonly QUEUE_FULL: 'CTXFRAME_GATE_QUEUE_FULL';
  readonly ABORTED: 'CTXFRAME_GATE_ABORTED';
  readonly TIMEOUT: 'CTXFRAME_GATE_TIMEOUT';
  readonly CLOSED: 'CTXFRAME_GATE_CLOSED';
};

export type GateErrorCode = (typeof codes)[keyof typeof codes];

export declare class GateError extends Error {
  readonly code: GateErrorCode;
}
/** The queue already held `maxQueue` waiting operations. */
export declare class GateQueueFullError extends GateError {
  readonly code: 'CTXFRAME_GATE_QUEUE_FULL';
  readonly maxQueue: number;
}
/** The caller's AbortSignal fired; `cause` is `signal.reason`. */
export declare class GateAbortedError extends GateError {
  readonly code: 'CTXFRAME_GATE_ABORTED';
  readonly cause: unknown;
}
/** `timeout` ms elapsed, counted from the call. */
export declare class GateTimeoutError extends GateError {
  readonly code: 'CTXFRAME_GATE_TIMEOUT';
  readonly timeout: number;
}
/** The gate or pool was closed before the operation started. */
export declare class GateClosedError extends GateError {
  readonly code: 'CTXFRAME_GATE_CLOSED';
}

export interface AsyncGateOptions {
  /** Tasks running at once: an integer >= 1, or Infinity. Default 1. */
  concurrency?: number;
  /** Tasks waiting at once: an integer >= 0, or Infinity (default). */
  maxQueue?: number;
}

export interface RunOptions {
  /** Aborting it rejects with GateAbortedError: a waiting task never runs; a running one has its signal aborted. */
  signal?: AbortSignal;
  /** Milliseconds from the run() call (waiting time included). Undefined or Infinity: none. */
  timeout?: number;
}

export interface TaskInfo {
  /** Aborted when the caller's signal fires or the timeout elapses while the task runs. */
  signal: AbortSignal;
}

export interface MapOptions {
  /** Items pulled from the source and not yet released by the consumer (a finite integer >= 1). */
  concurrency?: number;
  /** true (default): results in source order; false: as they complete. */
  ordered?: boolean;
  /** Aborts the whole iteration (GateAbortedError) and closes the source. */
  signal?: AbortSignal;
  /** Per-item timeout in milliseconds, as in run(). */
  timeout?: number;
}

export interface MapItemInfo {
  signal: AbortSignal;
  /** Position of the item in the source, from 0. */
  index: number;
}

export type MapSource<T> = AsyncIterable<T> | Iterable<T>;

export declare class AsyncGate {
  constructor(options?: AsyncGateOptions);
  readonly concurrency: number;
  readonly maxQueue: number;
  /** Tasks whose fn was called and has not settled (timed-out or aborted ones included). */
  readonly active: number;
  /** Tasks waiting for a slot. */
  readonly pending: number;
  readonly closed: boolean;
  /** Runs fn({ signal }) when a slot is free, in the async context current at this call. */
  run<R>(fn: (task: TaskInfo) => R | PromiseLike<R>, options?: RunOptions): Promise<Awaited<R>>;
  /** Maps a source through this gate with bounded read-ahead; concurrency defaults to the gate's. */
  map<T, R>(source: MapSource<T>, fn: (item: T, info: MapItemInfo) => R | PromiseLike<R>,
    options?: MapOptions): AsyncIterableIterator<Awaited<R>>;
  /** Resolves once nothing is running or waiting. Never rejects. */
  onIdle(): Promise<void>;
  /** Rejects waiting tasks with GateClosedError, refuses new ones; resolves when running ones settle. */
  close(): Promise<void>;
}

/** gate.map over a private gate; concurrency defaults to 1. */
export declare function map<T, R>(source: MapSource<T>,
  fn: (item: T, info: MapItemInfo) => R | PromiseLike<R>,
  options?: MapOptions): AsyncIterableIterator<Awaited<R>>;

export interface RetryOptions {
  /** Retries after the first attempt: an integer >= 0, or Infinity. Default 3. */
  retries?: number;
  /** Milliseconds before the next attempt, or a function of the failed attempt (from 1) and its error. Default 0. */
  backoff?: number | ((attempt: number, error: unknown) => number);
  /** Aborting rejects with GateAbortedError at once and stops further attempts. */
  signal?: AbortSignal;
  /** Return (or resolve) false to stop and reject with `error`. Default: retry every error. */
  shouldRetry?: (error: unknown, attempt: number) => boolean | PromiseLike<boolean>;
  /** Called before each retry is scheduled. */
  onRetry?: (error: unknown, info: { attempt: number; delay: number }) => void;
}

export interface AttemptInfo {
  /** 1 for the first call. */
  attempt: number;
  signal: AbortSignal | undefined;
}

/** Calls fn until it succeeds; rejects with the last error itself (unwrapped). */
export declare function retry<R>(fn: (info: AttemptInfo) => R | PromiseLike<R>,
  options?: RetryOptions): Promise<Awaited<R>>;

export interface ExponentialBackoffOptions {
  /** Default 100 ms. */
  initial?: number;
  /** Default 2. */
  factor?: number;
  /** Default 30000 ms. */
  max?: number;
  /** Multiply by a random factor in [0.5, 1). Default true. */
  jitter?: boolean;
}

export declare function exponentialBackoff(options?: ExponentialBackoffOptions): (attempt: number) => number;

export interface AcquireOptions {
  signal?: AbortSignal;
  /** Bounds the wait for a resource only (milliseconds). */
  timeout?: number;
}

export interface ResourcePoolCreateOptions<T> {
  /** Makes a resource; runs in the context the pool was constructed in. */
  create: () => T | PromiseLike<T>;
  /** Most resources in existence at once (a finite integer >= 1). */
  max: number;
  destroy?: (resource: T) => unknown;
  /** Receives destroy/create failures nobody waits for; default: a process warning. */
  onError?: (error: unknown) => void;
  maxQueue?: number;
  resources?: undefined;
}

export interface ResourcePoolFixedOptions<T> {
  /** A fixed set of distinct resources. */
  resources: readonly T[];
  max?: number;
  destroy?: (resource: T) => unknown;
  onError?: (error: unknown) => void;
  maxQueue?: number;
  create?: undefined;
}

export type ResourcePoolOptions<T> = ResourcePoolCreateOptions<T> | ResourcePoolFixedOptions<T>;

export declare class ResourcePool<T = unknown> {
  constructor(options: ResourcePoolOptions<T>);
  readonly max: number;
  readonly size: number;
  readonly available: number;
  readonly borrowed: number;
  readonly pending: number;
  readonly closed: boolean;
  /** Resolves with a resource; the continuation runs in the caller's own context. */
  acquire(options?: AcquireOptions): Promise<T>;
  release(resource: T): void;
  /** Removes a borrowed resource for good (destroy is called). */
  destroy(resource: T): void;
  /** acquire, fn(resource), release when fn settles. */
  use<R>(fn: (resource: T) => R | PromiseLike<R>, options?: AcquireOptions): Promise<Awaited<R>>;
  close(): Promise<void>;
}

export declare function createPool<T>(options: ResourcePoolOptions<T>): ResourcePool<T>;
