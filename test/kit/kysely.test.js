'use strict';
// ctxframe/kysely: ContextCommentPlugin against a real PostgreSQL with statement logging on.
// Concurrent requests' statements reach the server's log each with its own ids; hostile values
// stay inert; nothing is appended outside a context.

const assert = require('node:assert/strict');
const { Kysely, PostgresDialect, CamelCasePlugin, sql } = require('kysely');
const { Pool } = require('pg');
const { startPostgres } = require('../support/postgres.js');
const { requestContext, createContext } = require('ctxframe/context');
const {
  ContextCommentPlugin, serializeSqlComment, encodeSqlCommentComponent,
} = require('ctxframe/kysely');

const SAFE = /^[A-Za-z0-9._~%-]*$/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const wellFormed = (s) => s.replace(LONE_SURROGATE, '\uFFFD');
const COMMENT = /\/\*([^]*?)\*\//g;

// "/*a='x',b='y'*/" -> { a: 'x', b: 'y' } (decoded); throws on anything not well-formed.
function parseComment(comment) {
  const m = /^\/\*(.*)\*\/$/.exec(comment);
  assert.ok(m, `not a comment: ${comment}`);
  const out = {};
  for (const pair of m[1].split(',')) {
    const kv = /^([A-Za-z0-9._~%-]+)='([A-Za-z0-9._~%-]*)'$/.exec(pair);
    assert.ok(kv, `malformed pair ${pair} in ${comment}`);
    out[decodeURIComponent(kv[1])] = decodeURIComponent(kv[2]);
  }
  return out;
}

const HOSTILE = [
  "*/ DROP TABLE items; --",
  "'; DELETE FROM items; --",
  "/* nested /* open",
  "line1\nline2\r\n\tend",
  'nul\u0000byte',
  "quote'double\"back\\slash`tick",
  'unicode ü 漢字 😀 \u202e rtl',
  'lone \uD800 surrogate \uDC00',
  '$1 $$dollar$$ %s %%',
  "a=b,c='d'",
];

describe('ctxframe/kysely', () => {
  describe('serializeSqlComment / encoding', () => {
    it('URL-encodes keys and values, quotes values, sorts keys, skips null/undefined', () => {
      assert.equal(serializeSqlComment({ tenant_id: 't 1', request_id: 'r/1', route: null, x: undefined }),
        "/*request_id='r%2F1',tenant_id='t%201'*/");
      assert.equal(serializeSqlComment({}), '');
      assert.equal(serializeSqlComment({ 'b key': 1, a: true }), "/*a='true',b%20key='1'*/");
    });

    it('never lets a value produce a quote, slash, star, whitespace or control character', () => {
      for (const value of [...HOSTILE, ...HOSTILE.map((v) => v.repeat(3))]) {
        const encoded = encodeSqlCommentComponent(value);
        assert.match(encoded, SAFE, `encoded ${JSON.stringify(value)}`);
        assert.equal(decodeURIComponent(encoded), wellFormed(value));
        const comment = serializeSqlComment({ v: value });
        assert.equal(comment.indexOf('*/'), comment.length - 2);
        assert.equal(comment.lastIndexOf('/*'), 0);
        assert.deepEqual(Object.keys(parseComment(comment)), ['v']);
      }
      // Every single code unit 0..0xFFFF encodes to the safe alphabet.
      for (let c = 0; c <= 0xffff; c++) {
        assert.match(encodeSqlCommentComponent(String.fromCharCode(c)), SAFE);
      }
    });

    it('rejects bad options with stable codes', () => {
      assert.throws(() => new ContextCommentPlugin(null), { code: 'ERR_INVALID_ARG_TYPE' });
      assert.throws(() => new ContextCommentPlugin({ fields: ['requestId'] }), { code: 'ERR_INVALID_ARG_TYPE' });
      assert.throws(() => new ContextCommentPlugin({ fields: { a: 42 } }), { code: 'ERR_INVALID_ARG_TYPE' });
      assert.throws(() => new ContextCommentPlugin({ fields: { '': 'requestId' } }), { code: 'ERR_INVALID_ARG_VALUE' });
      assert.throws(() => new ContextCommentPlugin({ context: {} }), { code: 'ERR_INVALID_ARG_TYPE' });
      assert.throws(() => new ContextCommentPlugin({ maxValueLength: 0 }), { code: 'ERR_OUT_OF_RANGE' });
    });
  });

  describe('against a real PostgreSQL (log_statement=all)', () => {
    let pg;
    let db;
    let pool;
    let stopping = false;
    const clientErrors = [];
    let logOffset = 0;

    // Log lines written since the last call; statements never contain newlines here.
    const newLogLines = () => {
      const log = pg.readLog();
      const fresh = log.slice(logOffset);
      logOffset = log.length;
      return fresh.split('\n').filter((l) => /LOG:\s+(statement|execute [^:]*):/.test(l));
    };

    before(async () => {
      pg = await startPostgres();
      pool = new Pool({ connectionString: pg.connectionString, max: 8 });
      // pool.end() resolves before every socket is gone: a client still closing when the server
      // shuts down gets "terminating connection" then. Only errors before shutdown are failures.
      const onClientError = (err) => { if (!stopping) clientErrors.push(err); };
      pool.on('error', onClientError);
      pool.on('connect', (client) => client.on('error', onClientError));
      db = new Kysely({
        dialect: new PostgresDialect({ pool }),
        plugins: [new ContextCommentPlugin()],
      });
      await db.schema.createTable('items')
        .addColumn('id', 'serial', (c) => c.primaryKey())
        .addColumn('tenant', 'text')
        .addColumn('note', 'text')
        .execute();
    });

    after(async () => {
      stopping = true;
      if (db) await db.destroy();
      if (pg) await pg.stop();
      assert.deepEqual(clientErrors, []);
    });

    it('compiles a trailing comment onto select, insert, update, delete and raw sql inside a context only', () => {
      const queries = [
        () => db.selectFrom('items').selectAll().where('id', '=', 1).forUpdate().skipLocked(),
        () => db.insertInto('items').values({ note: 'n' }).returning('id'),
        () => db.updateTable('items').set({ note: 'n' }).where('id', '=', 1).returning('id'),
        () => db.deleteFrom('items').where('id', '=', 1),
        () => db.selectFrom('items').select('id').union(db.selectFrom('items').select('id')).limit(3),
        () => db.selectFrom('items').select('id')
          .where('id', 'in', db.selectFrom('items').select('id').where('note', 'in', ['a', 'b']))
          .where((eb) => eb.exists(eb.selectFrom('items as i2').select('i2.id'))),
        () => db.insertInto('items').columns(['note']).expression(db.selectFrom('items').select('note')),
        () => sql`select ${1}::int as one`,
        () => sql`select 2 as two;`,
      ];
      for (const make of queries) {
        const outside = make().compile(db).sql;
        assert.doesNotMatch(outside, /\/\*/);
        const inside = requestContext.withContext({ requestId: 'r-1', tenantId: 't-1' }, () => make().compile(db).sql);
        const comment = "/*request_id='r-1',tenant_id='t-1'*/";
        assert.equal(inside.replace(` ${comment}`, ''), outside, inside);
        assert.ok(inside.endsWith(comment) || inside.endsWith(`${comment};`), inside);
        assert.equal(inside.split('/*').length, 2, `exactly one comment: ${inside}`);
      }
      // A sub-query built in one context and run in another carries only the runner's comment.
      const sub = requestContext.withContext({ requestId: 'builder' }, () => db.selectFrom('items').select('id'));
      const mixed = requestContext.withContext({ requestId: 'runner' },
        () => db.selectFrom('items').select('id').where('id', 'in', sub).compile().sql);
      assert.equal(mixed, 'select "id" from "items" where "id" in (select "id" from "items") /*request_id=\'runner\'*/');
      assert.equal(db.selectFrom('items').select('id').where('id', 'in', sub).compile().sql,
        'select "id" from "items" where "id" in (select "id" from "items")');
      // sqlcommenter: a statement that already has a comment is left alone.
      const commented = requestContext.withContext({ requestId: 'r' },
        () => sql`select 1 /* mine */`.compile(db).sql);
      assert.equal(commented, 'select 1 /* mine */');
      // Another plugin rebuilding the tree (CamelCasePlugin) before or after: still one comment.
      for (const plugins of [[new CamelCasePlugin(), new ContextCommentPlugin()], [new ContextCommentPlugin(), new CamelCasePlugin()]]) {
        const other = new Kysely({ dialect: new PostgresDialect({ pool: {} }), plugins });
        const text = requestContext.withContext({ requestId: 'cc' }, () => other.selectFrom('someTable').select('someId')
          .where('someId', 'in', other.selectFrom('someTable').select('someId')).compile().sql);
        assert.equal(text, 'select "some_id" from "some_table" where "some_id" in (select "some_id" from "some_table") /*request_id=\'cc\'*/');
      }
      // No field present in the context: no comment.
      assert.equal(requestContext.withContext({ requestId: 'r' }, () => {
        return new Kysely({ dialect: new PostgresDialect({ pool: {} }),
          plugins: [new ContextCommentPlugin({ fields: { user_id: 'userId' } })] })
          .selectFrom('items').select('id').compile().sql;
      }), 'select "id" from "items"');
    });

    it('concurrent requests: every logged statement carries its own request\'s ids', async () => {
      newLogLines();
      const REQUESTS = 20;
      await Promise.all(Array.from({ length: REQUESTS }, (_, i) => requestContext.withContext(
        { requestId: `req-${i}-${Math.random().toString(36).slice(2, 8)}`, tenantId: `tenant-${i}` },
        async () => {
          const note = sql.lit(`note-${i}`);
          await db.insertInto('items').values({ tenant: sql.lit(`tenant-${i}`), note }).execute();
          await new Promise((resolve) => setTimeout(resolve, i % 4));
          const rows = await db.selectFrom('items').select(['note', 'tenant']).where('note', '=', note).execute();
          assert.deepEqual(rows, [{ note: `note-${i}`, tenant: `tenant-${i}` }]);
          await db.updateTable('items').set({ tenant: sql.lit(`tenant-${i}!`) }).where('note', '=', note).execute();
          await db.transaction().execute(async (trx) => {
            await sql`select count(*) from items where note = ${note}`.execute(trx);
          });
          await db.deleteFrom('items').where('note', '=', note).execute();
          return requestContext.get('requestId');
        })));
      const lines = newLogLines().filter((l) => /note-\d+/.test(l));
      assert.equal(lines.length, REQUESTS * 5, lines.join('\n'));
      const perRequest = new Map();
      for (const line of lines) {
        const i = Number(/note-(\d+)/.exec(line)[1]);
        const comments = line.match(COMMENT);
        assert.equal(comments.length, 1, line);
        assert.ok(line.endsWith(comments[0]), `comment at the end: ${line}`);
        const attrs = parseComment(comments[0]);
        assert.match(attrs.request_id, new RegExp(`^req-${i}-[a-z0-9]+$`), line);
        assert.equal(attrs.tenant_id, `tenant-${i}`, line);
        perRequest.set(i, new Set([...(perRequest.get(i) || []), attrs.request_id]));
      }
      assert.equal(perRequest.size, REQUESTS);
      for (const ids of perRequest.values()) assert.equal(ids.size, 1);
    });

    it('hostile values come out inert: queries run correctly and the logged comment is well-formed and closed', async () => {
      newLogLines();
      for (const [n, value] of HOSTILE.entries()) {
        const marker = `hostile-${n}`;
        const rows = await requestContext.withContext({ requestId: value, tenantId: `${value}|t` }, async () => {
          await db.insertInto('items').values({ note: sql.lit(marker) }).execute();
          return db.selectFrom('items').select('note').where('note', '=', sql.lit(marker)).execute();
        });
        assert.deepEqual(rows, [{ note: marker }]);
      }
      assert.equal(Number((await db.selectFrom('items').select((eb) => eb.fn.countAll().as('c')).executeTakeFirst()).c),
        HOSTILE.length, 'the table and every row are still there');
      const lines = newLogLines().filter((l) => l.includes('hostile-'));
      assert.equal(lines.length, HOSTILE.length * 2);
      for (const line of lines) {
        const n = Number(/hostile-(\d+)/.exec(line)[1]);
        const comments = line.match(COMMENT);
        assert.equal(comments.length, 1, line);
        assert.ok(line.endsWith(comments[0]), line);
        const expected = wellFormed(HOSTILE[n]);
        assert.deepEqual(parseComment(comments[0]), { request_id: expected, tenant_id: `${expected}|t` });
      }
      await db.deleteFrom('items').execute();
    });

    it('appends nothing outside a context', async () => {
      newLogLines();
      await db.selectFrom('items').select('id').where('note', '=', sql.lit('outside-marker')).execute();
      await sql`select ${'outside-marker'}::text as x`.execute(db);
      const lines = newLogLines().filter((l) => l.includes('outside-marker') || l.includes('::text as x'));
      assert.equal(lines.length, 2, lines.join('\n'));
      for (const line of lines) assert.doesNotMatch(line, /\/\*/);
    });

    it('custom fields, functions and a custom context', async () => {
      const Tenant = createContext({ name: 'TenantCtx' });
      const custom = db.withPlugin(new ContextCommentPlugin({
        context: Tenant,
        fields: { route: (ctx) => ctx.route, user: 'userId', traceparent: (ctx) => `00-${ctx.traceId}-${ctx.spanId}-01` },
      }));
      newLogLines();
      await Tenant.run({ route: '/orders/:id', userId: 42, traceId: 'a'.repeat(32), spanId: 'b'.repeat(16) },
        () => custom.selectFrom('items').select('id').where('note', '=', sql.lit('custom-marker')).execute());
      const [line] = newLogLines().filter((l) => l.includes('custom-marker'));
      // Both plugins ran: the default one sees no requestContext, so only the custom comment.
      assert.ok(line.endsWith(`/*route='%2Forders%2F%3Aid',traceparent='00-${'a'.repeat(32)}-${'b'.repeat(16)}-01',user='42'*/`), line);
    });
  });
});
