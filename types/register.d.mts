// Types for `node --import ctxframe/register` / `import … from 'ctxframe/register'` (lib/register.mjs).
import * as ctxframe from './register.js';

export * from './register.js';
export default ctxframe;
