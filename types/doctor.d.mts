// Types for `node --import ctxframe/doctor` / `import … from 'ctxframe/doctor'` (lib/doctor.mjs).
import * as doctor from './doctor.js';

export * from './doctor.js';
export default doctor;
