// Types for ctxframe/jobs — the request context carried inside a job payload (`_ctx`).
import type { ContextType, JsonValue } from './context';

/** The envelope stored under `_ctx`. */
export interface JobContextEnvelope {
  /** Envelope version (1). */
  v: number;
  /** JSON-safe copy of the producer's context. */
  ctx: { [field: string]: JsonValue };
  /** Date.now() when the job was created. */
  ts: number;
  /** base64url HMAC-SHA256 of v, ts and ctx, when a secret was given. */
  sig?: string;
}

export type JobContextProblem = 'missing' | 'malformed' | 'too_large' | 'unknown_version' | 'tampered';

export interface JobContextOptions {
  /** The context to read / run in. Default: requestContext from ctxframe/context. */
  context?: ContextType<any>;
  /** Largest carried context, JSON, in UTF-8 bytes. Default 4096. */
  maxBytes?: number;
  /** Sign on inject, verify on extract (HMAC-SHA256). Without it, only structure is checked. */
  secret?: string | Buffer;
}

export interface WrapProcessorOptions extends JobContextOptions {
  /** Fail the job (throw an error whose code is the problem's) instead of running it fresh. */
  strict?: boolean;
  /** Where the payload is: default `job.data` for job objects, else the argument itself. */
  getPayload?: (jobOrPayload: any) => unknown;
}

/** A copy of `payload` with `_ctx` holding the current context (none outside a context).
 * @throws RangeError code CTXFRAME_JOB_CONTEXT_TOO_LARGE when the context exceeds maxBytes. */
export declare function injectContext<P extends object>(payload?: P, options?: JobContextOptions):
  P & { _ctx?: JobContextEnvelope };

export declare function extractContext(payload: unknown, options?: JobContextOptions):
  | { context: { [field: string]: JsonValue }; problem: null }
  | { context: null; problem: JobContextProblem };

/** `fn` runs inside the context its job carries; a job without a valid one runs in a fresh
 * context with a new requestId (one CtxframeWarning per problem kind), or fails when strict. */
export declare function wrapProcessor<F extends (jobOrPayload: any, ...rest: any[]) => any>(
  fn: F, options?: WrapProcessorOptions): F;

/** JSON-safe copy of the current context, or null outside one. */
export declare function captureContext(options?: { context?: ContextType<any> }): { [field: string]: JsonValue } | null;
export declare function isJsonSafe(value: unknown): boolean;

export declare const ENVELOPE_KEY: '_ctx';
export declare const ENVELOPE_VERSION: 1;
export declare const DEFAULT_MAX_BYTES: number;
export declare const PROBLEM_CODES: Readonly<Record<JobContextProblem, string>>;
