// Types for ctxframe/express — request context ingress for Express: its first middleware, or
// around the whole app at the server.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { IngressOptions } from './http';

export type { IngressOptions, RequestSummary, RequestMetrics, ResolvedFields } from './http';
export { count, requestMetrics, isValidRequestId } from './http';

/** Express middleware (req, res, next); structurally typed so express types are not required. */
export type RequestContextMiddleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

/** resolve() receives Express's req. Mount first: app.use(requestContextMiddleware(options)). */
export function requestContextMiddleware(options?: IngressOptions<IncomingMessage & Record<string, any>>): RequestContextMiddleware;

/**
 * The same ingress around the whole app, for http.createServer(withRequestContext(app, options)):
 * the context is entered before Express's own middleware runs. resolve() receives Node's req.
 */
export function withRequestContext(
  app: (req: IncomingMessage, res: ServerResponse) => void,
  options?: IngressOptions,
): (req: IncomingMessage, res: ServerResponse) => void;
