import ctxframe from './index.js';
export const { AsyncLocalStorage, backend, continuation } = ctxframe;
export default ctxframe;
