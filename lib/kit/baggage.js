'use strict';
// Owns: W3C Baggage for the kit (https://www.w3.org/TR/baggage/) — the `baggage` option shared by
// ingress and outbound (which context fields travel, under which baggage keys), reading the
// allow-listed members of an inbound header into context fields, and writing them onto an
// outgoing header, merged with one already there. Reading never throws; a value that breaks the
// rules is left out, never echoed.
//
// The rules every value follows, inbound and outbound: a header of at most 8192 bytes and 180
// list-members (the spec's limits; a longer inbound header is ignored whole), keys are tokens,
// values are baggage-octets with percent-encoding that decodes to valid UTF-8 of 1-256
// characters without control characters. An allow-listed key that appears twice is ambiguous
// and gives no field. Properties (after ';') are ignored.

const { invalidArgType, invalidArgValue } = require('../errors.js');
const { isPlainObject } = require('../validators.js');

const MAX_BAGGAGE_BYTES = 8192;
const MAX_BAGGAGE_MEMBERS = 180;
const MAX_VALUE_LENGTH = 256;
const TOKEN_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// baggage-octet = %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E
const OCTETS_RE = /^[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*$/;
const CONTROL_RE = /[\u0000-\u001f\u007f-\u009f]/; // eslint-disable-line no-control-regex
// Fields ingress owns (request id and trace context): never taken from a caller's baggage.
const OWNED_FIELDS = new Set(['requestId', 'traceId', 'spanId', 'parentSpanId', 'traceFlags', 'traceState']);

function trimOws(s) {
  let start = 0;
  let end = s.length;
  while (start < end && (s.charCodeAt(start) === 32 || s.charCodeAt(start) === 9)) start++;
  while (end > start && (s.charCodeAt(end - 1) === 32 || s.charCodeAt(end - 1) === 9)) end--;
  return start === 0 && end === s.length ? s : s.slice(start, end);
}

function isValidBaggageValue(value) {
  return typeof value === 'string' && value.length >= 1 && value.length <= MAX_VALUE_LENGTH &&
    !CONTROL_RE.test(value) && value.isWellFormed();
}

// options.baggage: ['tenantId', ...] (each field under its own name) or { tenantId: 'tenant', ... }
// (field -> baggage key). -> null (no baggage) or a frozen array of [field, key].
function normalizeBaggageOption(name, value) {
  if (value === undefined || value === null) return null;
  let pairs;
  if (Array.isArray(value)) {
    pairs = value.map((field, i) => {
      if (typeof field !== 'string') throw invalidArgType(`${name}[${i}]`, 'a context field name', field);
      return [field, field];
    });
  } else if (isPlainObject(value)) {
    pairs = Object.keys(value).map((field) => {
      const key = value[field];
      if (typeof key !== 'string') throw invalidArgType(`${name}.${field}`, 'a baggage key (string)', key);
      return [field, key];
    });
  } else {
    throw invalidArgType(name, 'an array of field names or an object of field: baggage key', value);
  }
  const fields = new Set();
  const keys = new Set();
  for (const [field, key] of pairs) {
    if (field.length === 0) throw invalidArgValue(name, value, 'has an empty field name');
    if (OWNED_FIELDS.has(field)) {
      throw invalidArgValue(name, value, `names "${field}", a field ingress owns (request id and trace context)`);
    }
    if (!TOKEN_RE.test(key)) throw invalidArgValue(name, value, `has "${key}", which is not a valid baggage key (an HTTP token)`);
    if (fields.has(field)) throw invalidArgValue(name, value, `names the field "${field}" twice`);
    if (keys.has(key)) throw invalidArgValue(name, value, `uses the baggage key "${key}" twice`);
    fields.add(field);
    keys.add(key);
  }
  if (pairs.length === 0) return null;
  return Object.freeze(pairs.map((pair) => Object.freeze(pair)));
}

// The allow-listed members of an inbound `baggage` header as context fields:
// -> { [field]: value } or undefined when none is there and valid.
const AMBIGUOUS = Symbol('ambiguous');
function readBaggageFields(header, allow) {
  if (typeof header !== 'string' || header.length === 0) return undefined;
  // Node gives header values as latin1: one byte a character.
  if (header.length > MAX_BAGGAGE_BYTES) return undefined;
  const members = header.split(',');
  if (members.length > MAX_BAGGAGE_MEMBERS) return undefined;
  let found = null;
  for (let i = 0; i < members.length; i++) {
    const member = members[i];
    const semi = member.indexOf(';');
    const pair = semi === -1 ? member : member.slice(0, semi);
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const key = trimOws(pair.slice(0, eq));
    let field;
    for (let j = 0; j < allow.length; j++) {
      if (allow[j][1] === key) { field = allow[j][0]; break; }
    }
    if (field === undefined) continue;
    if (found === null) found = new Map();
    if (found.has(field)) {
      found.set(field, AMBIGUOUS);
      continue;
    }
    found.set(field, decodeValue(trimOws(pair.slice(eq + 1))));
  }
  if (found === null) return undefined;
  let fields;
  for (const [field, value] of found) {
    if (typeof value !== 'string') continue;
    if (fields === undefined) fields = {};
    fields[field] = value;
  }
  return fields;
}

function decodeValue(raw) {
  if (!OCTETS_RE.test(raw)) return AMBIGUOUS;
  let value;
  try {
    value = raw.indexOf('%') === -1 ? raw : decodeURIComponent(raw);
  } catch {
    return AMBIGUOUS; // not valid UTF-8
  }
  return isValidBaggageValue(value) ? value : AMBIGUOUS;
}

// The [key, value] pairs the allow-list gives for a context: string, finite number and boolean
// fields that follow the value rules; others are left out.
function baggageEntries(ctx, allow) {
  const entries = [];
  for (let i = 0; i < allow.length; i++) {
    let value = ctx[allow[i][0]];
    if (typeof value === 'number' ? Number.isFinite(value) : typeof value === 'boolean') value = String(value);
    if (isValidBaggageValue(value)) entries.push([allow[i][1], value]);
  }
  return entries;
}

function encodeMember(key, value) {
  return `${key}=${encodeURIComponent(value)}`;
}

// The list-members of a header as [key, member] pairs (member as written, properties included).
function membersOf(header) {
  const members = [];
  for (const raw of header.split(',')) {
    const member = trimOws(raw);
    if (member === '') continue;
    const semi = member.indexOf(';');
    const pair = semi === -1 ? member : member.slice(0, semi);
    const eq = pair.indexOf('=');
    members.push([eq > 0 ? trimOws(pair.slice(0, eq)) : '', member]);
  }
  return members;
}

// `existing` (a header value, or undefined) with the `members` ([key, member]) whose keys it
// does not have appended, within 8192 bytes and 180 members; members that do not fit are left
// out. -> the header value, or undefined when there is nothing to send.
function appendMembers(existing, members) {
  if (Array.isArray(existing)) existing = existing.join(',');
  let value = typeof existing === 'string' ? trimOws(existing) : '';
  const present = new Set();
  let count = 0;
  if (value !== '') {
    for (const [key] of membersOf(value)) {
      present.add(key);
      count++;
    }
  }
  for (const [key, member] of members) {
    if (present.has(key) || count >= MAX_BAGGAGE_MEMBERS) continue;
    const next = value === '' ? member : `${value},${member}`;
    if (Buffer.byteLength(next) > MAX_BAGGAGE_BYTES) continue;
    value = next;
    present.add(key);
    count++;
  }
  return value === '' ? undefined : value;
}

// A baggage header with the context's entries ([key, value]) it lacks appended.
function mergeBaggage(existing, entries) {
  return appendMembers(existing, entries.map(([key, value]) => [key, encodeMember(key, value)]));
}

// Two baggage headers as one: `first`'s members, then `second`'s whose keys `first` lacks.
function mergeBaggageHeaders(first, second) {
  const merged = appendMembers(first, membersOf(second));
  return merged === undefined ? '' : merged;
}

module.exports = {
  normalizeBaggageOption,
  readBaggageFields,
  baggageEntries,
  mergeBaggage,
  mergeBaggageHeaders,
  isValidBaggageValue,
  MAX_BAGGAGE_BYTES,
  MAX_BAGGAGE_MEMBERS,
  MAX_VALUE_LENGTH,
};
