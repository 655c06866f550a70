// Types for ctxframe/otel: an OpenTelemetry ContextManager backed by ctxframe.
import type { Context, ContextManager } from '@opentelemetry/api';

export interface CtxframeContextManagerOptions {
  /** What active() returns outside any with(); defaults to @opentelemetry/api's ROOT_CONTEXT. */
  rootContext?: Context;
}

/** A disposable returned by attach(); dispose() restores the previous context once. */
export interface CtxframeAttachToken {
  dispose(): void;
}

export declare class CtxframeContextManager implements ContextManager {
  constructor(options?: CtxframeContextManagerOptions);
  active(): Context;
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    context: Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A
  ): ReturnType<F>;
  /** Functions run in `context`; EventEmitters run every listener added afterwards in `context`. */
  bind<T>(context: Context, target: T): T;
  enable(): this;
  disable(): this;
  /** Experimental (as in OpenTelemetry): make `context` active until the token is disposed. */
  attach(context: Context): CtxframeAttachToken;
}
