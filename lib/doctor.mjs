// `node --import ctxframe/doctor app.mjs`: the ESM spelling of ctxframe/doctor.
import doctor from './doctor/index.js';

export const { enabled, expect, outsideRequests, report } = doctor;
export default doctor;
