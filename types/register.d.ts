// `node -r ctxframe/register` / `require('ctxframe/register')`: replaces
// async_hooks.AsyncLocalStorage process-wide; exports the same as 'ctxframe'.
export { AsyncLocalStorage, backend, continuation } from './index';
export type { AsyncLocalStorageOptions, RunScope } from './index';
