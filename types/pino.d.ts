// Types for ctxframe/pino: a pino mixin adding the current context's fields to every line.
import type { ContextType } from './context';

export interface ContextFieldOptions {
  /** The context to read. Default: requestContext from ctxframe/context. */
  context?: Pick<ContextType<any>, 'currentOrNull'>;
  /** Fields to add (those present), or 'all' for every field. Default: the well-known fields. */
  fields?: readonly string[] | 'all';
  /** Nest the fields under this key instead of the top level. */
  key?: string;
}

/** For pino({ mixin }): returns the context's fields (a fresh object; `{}` outside a context). */
export declare function pinoMixin(options?: ContextFieldOptions): (
  mergeObject?: object, level?: number, logger?: unknown
) => Record<string, unknown>;

/** `{ mixin: pinoMixin(options) }`, to spread into pino's options. */
export declare function pinoOptions(options?: ContextFieldOptions): {
  mixin: ReturnType<typeof pinoMixin>;
};
