// Sentry as the services benchmark runs it, initialised the way Sentry asks (`node --import`,
// after `--import ctxframe/register` on the register side): every transaction sampled and sent
// to the benchmark's loopback collector (BENCH_COLLECTOR) as its DSN.
import * as Sentry from '@sentry/node';

const collector = new URL(process.env.BENCH_COLLECTOR);
Sentry.init({
  dsn: `http://public@${collector.host}/1`,
  tracesSampleRate: 1,
  sendDefaultPii: false,
});
globalThis.Sentry = Sentry;
