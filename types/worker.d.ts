// Types for ctxframe/worker — the request context across worker_threads messages and workerData.
import type { ContextType } from './context';
import type { MessagePort, Worker } from 'node:worker_threads';

/** One entry of a transfer list, as the installed @types/node declares `worker.postMessage()`'s
 * (its own name for it changed: `TransferListItem` up to @types/node 24, gone in 26). */
export type TransferListItem = NonNullable<Parameters<Worker['postMessage']>[1]>[number];

export interface WorkerContextOptions {
  /** The context to read / run in. Default: requestContext from ctxframe/context. */
  context?: ContextType<any>;
}

export interface OnContextMessageOptions extends WorkerContextOptions {
  /** Where messages arrive. Default: parentPort (inside a worker thread). */
  port?: MessagePort | Worker | { on(event: 'message', l: (v: any) => void): unknown; off(event: 'message', l: (v: any) => void): unknown };
}

/** target.postMessage(message + a JSON-safe copy of the current context, transferList). */
export declare function postWithContext(target: Worker | MessagePort | { postMessage(value: any, transferList?: readonly TransferListItem[]): void },
  message: unknown, transferList?: readonly TransferListItem[], options?: WorkerContextOptions): void;

/** For `new Worker(file, { workerData: workerDataWithContext(data) })`. */
export declare function workerDataWithContext<D>(data: D, options?: WorkerContextOptions): D | object;

/** handler(message) runs inside the context the message carries (fresh context for plain
 * messages). Returns a function that removes the listener. */
export declare function onContextMessage(handler: (message: any) => unknown, options?: OnContextMessageOptions): () => void;

/** fn(data) runs inside the context workerData carries (fresh context when none). */
export declare function runWithWorkerDataContext<R>(fn: (data: any) => R,
  options?: WorkerContextOptions & { workerData?: unknown }): R;

export declare const ENVELOPE_MARK: string;
