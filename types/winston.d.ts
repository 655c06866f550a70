// Types for ctxframe/winston: a winston format adding the current context's fields.
import type { Logform } from 'winston';
import type { ContextFieldOptions } from './pino';

export type { ContextFieldOptions };

/** A winston format: adds the context's fields to each entry, never replacing one already set. */
export declare function contextFormat(options?: ContextFieldOptions): Logform.Format;

/** The keys winston and its usual formats write; a context field of one of these names is written as `ctx_<name>`. */
export declare const WINSTON_KEYS: readonly string[];
