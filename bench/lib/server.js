'use strict';
// Owns: the node:http server of workloads 6 (http) and 7 (memory), and its line protocol with the
// runner. The server listens on 127.0.0.1:0 and prints `PORT <n>`; then the runner writes commands
// on stdin, one per line, and the process answers each with one line on stdout:
//   mark   -> `MARKED`: start counting (requests, CPU, wall time) from now; with --expose-gc, also
//             collect garbage and record the heap as the baseline
//   report -> the BENCH-RESULT line (see child.js), then the process exits
// Every request runs inside the variant's context (all N storages), awaits 3 trivial async calls,
// reads the store, and answers 200 with a small body.

const http = require('node:http');
const readline = require('node:readline');
const { createVariant } = require('./variant.js');
const { readConfig, mismatch } = require('./child.js');

async function step(i) {
  return i;
}

function startServer(onReport) {
  const config = readConfig();
  const variant = createVariant(config.variant);
  let requests = 0;
  let seq = 0;

  async function handle(res, id) {
    await step(1);
    await step(2);
    await step(3);
    const requestId = variant.kind === 'none' ? id : variant.read().requestId;
    if (requestId !== id) mismatch('http');
    requests++;
    res.end(`ok ${requestId}`);
  }

  // A fresh store per request for storage 0, as a real server would create.
  const storeFor = (i, id) => (i === 0 ? { storage: 0, requestId: id } : variant.stores[i]);
  const server = http.createServer((req, res) => {
    const id = `r${++seq}`;
    variant.enter(() => handle(res, id), (i) => storeFor(i, id)).catch((err) => {
      res.statusCode = 500;
      res.end(String(err && err.message));
    });
  });

  let mark = null;
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`PORT ${server.address().port}\n`);
  });
  const lines = readline.createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    const command = line.trim();
    if (command === 'mark') {
      const heap = typeof global.gc === 'function' ? collect() : null;
      mark = { requests, cpu: process.cpuUsage(), start: process.hrtime.bigint(), heap };
      process.stdout.write('MARKED\n');
    } else if (command === 'report') {
      const now = { requests, cpu: process.cpuUsage(mark.cpu), ms: Number(process.hrtime.bigint() - mark.start) / 1e6 };
      onReport(variant, mark, now, collect);
      lines.close();
      server.close();
      server.closeAllConnections();
    }
  });
}

// Full GC, twice (weak callbacks and finalizers can free more in the second pass); heapUsed bytes.
function collect() {
  global.gc();
  global.gc();
  return process.memoryUsage().heapUsed;
}

module.exports = { startServer };
