// Types for ctxframe/express — request context ingress as an Express middleware.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { IngressOptions } from './http';

export type { IngressOptions, RequestSummary, RequestMetrics, ResolvedFields } from './http';
export { count, requestMetrics, isValidRequestId } from './http';

/** Express middleware (req, res, next); structurally typed so express types are not required. */
export type RequestContextMiddleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

/** resolve() receives Express's req. Mount first: app.use(requestContextMiddleware(options)). */
export function requestContextMiddleware(options?: IngressOptions<IncomingMessage & Record<string, any>>): RequestContextMiddleware;
