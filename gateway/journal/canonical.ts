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
