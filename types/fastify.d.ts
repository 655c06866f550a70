// Types for ctxframe/fastify — request context ingress as a Fastify plugin.
import type { IncomingHttpHeaders } from 'node:http';
import type { IngressOptions } from './http';

export type { IngressOptions, RequestSummary, RequestMetrics, ResolvedFields } from './http';
export { count, requestMetrics, isValidRequestId } from './http';

/** The parts of Fastify's request resolve() can rely on (it receives the real FastifyRequest). */
export interface FastifyRequestLike {
  headers: IncomingHttpHeaders;
  raw: import('node:http').IncomingMessage;
  [key: string]: any;
}

export interface FastifyRequestContextOptions extends IngressOptions<FastifyRequestLike> {
  /** request.id (reqId in Fastify's logs) and the context's requestId are one value (Fastify's setGenReqId). Default true. */
  fastifyRequestId?: boolean;
}

/** A Fastify plugin (fastify-plugin semantics: not encapsulated). Register it before other onRequest hooks. */
export interface FastifyRequestContextPlugin {
  (instance: any, options: FastifyRequestContextOptions, done: (err?: Error) => void): void;
}

export const fastifyRequestContext: FastifyRequestContextPlugin;
declare const _default: FastifyRequestContextPlugin;
export default _default;
