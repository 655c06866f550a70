'use strict';
// ctxframe/kysely. Owns: ContextCommentPlugin: a Kysely plugin that appends a sqlcommenter-style
// comment (/*request_id='…',tenant_id='…'*/) built from the current request context to every
// query compiled inside a context, and nothing outside one. Keys and values are strictly
// percent-encoded, so a value can neither end the comment nor inject SQL.
// Builds Kysely operation nodes as plain frozen objects: it never requires kysely itself.

const { invalidArgType, invalidArgValue } = require('../errors.js');
const { validateOptions, validateObject, validateInteger, contextOption } = require('../validators.js');

const DEFAULT_FIELDS = Object.freeze({ request_id: 'requestId', tenant_id: 'tenantId' });
const DEFAULT_MAX_VALUE_LENGTH = 256;


const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

// Percent-encodes everything except A-Z a-z 0-9 - _ . ~ (RFC 3986 unreserved). Unlike plain
// encodeURIComponent this also encodes ! ' ( ) *, so the output can never contain a quote,
// a slash, a star, whitespace or a control character. Lone surrogates become U+FFFD.
function encodeSqlCommentComponent(value) {
  const text = String(value).replace(LONE_SURROGATE, '\uFFFD');
  return encodeURIComponent(text)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

// { key: value } -> "/*key='value',...*/" (keys sorted after encoding), or '' when empty.
function serializeSqlComment(attributes) {
  validateObject('attributes', attributes);
  const pairs = [];
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === null) continue;
    pairs.push([encodeSqlCommentComponent(key), encodeSqlCommentComponent(value)]);
  }
  if (pairs.length === 0) return '';
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return `/*${pairs.map(([k, v]) => `${k}='${v}'`).join(',')}*/`;
}

function toText(value, maxLength) {
  if (value === undefined || value === null) return undefined;
  let text;
  if (typeof value === 'string') text = value;
  else if (typeof value === 'number' || typeof value === 'boolean') text = String(value);
  else {
    try { text = JSON.stringify(value); } catch { return undefined; }
    if (text === undefined) return undefined;
  }
  return text.length > maxLength ? text.slice(0, maxLength) : text;
}

const rawNode = (sql) => Object.freeze({
  kind: 'RawNode', sqlFragments: Object.freeze([sql]), parameters: Object.freeze([]),
});

const END_MODIFIER_KINDS = new Set([
  'InsertQueryNode', 'UpdateQueryNode', 'DeleteQueryNode', 'MergeQueryNode', 'CreateTableNode',
]);

// The root node with `comment` at its end; the node itself when its kind cannot carry one or
// (sqlcommenter rule) a raw query already contains a comment.
function appendComment(node, comment) {
  if (node === null || typeof node !== 'object') return node;
  if (node.kind === 'RawNode') {
    const fragments = node.sqlFragments;
    if (fragments.some((f) => f.includes('/*') || f.includes('--'))) return node;
    const last = fragments[fragments.length - 1];
    const tail = /;\s*$/.exec(last); // keep a trailing semicolon after the comment
    const updated = tail
      ? `${last.slice(0, tail.index)} ${comment}${last.slice(tail.index)}`
      : `${last} ${comment}`;
    return Object.freeze({
      ...node,
      sqlFragments: Object.freeze([...fragments.slice(0, -1), updated]),
    });
  }
  if (node.kind === 'SelectQueryNode') {
    const modifier = Object.freeze({ kind: 'SelectModifierNode', rawModifier: rawNode(comment) });
    return Object.freeze({ ...node, endModifiers: Object.freeze([...(node.endModifiers || []), modifier]) });
  }
  if (END_MODIFIER_KINDS.has(node.kind)) {
    return Object.freeze({
      ...node, endModifiers: Object.freeze([...(node.endModifiers || []), rawNode(comment)]),
    });
  }
  return node;
}

// A comment this plugin produced: exactly the sqlcommenter shape with the encoded alphabet.
const OUR_COMMENT = /^\/\*[A-Za-z0-9._~%-]+='[A-Za-z0-9._~%-]*'(?:,[A-Za-z0-9._~%-]+='[A-Za-z0-9._~%-]*')*\*\/$/;

function isOurCommentNode(node) {
  if (node === null || typeof node !== 'object') return false;
  if (node.kind === 'SelectModifierNode') return isOurCommentNode(node.rawModifier);
  return node.kind === 'RawNode' && node.sqlFragments.length === 1 &&
    node.parameters.length === 0 && OUR_COMMENT.test(node.sqlFragments[0]);
}

// Kysely runs plugins on every query builder it turns into a node, sub-queries included
// (a union, an `in (select …)`), so sub-queries built inside a context already carry a
// comment. Returns `node` without any of them (the same object when there are none),
// descending only into operation nodes, never into parameter values.
function stripComments(node) {
  if (node === null || typeof node !== 'object' || node.kind === 'ValueNode' ||
      node.kind === 'PrimitiveValueListNode') {
    return node;
  }
  let changed = null;
  for (const key of Object.keys(node)) {
    const value = node[key];
    let updated = value;
    if (Array.isArray(value)) {
      let list = null;
      for (let i = 0; i < value.length; i++) {
        const item = value[i];
        if (key === 'endModifiers' && isOurCommentNode(item)) {
          if (list === null) list = value.slice(0, i);
          continue;
        }
        const stripped = item !== null && typeof item === 'object' && typeof item.kind === 'string'
          ? stripComments(item) : item;
        if (stripped !== item && list === null) list = value.slice(0, i);
        if (list !== null) list.push(stripped);
      }
      if (list !== null) updated = Object.freeze(list);
    } else if (value !== null && typeof value === 'object' && typeof value.kind === 'string') {
      updated = stripComments(value);
    }
    if (updated !== value) {
      if (changed === null) changed = { ...node };
      changed[key] = updated;
    }
  }
  return changed === null ? node : Object.freeze(changed);
}

class ContextCommentPlugin {
  #fields;
  #context;
  #maxValueLength;

  constructor(options) {
    options = validateOptions('options', options, ['context', 'fields', 'maxValueLength']);
    const fields = options.fields === undefined ? DEFAULT_FIELDS : options.fields;
    if (fields === null || typeof fields !== 'object' || Array.isArray(fields)) {
      throw invalidArgType('options.fields', 'an object mapping comment keys to context fields', fields);
    }
    this.#fields = Object.entries(fields).map(([key, source]) => {
      if (key.length === 0) throw invalidArgValue('options.fields', fields, 'must not have an empty key');
      if (!(typeof source === 'string' && source.length > 0) && typeof source !== 'function') {
        throw invalidArgType(`options.fields.${key}`, 'a context field name or a function (ctx) => value', source);
      }
      return [key, source];
    });
    const context = contextOption(options, ['currentOrNull']);
    this.#context = context;
    this.#maxValueLength = validateInteger('options.maxValueLength', options.maxValueLength, 1,
      DEFAULT_MAX_VALUE_LENGTH);
  }

  // The comment for the current context ('' outside a context or when no field has a value).
  comment() {
    const ctx = this.#context.currentOrNull();
    if (ctx === null) return '';
    const attributes = {};
    for (const [key, source] of this.#fields) {
      const value = typeof source === 'function' ? source(ctx) : ctx[source];
      const text = toText(value, this.#maxValueLength);
      if (text !== undefined) attributes[key] = text;
    }
    return serializeSqlComment(attributes);
  }

  // Called by Kysely for the root query and for every sub-query builder: strips comments from
  // sub-queries, then appends the current context's comment at the end of the statement.
  transformQuery(args) {
    const node = stripComments(args.node);
    const comment = this.comment();
    return comment === '' ? node : appendComment(node, comment);
  }

  async transformResult(args) {
    return args.result;
  }
}

module.exports = {
  ContextCommentPlugin,
  serializeSqlComment,
  encodeSqlCommentComponent,
  DEFAULT_FIELDS,
};
