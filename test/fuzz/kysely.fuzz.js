'use strict';
// Owns: fuzzing the SQL comment encoder (ctxframe/kysely) with context values and keys from
// outside. Properties: the comment uses only the sqlcommenter alphabet, so it cannot be closed
// early, open another comment, quote or break a line; it decodes back to the values; a compiled
// Kysely query ends with exactly one comment and keeps its own SQL unchanged.

const assert = require('node:assert');
const { fc, check, hostileString } = require('./support.js');
const { requestContext } = require('ctxframe/context');
const { ContextCommentPlugin, serializeSqlComment, encodeSqlCommentComponent } = require('ctxframe/kysely');
const { Kysely, DummyDriver, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler } = require('kysely');

const COMPONENT = /^[A-Za-z0-9\-_.~%]*$/;
const COMMENT = /^\/\*[A-Za-z0-9\-_.~%]*='[A-Za-z0-9\-_.~%]*'(,[A-Za-z0-9\-_.~%]*='[A-Za-z0-9\-_.~%]*')*\*\/$/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function db(plugin) {
  return new Kysely({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => new DummyDriver(),
      createIntrospector: (k) => new PostgresIntrospector(k),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    },
    plugins: [plugin],
  });
}

describe('fuzz: SQL comment encoding', function () {
  it('encodeSqlCommentComponent: only A-Z a-z 0-9 - _ . ~ %, and it decodes back', function () {
    check(fc.property(hostileString(80), (value) => {
      const encoded = encodeSqlCommentComponent(value);
      assert.match(encoded, COMPONENT);
      assert.strictEqual(decodeURIComponent(encoded), value.replace(LONE_SURROGATE, '\uFFFD'));
    }), 3000);
  });

  it('serializeSqlComment: one comment, nothing can close it early or quote out of it', function () {
    const attrs = fc.dictionary(hostileString(16).filter((k) => k !== '__proto__'), fc.oneof(hostileString(60), fc.integer(), fc.boolean(), fc.constant(null)), { maxKeys: 5 });
    check(fc.property(attrs, (attributes) => {
      const comment = serializeSqlComment(attributes);
      if (comment === '') {
        assert.ok(Object.values(attributes).every((v) => v === null));
        return;
      }
      assert.match(comment, COMMENT);
      assert.strictEqual(comment.indexOf('*/'), comment.length - 2);
      assert.strictEqual(comment.lastIndexOf('/*'), 0);
    }), 2000);
  });

  it('a compiled query inside any context ends with exactly one well-formed comment; its SQL is unchanged', function () {
    const plugin = new ContextCommentPlugin({ fields: { request_id: 'requestId', tenant_id: 'tenantId', user: 'userId' } });
    const withComment = db(plugin);
    const plain = db({ transformQuery: (a) => a.node, transformResult: async (a) => a.result });
    const ctxArb = fc.record({
      requestId: fc.oneof(hostileString(300), fc.constant('r-1')),
      tenantId: fc.oneof(hostileString(300), fc.integer(), fc.boolean()),
      userId: fc.oneof(hostileString(40), fc.array(hostileString(10), { maxLength: 3 }), fc.dictionary(hostileString(5), hostileString(5), { maxKeys: 2 })),
    }, { requiredKeys: ['requestId'] });
    check(fc.property(ctxArb, hostileString(20), (ctx, name) => {
      let frozen;
      try { frozen = requestContext.freeze(ctx); } catch { return; }
      const build = (k) => k.selectFrom('orders').select(['id']).where('name', '=', name);
      const base = build(plain).compile();
      const compiled = requestContext.run(frozen, () => build(withComment).compile());
      assert.deepStrictEqual(compiled.parameters, base.parameters);
      assert.ok(compiled.sql.startsWith(base.sql), `${compiled.sql} does not start with ${base.sql}`);
      const comment = compiled.sql.slice(base.sql.length).trim();
      assert.match(comment, COMMENT);
      assert.ok(!/[\r\n;]/.test(comment));
    }), 1000);
  });
});
