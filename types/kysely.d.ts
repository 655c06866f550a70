// Types for ctxframe/kysely — sqlcommenter comments from the request context.
import type { ContextType } from './context';

export type CommentFieldSource = string | ((ctx: any) => unknown);

export interface ContextCommentPluginOptions {
  /** Comment key -> context field name, or a function of the context.
   * Default { request_id: 'requestId', tenant_id: 'tenantId' }. */
  fields?: Record<string, CommentFieldSource>;
  /** The context to read. Default: requestContext from ctxframe/context. */
  context?: Pick<ContextType<any>, 'currentOrNull'>;
  /** Values longer than this (characters, before encoding) are cut. Default 256. */
  maxValueLength?: number;
}

/** A Kysely plugin (KyselyPlugin) appending `/*key='value',...*\/` to queries run inside a context. */
export declare class ContextCommentPlugin {
  constructor(options?: ContextCommentPluginOptions);
  /** The comment for the current context, or '' outside one. */
  comment(): string;
  transformQuery(args: { node: any; queryId: any }): any;
  transformResult(args: { result: any; queryId: any }): Promise<any>;
}

/** { key: value } -> "/*key='value',...*\/" (sorted, strictly percent-encoded), '' when empty. */
export declare function serializeSqlComment(attributes: Record<string, unknown>): string;
/** Percent-encodes all but A-Z a-z 0-9 - _ . ~ (lone surrogates become U+FFFD). */
export declare function encodeSqlCommentComponent(value: unknown): string;
export declare const DEFAULT_FIELDS: Readonly<Record<string, string>>;
