// ctxframe/doctor: finds where a request's context was lost or leaked. On when preloaded
// (`node -r ctxframe/doctor`, `--import ctxframe/doctor`) or with CTXFRAME_DOCTOR=1.

/** The kind of async boundary doctor names; each has a section in docs/doctor.md. */
export type DoctorKind =
  | 'pool'
  | 'emitter'
  | 'queue'
  | 'timer'
  | 'native-callback'
  | 'thenable'
  | 'stored-resolve'
  | 'async-resource'
  | 'before-ingress';

/** lost: no context where one was expected; leaked: a finished request's context read from
 * work that outlived it (or running another request's work); conflated: one request's context
 * read in, or running, another request's work. */
export type DoctorFindingType = 'lost' | 'leaked' | 'conflated';

export interface DoctorLocation {
  /** `file:line`, the file relative to the working directory when it is under it. */
  site: string;
  file: string | null;
  line: number;
  column: number;
  fn: string | null;
}

export interface DoctorFinding {
  type: DoctorFindingType;
  kind: DoctorKind;
  /** The package (under node_modules) that called the callback, when one did. */
  library: string | null;
  /** Where the work that lost (or carried) the context was registered or created. */
  site: string;
  file: string | null;
  line: number;
  column: number;
  /** The context type (createContext name) or storage name that was read. */
  context: string;
  count: number;
  /** How it was read: 'current()', 'assertContext()', 'with()', 'pino', 'winston', 'getStore()', 'read'; 'res.write()', 'res.end()' for a response written in another request's context. */
  apis: string[];
  /** lost: requests that handed the work over (when known); leaked/conflated: the request whose context was read. */
  requestIds: Array<string | number>;
  /** conflated/leaked: the requests whose work ran in (or read) another request's context. */
  otherRequestIds: Array<string | number>;
  boundary: string;
  why: string;
  fix: string;
  /** `ctxframe/docs/doctor.md#<kind>` */
  docs: string;
  /** The first occurrence in detail. */
  example: {
    read: DoctorLocation | null;
    callback: DoctorLocation | null;
    invokedBy: DoctorLocation | null;
    resource: {
      type: string | null;
      asyncId: number | null;
      createdAt: DoctorLocation | null;
      createdIn: string | number | null;
      interval?: boolean;
    };
    lastUse: { at: DoctorLocation | null; in: string | number | null } | null;
  };
}

export interface DoctorReport {
  enabled: boolean;
  backend?: 'frame' | 'carrier' | 'builtin';
  node?: string;
  pid?: number;
  requests?: { started: number; ended: number; inFlight: number };
  /** Failures inside doctor itself; they are never passed on to the application. */
  internalErrors?: number;
  /** The first of those failures, with its stack, for a bug report. */
  internalError?: string;
  /** How doctor follows promises: V8's promise hooks (frame backend, Node 24.9+) or async_hooks. */
  promises?: 'v8.promiseHooks' | 'async_hooks';
  findings: DoctorFinding[];
  /** Reads without a context that a framework made for a request before the request entered
   * its context (Fastify's "incoming request" line): counted here, not findings. */
  beforeIngress?: Array<{ site: string; library: string | null; apis: string[]; count: number }>;
  /** Findings in work marked with outsideRequests() or CTXFRAME_DOCTOR_OUTSIDE_REQUESTS. */
  marked?: Array<{ type: DoctorFindingType; kind: DoctorKind; site: string; context: string; count: number }>;
}

/** Whether doctor is on in this process. */
export declare const enabled: boolean;

/** Marks a storage whose every read should find a store; with doctor on, a read that finds
 * none is reported. Returns the storage. A no-op when doctor is off. */
export declare function expect<S extends { getStore(): unknown }>(storage: S): S;

/** Declares work that runs outside requests on purpose. A function: returns a wrapper that
 * calls it with the same `this`, arguments and result; what it reads, and what async work it
 * starts reads, is counted under `report().marked` instead of reported. A `'file:line'` or
 * `'file'` site (matched as a path suffix): findings there are counted the same way. Returns
 * its argument's wrapper (function) or the argument (site); with doctor off, the argument. */
export declare function outsideRequests<F extends (...args: any[]) => any>(fn: F): F;
export declare function outsideRequests(site: string): string;

/** What doctor found so far. */
export declare function report(): DoctorReport;
