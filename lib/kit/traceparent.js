'use strict';
// ctxframe/traceparent. Owns: the W3C Trace Context helpers: strict `traceparent` parsing and
// formatting, random trace/span ids, and `tracestate` validation. Parsing never throws.

const { randomFillSync } = require('node:crypto');
const { invalidArgValue } = require('../errors.js');

const TRACE_ID_RE = /^[0-9a-f]{32}$/;
const SPAN_ID_RE = /^[0-9a-f]{16}$/;
const FLAGS_RE = /^[0-9a-f]{2}$/;
const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);
// Longest traceparent we look at: future versions may append fields, but nothing sane is this long.
const MAX_TRACEPARENT_LENGTH = 512;
// tracestate: vendors must propagate at least 512 characters; we accept up to that and no more.
const MAX_TRACESTATE_LENGTH = 512;
const MAX_TRACESTATE_MEMBERS = 32;

function isValidTraceId(value) {
  return typeof value === 'string' && TRACE_ID_RE.test(value) && value !== ZERO_TRACE_ID;
}

function isValidSpanId(value) {
  return typeof value === 'string' && SPAN_ID_RE.test(value) && value !== ZERO_SPAN_ID;
}

function isValidTraceFlags(value) {
  return typeof value === 'string' && FLAGS_RE.test(value);
}

// version-traceId-parentId-flags, each lowercase hex: the version-00 fields every version starts with.
const TRACEPARENT_PREFIX_RE = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}/;

function isHexAt(str, i) {
  const c = str.charCodeAt(i);
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102); // 0-9 a-f
}

// parseTraceparent('00-<32 hex>-<16 hex>-<2 hex>') -> { version, traceId, parentId, traceFlags } | null
// Runs on every request ingress sees: one regular expression test and three slices.
function parseTraceparent(header) {
  try {
    if (typeof header !== 'string') return null;
    // HTTP allows optional whitespace around a field value; Node already trims it (a value
    // that starts and ends with a hex digit has none to trim).
    const value = isHexAt(header, 0) && isHexAt(header, header.length - 1) ? header : header.trim();
    const length = value.length;
    if (length < 55 || length > MAX_TRACEPARENT_LENGTH || !TRACEPARENT_PREFIX_RE.test(value)) return null;
    const version = value.slice(0, 2);
    if (version === 'ff') return null;
    // Version 00 is exactly 55 characters; a higher version may append fields after a '-'.
    if (length > 55 && (version === '00' || value.charCodeAt(55) !== 45 /* - */)) return null;
    const traceId = value.slice(3, 35);
    const parentId = value.slice(36, 52);
    if (traceId === ZERO_TRACE_ID || parentId === ZERO_SPAN_ID) return null;
    return { version, traceId, parentId, traceFlags: value.slice(53, 55) };
  } catch {
    return null;
  }
}

function normalizeFlags(traceFlags) {
  if (traceFlags === undefined || traceFlags === null) return '00';
  if (typeof traceFlags === 'number' && Number.isInteger(traceFlags) && traceFlags >= 0 && traceFlags <= 255) {
    return traceFlags.toString(16).padStart(2, '0');
  }
  if (isValidTraceFlags(traceFlags)) return traceFlags;
  throw invalidArgValue('traceFlags', traceFlags, 'must be two lowercase hex characters or an integer 0-255');
}

// formatTraceparent({ traceId, spanId, traceFlags }) -> '00-traceId-spanId-flags'. Throws on bad input.
function formatTraceparent(fields) {
  if (fields === null || typeof fields !== 'object') {
    throw invalidArgValue('fields', fields, 'must be an object with traceId and spanId');
  }
  const { traceId } = fields;
  const spanId = fields.spanId !== undefined ? fields.spanId : fields.parentId;
  if (!isValidTraceId(traceId)) {
    throw invalidArgValue('fields.traceId', traceId, 'must be 32 lowercase hex characters, not all zero');
  }
  if (!isValidSpanId(spanId)) {
    throw invalidArgValue('fields.spanId', spanId, 'must be 16 lowercase hex characters, not all zero');
  }
  return `00-${traceId}-${spanId}-${normalizeFlags(fields.traceFlags)}`;
}

// Random ids from a pooled buffer, turned into hex once per refill: one randomFillSync and one
// hex conversion per 256 span ids instead of one per id; an id is a slice of the hex pool.
const pool = Buffer.alloc(4096);
let hexPool = '';
let hexOffset = 0;

function randomHex(bytes) {
  const chars = bytes * 2;
  for (;;) {
    if (hexOffset + chars > hexPool.length) {
      randomFillSync(pool);
      hexPool = pool.toString('hex');
      hexOffset = 0;
    }
    const hex = hexPool.slice(hexOffset, hexOffset + chars);
    hexOffset += chars;
    if (hex !== ZERO_TRACE_ID && hex !== ZERO_SPAN_ID) return hex; // all-zero ids are invalid; astronomically rare
  }
}

function newTraceId() {
  return randomHex(16);
}

function newSpanId() {
  return randomHex(8);
}

// W3C tracestate list-member key: simple-key or tenant@system multi-tenant key.
const SIMPLE_KEY = '[a-z][a-z0-9_\\-*/]{0,255}';
const TENANT_KEY = '[a-z0-9][a-z0-9_\\-*/]{0,240}@[a-z][a-z0-9_\\-*/]{0,13}';
const KEY_RE = new RegExp(`^(?:${SIMPLE_KEY}|${TENANT_KEY})$`);
// value: 0-255 printable ASCII chars except ',' and '=', last one not a space.
const VALUE_RE = /^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;

// isValidTracestate('vendor=value,other@sys=v2') -> boolean. Never throws. Empty list members
// (",,") are allowed by the spec and do not count; an empty string is not a tracestate.
function isValidTracestate(str) {
  if (typeof str !== 'string') return false;
  if (str.length === 0 || str.length > MAX_TRACESTATE_LENGTH) return false;
  const keys = new Set();
  for (const rawMember of str.split(',')) {
    const member = rawMember.replace(/^[ \t]+|[ \t]+$/g, '');
    if (member === '') continue;
    const eq = member.indexOf('=');
    if (eq <= 0) return false;
    const key = member.slice(0, eq);
    const value = member.slice(eq + 1);
    if (!KEY_RE.test(key) || !VALUE_RE.test(value) || value.length > 256) return false;
    if (keys.has(key)) return false;
    keys.add(key);
    if (keys.size > MAX_TRACESTATE_MEMBERS) return false;
  }
  return keys.size > 0;
}

module.exports = {
  parseTraceparent,
  formatTraceparent,
  newTraceId,
  newSpanId,
  isValidTracestate,
  isValidTraceId,
  isValidSpanId,
  isValidTraceFlags,
  MAX_TRACESTATE_LENGTH,
};
