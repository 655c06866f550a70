// Types for ctxframe/winston: a winston format adding the current context's fields.
import type { Format } from 'logform';
import type { ContextFieldOptions } from './pino';

export type { ContextFieldOptions };

/** A winston format: adds the context's fields to each entry, never replacing one already set. */
export declare function contextFormat(options?: ContextFieldOptions): Format;
