// Types for `import … from 'ctxframe'` (lib/index.mjs): the named exports of the CommonJS entry,
// and a default export that is its module.exports object.
import * as ctxframe from './index.js';

export * from './index.js';
export default ctxframe;
