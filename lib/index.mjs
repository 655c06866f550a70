import ctxframe from './index.js';
export const { AsyncLocalStorage, backend } = ctxframe;
export default ctxframe;
