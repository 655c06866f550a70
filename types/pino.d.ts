// Types for ctxframe/pino: a pino mixin adding the current context's fields to every line.
import type { ContextType } from './context';

export interface ContextFieldOptions {
  /** The context to read. Default: requestContext from ctxframe/context. */
  context?: Pick<ContextType<any>, 'currentOrNull'>;
  /** Fields to add (those present), or 'all' for every field. Default: the well-known fields. */
  fields?: readonly string[] | 'all';
  /** Nest the fields under this key instead of the top level (not one of the logger's own keys). */
  key?: string;
  /**
   * Keys the logger writes itself, beyond its defaults (a custom messageKey, errorKey, base
   * fields…): a context field of such a name is written as `ctx_<name>`.
   */
  reservedKeys?: readonly string[];
}

/** The keys pino writes itself; a context field of one of these names is written as `ctx_<name>`. */
export declare const PINO_KEYS: readonly string[];

/** For pino({ mixin }): returns the context's fields (a fresh object; `{}` outside a context). */
export declare function pinoMixin(options?: ContextFieldOptions): (
  mergeObject?: object, level?: number, logger?: unknown
) => Record<string, unknown>;

/** `{ mixin: pinoMixin(options) }`, to spread into pino's options. */
export declare function pinoOptions(options?: ContextFieldOptions): {
  mixin: ReturnType<typeof pinoMixin>;
};
