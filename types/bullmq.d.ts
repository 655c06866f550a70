// Types for ctxframe/bullmq — BullMQ jobs that carry the producer's request context.
import type { JobContextOptions, WrapProcessorOptions } from './jobs';

interface QueueLike {
  add(name: any, data: any, opts?: any): Promise<any>;
  addBulk?(jobs: any[]): Promise<any[]>;
}

/** queue.add(name, data + current context, opts). */
export declare function addJob<Q extends QueueLike>(queue: Q, name: Parameters<Q['add']>[0],
  data: Parameters<Q['add']>[1], opts?: Parameters<Q['add']>[2], options?: JobContextOptions): ReturnType<Q['add']>;

/** queue.addBulk(jobs, each job's data + current context). */
export declare function addBulkJobs<Q extends QueueLike>(queue: Q,
  jobs: { name: any; data?: any; opts?: any }[], options?: JobContextOptions): Promise<any[]>;

/** The same queue whose add() and addBulk() inject the current context. */
export declare function contextQueue<Q extends QueueLike>(queue: Q, options?: JobContextOptions): Q;

/** For `new Worker(name, contextProcessor(async (job, token) => ...), opts)`. */
export declare function contextProcessor<F extends (job: any, token?: string, signal?: AbortSignal) => any>(
  fn: F, options?: Omit<WrapProcessorOptions, 'getPayload'>): F;
