'use strict';
// Owns: parity scenarios for I/O — fs, net, http (+ keep-alive agent), dgram, zlib, crypto,
// dns, streams. Servers listen on 127.0.0.1 port 0 and are closed by each scenario.

const U = '<undefined>';

function once(emitter, event) {
  return new Promise((resolve) => emitter.once(event, resolve));
}

module.exports = {
  'fs callbacks, fs.promises and read streams': {
    async fn(ALS, t) {
      const fs = require('node:fs');
      const a = new ALS();
      await new Promise((resolve) => a.run('readFile', () => fs.readFile(__filename, (err) => {
        t.log(['readFile', !err, a.getStore()]);
        resolve();
      })));
      await new Promise((resolve) => a.run('stat', () => fs.stat(__filename, () => {
        t.log(['stat', a.getStore()]);
        fs.access(__filename, () => { t.log(['nested access', a.getStore()]); resolve(); });
      })));
      await a.run('promises', async () => {
        await fs.promises.readFile(__filename);
        t.log(['fs.promises.readFile', a.getStore()]);
        const fh = await fs.promises.open(__filename);
        await fh.read(Buffer.alloc(10), 0, 10, 0);
        t.log(['filehandle.read', a.getStore()]);
        await fh.close();
      });
      await new Promise((resolve) => a.run('stream', () => {
        const rs = fs.createReadStream(__filename, { highWaterMark: 1024 });
        let chunks = 0;
        rs.on('data', () => { if (chunks++ === 0) t.log(['stream data', a.getStore()]); });
        rs.on('end', () => { t.log(['stream end', a.getStore()]); });
        rs.on('close', () => { t.log(['stream close', a.getStore()]); resolve(); });
      }));
      t.log(a.getStore());
    },
    expect: [['readFile', true, 'readFile'], ['stat', 'stat'], ['nested access', 'stat'],
      ['fs.promises.readFile', 'promises'], ['filehandle.read', 'promises'], ['stream data', 'stream'],
      ['stream end', 'stream'], ['stream close', 'stream'], U],
  },

  'net server and client': {
    async fn(ALS, t) {
      const net = require('node:net');
      const a = new ALS();
      const seen = {}; // keyed: server and client events interleave differently under load
      let serverDataDone;
      const serverData = new Promise((r) => { serverDataDone = r; });
      const server = a.run('server', () => net.createServer((sock) => {
        seen['server connection'] = a.getStore();
        sock.on('data', (d) => {
          seen['server data'] = a.getStore();
          a.run('reply', () => sock.end(d));
          serverDataDone();
        });
      }));
      await new Promise((resolve) => a.run('listen', () => server.listen(0, '127.0.0.1', () => {
        seen['listen callback'] = a.getStore();
        resolve();
      })));
      const { port } = server.address();
      await new Promise((resolve) => a.run('client', () => {
        const c = net.connect(port, '127.0.0.1', () => {
          seen['client connect'] = a.getStore();
          c.write('hi');
        });
        c.on('data', () => { seen['client data'] = a.getStore(); });
        c.on('close', () => { seen['client close'] = a.getStore(); resolve(); });
      }));
      await serverData;
      await new Promise((resolve) => a.run('close', () => server.close(() => { seen['server close cb'] = a.getStore(); resolve(); })));
      t.log(seen);
    },
    // What the built-in shows on every runtime mode (20, 22, 22+flag, 24, 24-no-flag, 26).
    expect: [{ 'listen callback': 'listen', 'server connection': 'listen', 'client connect': 'client',
      'server data': U, 'client data': 'client', 'client close': 'client', 'server close cb': U }],
  },

  'http server and client': {
    async fn(ALS, t) {
      const http = require('node:http');
      const a = new ALS();
      const server = a.run('server', () => http.createServer((req, res) => {
        t.log(['server request', a.getStore()]);
        a.run(`handler ${req.url}`, () => {
          req.resume();
          req.on('end', () => setTimeout(() => {
            t.log(['handler timer', a.getStore()]);
            res.end('ok');
          }, 1));
        });
      }));
      await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address();
      const body = await new Promise((resolve, reject) => a.run('client', () => {
        const req = http.get(`http://127.0.0.1:${port}/one`, { agent: false }, (res) => {
          t.log(['client response', a.getStore()]);
          let data = '';
          res.on('data', (d) => { data += d; });
          res.on('end', () => { t.log(['client end', a.getStore()]); resolve(data); });
        });
        req.on('error', reject);
      }));
      t.log(body);
      await new Promise((resolve) => server.close(resolve));
      t.log(a.getStore());
    },
    expect: [['server request', U], ['handler timer', 'handler /one'], ['client response', 'client'],
      ['client end', 'client'], 'ok', U],
  },

  'http keep-alive Agent with maxSockets 1: each request sees its own store': {
    async fn(ALS, t) {
      const http = require('node:http');
      const a = new ALS();
      const server = http.createServer((req, res) => {
        req.resume();
        setTimeout(() => res.end(req.url), 2);
      });
      await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address();
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const request = (id) => a.run(id, () => new Promise((resolve, reject) => {
        http.get({ host: '127.0.0.1', port, path: `/${id}`, agent }, (res) => {
          const atResponse = a.getStore();
          let data = '';
          res.on('data', (d) => { data += d; });
          res.on('end', () => resolve({ id, body: data, atResponse, atEnd: a.getStore() }));
        }).on('error', reject);
      }));
      const results = await Promise.all([request('r1'), request('r2'), request('r3')]);
      for (const r of results) t.log(r);
      agent.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
    expect: [{ id: 'r1', body: '/r1', atResponse: 'r1', atEnd: 'r1' },
      { id: 'r2', body: '/r2', atResponse: 'r2', atEnd: 'r2' },
      { id: 'r3', body: '/r3', atResponse: 'r3', atEnd: 'r3' }],
  },

  'dgram send callback and message event': {
    async fn(ALS, t) {
      const dgram = require('node:dgram');
      const a = new ALS();
      const seen = {}; // keyed: the send callback and the message may come in either order
      const receiver = a.run('receiver', () => dgram.createSocket('udp4'));
      const got = new Promise((resolve) => receiver.on('message', () => { seen.message = a.getStore(); resolve(); }));
      await new Promise((resolve) => a.run('bind', () => receiver.bind(0, '127.0.0.1', resolve)));
      const sender = dgram.createSocket('udp4');
      await new Promise((resolve) => a.run('send', () => sender.send('x', receiver.address().port, '127.0.0.1', () => {
        seen['send callback'] = a.getStore();
        resolve();
      })));
      await got;
      await Promise.all([new Promise((r) => sender.close(r)), new Promise((r) => receiver.close(r))]);
      t.log(seen);
    },
    expect: [{ 'send callback': 'send', message: 'receiver' }],
  },

  'zlib callbacks and streams': {
    async fn(ALS, t) {
      const zlib = require('node:zlib');
      const a = new ALS();
      const gz = await new Promise((resolve) => a.run('gzip', () => zlib.gzip('hello', (err, buf) => {
        t.log(['gzip cb', a.getStore()]);
        resolve(buf);
      })));
      await new Promise((resolve) => a.run('gunzip', () => zlib.gunzip(gz, (err, buf) => {
        t.log(['gunzip cb', String(buf), a.getStore()]);
        resolve();
      })));
      await new Promise((resolve) => a.run('stream', () => {
        const z = zlib.createDeflate();
        z.on('data', () => {});
        z.on('end', () => { t.log(['deflate end', a.getStore()]); resolve(); });
        z.end('data');
      }));
    },
    expect: [['gzip cb', 'gzip'], ['gunzip cb', 'hello', 'gunzip'], ['deflate end', 'stream']],
  },

  'crypto.randomBytes and pbkdf2 callbacks': {
    async fn(ALS, t) {
      const crypto = require('node:crypto');
      const a = new ALS();
      await Promise.all([
        new Promise((resolve) => a.run('rb', () => crypto.randomBytes(8, () => { t.log(['randomBytes', a.getStore()]); resolve(); }))),
      ]);
      await new Promise((resolve) => a.run('pb', () => crypto.pbkdf2('pw', 'salt', 1, 16, 'sha256', () => {
        t.log(['pbkdf2', a.getStore()]);
        resolve();
      })));
      await a.run('subtle', async () => {
        await crypto.webcrypto.subtle.digest('SHA-256', Buffer.from('x'));
        t.log(['subtle.digest', a.getStore()]);
      });
    },
    expect: [['randomBytes', 'rb'], ['pbkdf2', 'pb'], ['subtle.digest', 'subtle']],
  },

  'dns.lookup localhost (callback and promises)': {
    async fn(ALS, t) {
      const dns = require('node:dns');
      const a = new ALS();
      await new Promise((resolve) => a.run('lookup', () => dns.lookup('localhost', (err) => {
        t.log(['lookup cb', !err, a.getStore()]);
        resolve();
      })));
      await a.run('promises', async () => {
        await dns.promises.lookup('localhost');
        t.log(['dns.promises.lookup', a.getStore()]);
      });
    },
    expect: [['lookup cb', true, 'lookup'], ['dns.promises.lookup', 'promises']],
  },

  'stream pipeline and finished': {
    async fn(ALS, t) {
      const { pipeline, finished, Readable, Transform, Writable } = require('node:stream');
      const sp = require('node:stream/promises');
      const a = new ALS();
      const make = () => [
        Readable.from(['a', 'b', 'c']),
        new Transform({ transform(chunk, enc, cb) { setTimeout(() => cb(null, chunk), 1); } }),
        new Writable({ write(chunk, enc, cb) { setImmediate(cb); } }),
      ];
      await new Promise((resolve) => a.run('pipeline', () => pipeline(...make(), (err) => {
        t.log(['pipeline cb', err, a.getStore()]);
        resolve();
      })));
      await a.run('promises', async () => {
        await sp.pipeline(...make());
        t.log(['stream/promises pipeline', a.getStore()]);
      });
      await new Promise((resolve) => {
        const s = make();
        a.run('finished', () => finished(s[2], () => { t.log(['finished cb', a.getStore()]); resolve(); }));
        pipeline(...s, () => {});
      });
      t.log(a.getStore());
    },
    // Node 20's stream.finished does not bind its callback to the caller's context.
    expect: (rt) => [['pipeline cb', U, 'pipeline'], ['stream/promises pipeline', 'promises'],
      ['finished cb', rt.nodeMajor >= 22 ? 'finished' : U], U],
  },

  'child_process.execFile callback and exit event': {
    async fn(ALS, t) {
      const { execFile } = require('node:child_process');
      const a = new ALS();
      const seen = {};
      await new Promise((resolve) => a.run('execFile', () => {
        // Under user-mode emulation (npm run test:arm64) a foreign node runs through the emulator.
        const emulator = process.env.CTXFRAME_TEST_EMULATOR;
        const argv = [process.execPath, '-e', 'process.stdout.write("ok")'];
        const cp = execFile(emulator || argv.shift(), argv, (err, stdout) => {
          seen.callback = [err, stdout, a.getStore()];
          resolve();
        });
        cp.on('exit', (code) => { seen.exit = [code, a.getStore()]; });
      }));
      await new Promise((r) => setImmediate(r));
      t.log(seen);
    },
    expect: [{ callback: [null, 'ok', 'execFile'], exit: [0, 'execFile'] }],
  },
};
