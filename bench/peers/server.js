'use strict';
// Owns: the server process of one HTTP measurement of the peers benchmark.
//   node [flags] bench/peers/server.js '{"variant":"<framework>:<mechanism>[+register]", ...}'
// Speaks bench/lib/server.js's line protocol: prints `PORT <n>`, then answers `mark` with
// `MARKED` (start counting requests and CPU), `sample` with `SAMPLE <cpu µs/req> <requests>` since
// the last mark (and marks again: the runner's settling windows, see bench/lib/execute.js) and
// `report` with the BENCH-RESULT line, then exits.
// Metrics: server CPU µs per request (user + system of this process) and req/s. A request whose
// handler read a wrong context answers 500, and the runner refuses a measurement with any.

const readline = require('node:readline');
const { startApp } = require('./apps.js');
const { readConfig, report } = require('../lib/child.js');

async function main() {
  const config = readConfig();
  const [framework, rest] = config.variant.split(':');
  const mechanism = rest.replace(/\+register$/, '');
  const app = await startApp(framework, mechanism);
  let requests = 0;
  // Counting on the raw server: the same for every framework and mechanism. (Wrong answers are
  // counted by the load generator: a wrong context answers 500.)
  const emit = require('node:http').Server.prototype.emit;
  require('node:http').Server.prototype.emit = function countRequests(event) {
    if (event === 'request') requests++;
    return emit.apply(this, arguments);
  };
  process.stdout.write(`PORT ${app.port}\n`);

  let mark = null;
  const lines = readline.createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    const command = line.trim();
    if (command === 'mark') {
      mark = { requests, cpu: process.cpuUsage(), start: process.hrtime.bigint() };
      process.stdout.write('MARKED\n');
    } else if (command === 'sample') {
      const cpu = process.cpuUsage(mark.cpu);
      const n = requests - mark.requests;
      mark = { requests, cpu: process.cpuUsage(), start: process.hrtime.bigint() };
      process.stdout.write(`SAMPLE ${(cpu.user + cpu.system) / n} ${n}\n`);
    } else if (command === 'report') {
      const cpu = process.cpuUsage(mark.cpu);
      const ms = Number(process.hrtime.bigint() - mark.start) / 1e6;
      const n = requests - mark.requests;
      const variant = { name: config.variant, kind: mechanism, count: 0, backend: app.backend };
      report(`peers-${framework}`, variant, {
        'cpu µs/req': (cpu.user + cpu.system) / n,
        'req/s': n / (ms / 1000),
      }, { requests: n, framework });
      lines.close();
      app.close();
      setTimeout(() => process.exit(0), 50).unref();
    }
  });
}

main().catch((err) => {
  console.error(err && err.stack ? err.stack : err);
  process.exit(1);
});
