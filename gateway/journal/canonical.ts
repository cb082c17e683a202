import { createHash } from 'node:crypto';
import { GatewardenError } from '../errors.js';

/**
 * Canonical JSON: the one serialisation the journal stores and hashes, so that anyone who
 * re-serialises a payload (a sink, an upstream auditor in another language) gets the same bytes
 * and the same hash.
 *
 * Rules (they match RFC 8785, the JSON Canonicalization Scheme, for the values we accept):
 * - object keys sorted by UTF-16 code units, no whitespace anywhere;
 * - strings and numbers written as ECMAScript `JSON.stringify` writes them (shortest round-trip
 *   numbers, `-0` as `0`; lone surrogates escaped as `\udXXX`, so the text is valid UTF-8);
 * - `undefined` object members are left out and `undefined` array items become `null`, as in
 *   `JSON.stringify`;
 * - refused with a GatewardenError naming the path: non-finite numbers, bigints, functions,
 *   symbols, cycles, and objects that are not plain (class instances, Dates, Maps): a payload is
 *   data, and a value whose JSON form depends on its class would not survive a round trip.
 */
export function canonicalJson(value: unknown): string {
  return write(value, '$', new Set());
}

/**
 * The canonical JSON of `{ seq, at, type, payload }` built from the payload's canonical text,
 * without parsing it again: keys in sorted order (at, payload, seq, type). Equal to
 * `canonicalJson({ seq, at, type, payload })` by construction, and lets `verify` hash the stored
 * text byte for byte.
 */
export function entryCanonical(seq: number, at: number, type: string, payloadJson: string): string {
  return `{"at":${JSON.stringify(at)},"payload":${payloadJson},"seq":${JSON.stringify(seq)},"type":${JSON.stringify(type)}}`;
}

/**
 * Entry types chained through a digest of their payload (chain format 2), so that retention can
 * later drop the payload and keep the digest: the chain still verifies (see retention.ts). Other
 * types hash their payload in full (format 1), as every entry did before format 2 existed; a
 * type added here later keeps its older entries in format 1 (verify accepts either, since the
 * two canonical forms cannot be confused: format 2 has a `digest` and a `v` member, format 1 a
 * `payload`).
 */
export const DIGEST_CHAINED_TYPES: ReadonlySet<string> = new Set(['reading']);

/** Hex SHA-256 of a payload's canonical JSON text: what a format 2 entry commits to. */
export function payloadDigest(payloadJson: string): string {
  return createHash('sha256').update(payloadJson).digest('hex');
}

/**
 * Chain format 2: the canonical JSON of `{ seq, at, type, digest, v: 2 }`, keys sorted
 * (at, digest, seq, type, v). `digest` is `payloadDigest` of the payload's canonical text.
 */
export function entryCanonicalV2(seq: number, at: number, type: string, digest: string): string {
  return `{"at":${JSON.stringify(at)},"digest":${JSON.stringify(digest)},"seq":${JSON.stringify(seq)},"type":${JSON.stringify(type)},"v":2}`;
}

/** The canonical text an entry of `type` is chained by when appended now (format 2 or 1). */
export function entryContent(seq: number, at: number, type: string, payloadJson: string): string {
  return DIGEST_CHAINED_TYPES.has(type)
    ? entryCanonicalV2(seq, at, type, payloadDigest(payloadJson))
    : entryCanonical(seq, at, type, payloadJson);
}

function write(value: unknown, path: string, ancestors: Set<object>): string {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) refuse(path, `${value} is not a finite number`);
      return JSON.stringify(value);
    case 'object':
      if (value === null) return 'null';
      return writeContainer(value, path, ancestors);
    default:
      return refuse(path, `a ${typeof value} has no JSON form`);
  }
}

function writeContainer(value: object, path: string, ancestors: Set<object>): string {
  if (ancestors.has(value)) refuse(path, 'cycle: the value contains itself');
  ancestors.add(value);
  try {
    if (Array.isArray(value)) {
      return `[${value.map((item, i) => (item === undefined ? 'null' : write(item, `${path}[${i}]`, ancestors))).join(',')}]`;
    }
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      refuse(path, `only plain objects are accepted, not ${value.constructor?.name ?? 'this object'}`);
    }
    const record = value as Record<string, unknown>;
    const members: string[] = [];
    for (const key of Object.keys(record).sort()) {
      const member = record[key];
      if (member === undefined) continue;
      members.push(`${JSON.stringify(key)}:${write(member, `${path}.${key}`, ancestors)}`);
    }
    return `{${members.join(',')}}`;
  } finally {
    ancestors.delete(value);
  }
}

function refuse(path: string, message: string): never {
  throw new GatewardenError('USAGE', `cannot write canonical JSON: ${message} at ${path}`, {
    problems: [{ field: path, message }],
  });
}
