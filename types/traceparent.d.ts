// Types for ctxframe/traceparent — W3C Trace Context helpers.

export interface ParsedTraceparent {
  /** Two lowercase hex characters; never "ff". */
  version: string;
  /** 32 lowercase hex characters, not all zero. */
  traceId: string;
  /** 16 lowercase hex characters, not all zero: the caller's span id. */
  parentId: string;
  /** Two lowercase hex characters. */
  traceFlags: string;
}

/** Strict W3C parse; returns null for anything invalid. Never throws. */
export function parseTraceparent(header: unknown): ParsedTraceparent | null;

export interface TraceparentFields {
  traceId: string;
  spanId?: string;
  /** Accepted in place of spanId. */
  parentId?: string;
  /** Two lowercase hex characters or an integer 0-255. Default "00". */
  traceFlags?: string | number;
}

/** "00-<traceId>-<spanId>-<flags>". @throws TypeError code ERR_INVALID_ARG_VALUE on invalid ids. */
export function formatTraceparent(fields: TraceparentFields): string;
export function newTraceId(): string;
export function newSpanId(): string;
/** W3C tracestate grammar, at most 32 members and 512 characters. Never throws. */
export function isValidTracestate(value: unknown): boolean;
export function isValidTraceId(value: unknown): boolean;
export function isValidSpanId(value: unknown): boolean;
export function isValidTraceFlags(value: unknown): boolean;
export const MAX_TRACESTATE_LENGTH: number;
