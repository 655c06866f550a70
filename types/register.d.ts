// `node -r ctxframe/register` / `node --import ctxframe/register`: replaces
// async_hooks.AsyncLocalStorage process-wide; exports the same as 'ctxframe'.
export { AsyncLocalStorage, backend } from './index';
export { default } from './index';
