// Types for ctxframe/koa — request context ingress as a Koa middleware.
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { IngressOptions } from './http';

export type { IngressOptions, RequestSummary, RequestMetrics, ResolvedFields } from './http';
export { count, requestMetrics, isValidRequestId } from './http';

/** The parts of Koa's ctx the middleware and resolve() use (resolve receives the real ctx). */
export interface KoaContextLike {
  req: IncomingMessage;
  res: ServerResponse;
  headers: IncomingHttpHeaders;
  [key: string]: any;
}

/** Koa middleware; use it first: app.use(requestContextMiddleware(options)). */
export function requestContextMiddleware(options?: IngressOptions<KoaContextLike>): (ctx: any, next: () => Promise<unknown>) => Promise<unknown> | undefined;
