/**
 * InfluxDB line protocol for our points: the escaping, done here, and the hand-over to the
 * `influx` package, which does the HTTP side (pooling, timeouts, the /write request).
 *
 * Why the escaping is ours: `influx` 5.12 escapes tag values for `,` `=` and space only, so a
 * tag value with a newline splits the line and one ending in a backslash escapes the separator
 * after it; and its escaper rewrites the first `\'` of any string (tag or field) to `\\'`, which
 * changes the stored value. We hand it values it passes through untouched (`Raw` tags, field
 * values that carry their encoded text), so what reaches the server is exactly `toLine`.
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
import { type IPoint, Raw } from 'influx';

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

/** A tag key or value as line protocol writes it; `undefined` when it must be left out (empty). */
export function escapeTag(value: string): string | undefined {
  if (value.length === 0) return undefined;
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
  return `"${value.replace(/[\\"]/g, '\\$&')}"`;
}

function encodedTags(point: TelemetryPoint): [string, string][] {
  const out: [string, string][] = [];
  // Sorted by key, as the server stores them (it sorts otherwise, at a cost).
  for (const key of Object.keys(point.tags).sort()) {
    const value = point.tags[key];
    const escaped = value === undefined ? undefined : escapeTag(value);
    if (escaped !== undefined) out.push([escapeTag(key) ?? key, escaped]);
  }
  return out;
}

function encodedFields(point: TelemetryPoint): [string, string][] {
  const out: [string, string][] = [];
  for (const key of Object.keys(point.fields).sort()) {
    const value = point.fields[key];
    const encoded = value === undefined ? undefined : encodeField(value);
    if (encoded !== undefined) out.push([escapeTag(key) ?? key, encoded]);
  }
  if (out.length === 0) throw new Error(`point "${point.measurement}" has no field that can be written`);
  return out;
}

/** The point as one line of line protocol (no trailing newline). Throws when it has no field. */
export function toLine(point: TelemetryPoint): string {
  const tags = encodedTags(point)
    .map(([k, v]) => `,${k}=${v}`)
    .join('');
  const fields = encodedFields(point)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return `${escapeMeasurement(point.measurement)}${tags} ${fields} ${point.timestampNs}`;
}

/**
 * The point for `InfluxDB.writePoints` (precision `n`): already escaped, wrapped so that the
 * package writes it unchanged. `writePoints([toInfluxPoint(p)])` sends exactly `toLine(p)`.
 */
export function toInfluxPoint(point: TelemetryPoint): IPoint {
  const tags: Record<string, string> = {};
  // `Raw` passes through the package's tag escaper unchanged; its type says string.
  for (const [k, v] of encodedTags(point)) tags[k] = new Raw(v) as unknown as string;
  const fields: Record<string, unknown> = {};
  // Without a schema the package writes non-string field values with String(value).
  for (const [k, v] of encodedFields(point)) fields[k] = { toString: () => v };
  return { measurement: escapeMeasurement(point.measurement), tags, fields, timestamp: point.timestampNs };
}

/** Epoch ms and the entry's seq as a nanosecond timestamp unique per entry (see points.ts). */
export function entryTimestampNs(atMs: number, seq: number): string {
  return (BigInt(Math.trunc(atMs)) * 1_000_000n + BigInt(seq % 1_000_000)).toString();
}
