'use strict';
// Owns: the services benchmark's two loopback peers, in one process the runner starts once (on
// the load generator's CPU, away from the measured server's):
//   - the downstream service the handler fetches: GET /down?id=<id> answers JSON with the id and
//     the propagation headers it got (traceparent, tracestate, sentry-trace, baggage), after a
//     macrotask turn, as a small service would;
//   - the agents' collector: answers what each agent asks of its backend (Elastic's server
//     version, 202 for Elastic intake, 200 otherwise; an empty body is a valid OTLP response),
//     reads every body and discards it, counting requests per path prefix.
// Prints `DOWNSTREAM <port> COLLECTOR <port>`; answers `stats` on stdin with a JSON line.

const http = require('node:http');
const readline = require('node:readline');

const HEADERS = ['traceparent', 'tracestate', 'sentry-trace', 'baggage'];
const counts = {};
let clientErrors = 0;

const downstream = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  setImmediate(() => {
    const headers = {};
    for (const h of HEADERS) if (req.headers[h] !== undefined) headers[h] = req.headers[h];
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ id: url.searchParams.get('id'), headers }));
  });
});
downstream.keepAliveTimeout = 60000;

const collector = http.createServer((req, res) => {
  const key = `${req.method} ${req.url.split('?')[0].split('/').slice(0, 3).join('/')}`;
  counts[key] = (counts[key] || 0) + 1;
  req.resume();
  req.on('end', () => {
    if (req.method === 'GET' && req.url === '/') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ version: '8.15.0', build_date: '2024-01-01T00:00:00Z', build_sha: 'x' }));
    } else if (req.url.startsWith('/v1/')) {
      res.setHeader('content-type', 'application/x-protobuf');
      res.end();
    } else {
      res.statusCode = req.url.startsWith('/intake/') ? 202 : 200;
      res.setHeader('content-type', 'application/json');
      res.end('{}');
    }
  });
});
// New Relic's agent speaks TLS to its collector: here the handshake fails, counted.
collector.on('clientError', (err, socket) => { clientErrors++; socket.destroy(); });

Promise.all([downstream, collector].map((s) => new Promise((resolve) => s.listen(0, '127.0.0.1', resolve)))).then(() => {
  process.stdout.write(`DOWNSTREAM ${downstream.address().port} COLLECTOR ${collector.address().port}\n`);
});

const lines = readline.createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (line.trim() === 'stats') process.stdout.write(`${JSON.stringify({ counts, clientErrors })}\n`);
});
lines.on('close', () => process.exit(0));
