// Type definitions for ctxframe's core (require('ctxframe')): a drop-in AsyncLocalStorage.
// CommonJS: module.exports has no `default`; the ESM entry's types are index.d.mts.

export interface AsyncLocalStorageOptions<T> {
  /** Returned by getStore() where no store has been set for this storage. */
  defaultValue?: T;
  /** A name for the storage, shown by `.name`. Non-strings are stringified. */
  name?: string;
}

export interface RunScope extends Disposable {
  /** Restores the store that was current when the scope was created. Idempotent. */
  dispose(): void;
  [Symbol.dispose](): void;
}

export class AsyncLocalStorage<T> {
  constructor(options?: AsyncLocalStorageOptions<T>);

  /** The storage's name, or '' when none was given. */
  readonly name: string;

  /** Binds `fn` to the current execution context (every storage, ctxframe's and the built-in's). */
  static bind<Func extends (...args: any[]) => any>(fn: Func): Func;

  /** Captures the current execution context; the returned function runs callbacks inside it. */
  static snapshot(): <R, TArgs extends any[]>(fn: (...args: TArgs) => R, ...args: TArgs) => R;

  /** The current store, or the defaultValue where none is set. */
  getStore(): T | undefined;

  /** Runs `fn` with `store` as the current store, restoring the previous one afterwards. */
  run<R>(store: T, callback: () => R): R;
  run<R, TArgs extends any[]>(store: T, callback: (...args: TArgs) => R, ...args: TArgs): R;

  /** Runs `fn` outside this storage's context. */
  exit<R, TArgs extends any[]>(callback: (...args: TArgs) => R, ...args: TArgs): R;

  /** Makes `store` current for the rest of the current synchronous execution and what it schedules. */
  enterWith(store: T): void;

  /** Enters `store` until the returned scope is disposed (`using scope = als.withScope(x)`). */
  withScope(store: T): RunScope;

  /** Exits this storage's context, exactly as the running Node's built-in disable() does. */
  disable(): void;
}

/** The backend chosen at load: see README "Backends". */
export const backend: 'frame' | 'carrier' | 'builtin';

/**
 * How the `frame` backend reaches V8's continuation: `'native'` through ctxframe's native part,
 * `'js'` through Node's public API where the native part is missing (no prebuild for the platform
 * or Node release, a bundle); `null` on the other backends. See docs/backends.md.
 */
export const continuation: 'native' | 'js' | null;
