// `node --import ctxframe/register app.mjs`: the ESM spelling of register.js.
import ctxframe from './register.js';

export const { AsyncLocalStorage, backend, continuation } = ctxframe;
export default ctxframe;
