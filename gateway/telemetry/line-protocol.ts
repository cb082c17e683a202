/**
 * InfluxDB line protocol for our points: the escaping, done here, and the hand-over to the
 * `influx` package, which does the HTTP side (pooling, timeouts, the /write request).
 *
 * Why the escaping is ours: `influx` 5.12 escapes tag values for `,` `=` and space only, so a
 * tag value with a newline splits the line and one ending in a backslash escapes the separator
 * after it; and its escaper rewrites the first `\'` of any string (tag or field) to `\\'`, which
 * changes the stored value. We hand it whole lines it passes through untouched (`asInfluxPoint`),
 * so what reaches the server is exactly `toLine`.
 *
 * What line protocol cannot carry, and what we do (InfluxDB 1.x parser, models/points.go):
 * - tag keys and values: a backslash is an escape only before `,` `=` and space, and `\\` is not
 *   an escape at all, so a backslash before an escaped character or at the end cannot be
 *   written. Backslashes in tags become U+FF3C `＼`; line breaks (CR, LF) become spaces; an
 *   empty tag value is left out (the server refuses it). Tag values are labels (ids, codes),
 *   so this never touches a value that matters; free text goes into string fields.
 * - string fields: `"` and `\` are escaped and any text round-trips exactly, Chinese, quotes,
 *   a trailing backslash and newlines included (checked against a real influxd in the tests).
 * - numbers: integers carry the `i` suffix (we mark them as bigint); NaN and ±Infinity have no
 *   representation and are left out; an empty field set is an error (a point needs a field).
 */
import type { IPoint } from 'influx';

/** An integer field is a bigint (`1n` → `1i`); a number is a float; a string is a string field. */
export type FieldValue = number | bigint | boolean | string;

export interface TelemetryPoint {
  measurement: string;
  /** Tag key → value; keys are our own identifiers ([a-z_]). */
  tags: Readonly<Record<string, string | undefined>>;
  fields: Readonly<Record<string, FieldValue | undefined>>;
  /** Nanoseconds since the epoch, as decimal digits (JavaScript numbers cannot hold them). */
  timestampNs: string;
}

const FULLWIDTH_BACKSLASH = '\uFF3C';
const NEEDS_ESCAPE = /[\\\r\n,= ]/;

/** A tag key or value as line protocol writes it; `undefined` when it must be left out (empty). */
export function escapeTag(value: string): string | undefined {
  if (value.length === 0) return undefined;
  // Tag values are labels: almost all need nothing.
  if (!NEEDS_ESCAPE.test(value)) return value;
  return value
    .replace(/\\/g, FULLWIDTH_BACKSLASH)
    .replace(/[\r\n]/g, ' ')
    .replace(/[,= ]/g, '\\$&');
}

/** The value a tag holds once written: what `escapeTag` keeps of it, unescaped. */
export function storedTagValue(value: string): string {
  return value.replace(/\\/g, FULLWIDTH_BACKSLASH).replace(/[\r\n]/g, ' ');
}

export function escapeMeasurement(name: string): string {
  if (!NEEDS_ESCAPE.test(name)) return name;
  return name
    .replace(/\\/g, FULLWIDTH_BACKSLASH)
    .replace(/[\r\n]/g, ' ')
    .replace(/[, ]/g, '\\$&');
}

/** A field value as line protocol writes it; `undefined` for values it cannot represent. */
export function encodeField(value: FieldValue): string | undefined {
  if (typeof value === 'bigint') return `${value}i`;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : undefined;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return STRING_ESCAPE.test(value) ? `"${value.replace(/[\\"]/g, '\\$&')}"` : `"${value}"`;
}

const STRING_ESCAPE = /[\\"]/;

/**
 * The point as one line of line protocol (no trailing newline): tags and fields sorted by key,
 * as the server keeps them. Throws when no field can be written (a point needs one).
 */
export function toLine(point: TelemetryPoint): string {
  let line = escapeMeasurement(point.measurement);
  const tags = point.tags;
  for (const key of Object.keys(tags).sort()) {
    const value = tags[key];
    const escaped = value === undefined ? undefined : escapeTag(value);
    if (escaped !== undefined) line += `,${escapeTag(key) ?? key}=${escaped}`;
  }
  const fields = point.fields;
  let separator = ' ';
  for (const key of Object.keys(fields).sort()) {
    const value = fields[key];
    // null as well as undefined: a field read back from JSON may hold null.
    const encoded = value === undefined || value === null ? undefined : encodeField(value);
    if (encoded === undefined) continue;
    line += `${separator}${escapeTag(key) ?? key}=${encoded}`;
    separator = ',';
  }
  if (separator === ' ') throw new Error(`point "${point.measurement}" has no field that can be written`);
  return `${line} ${point.timestampNs}`;
}

/**
 * A rendered line as a point for `InfluxDB.writePoints` (precision `n`), which sends it exactly:
 * the package writes a point's `measurement` as it is and adds nothing for a point without
 * tags, fields or timestamp, so the whole line travels as the measurement. The package's own
 * escaping (see the top of this file) never touches it, and a batch costs one string per point.
 */
export function asInfluxPoint(line: string): IPoint {
  return { measurement: line };
}

/** `asInfluxPoint(toLine(point))`. */
export function toInfluxPoint(point: TelemetryPoint): IPoint {
  return asInfluxPoint(toLine(point));
}

/** Epoch ms and the entry's seq as a nanosecond timestamp unique per entry (see points.ts). */
export function entryTimestampNs(atMs: number, seq: number): string {
  const sub = seq % 1_000_000;
  // The common case without BigInt: a positive integer ms, then six digits.
  if (Number.isSafeInteger(atMs) && atMs > 0) return `${atMs}${String(sub).padStart(6, '0')}`;
  return (BigInt(Math.trunc(atMs)) * 1_000_000n + BigInt(sub)).toString();
}
