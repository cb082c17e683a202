/**
 * A small reference parser of one line of InfluxDB 1.x line protocol, written from the rules
 * (docs.influxdata.com, line protocol reference; models/points.go), independent of
 * gateway/telemetry/line-protocol.ts, so that tests can check what a server would store:
 *
 * - measurement: `,` and space are escaped with a backslash;
 * - tag keys, tag values and field keys: `,` `=` and space are escaped with a backslash; a
 *   backslash before any other character is a literal backslash;
 * - string field values: double-quoted, `\"` and `\\` are escapes (a backslash before anything
 *   else is literal); they may hold raw line breaks;
 * - integers end in `i`; floats are decimal or scientific; booleans t/T/true/True/TRUE and
 *   f/F/false/False/FALSE;
 * - an optional timestamp (integer) after the fields.
 *
 * It is strict where the server is lenient (one space between sections, no leading space), and
 * refuses a raw CR or LF outside a string field: a point must be one line.
 */

export type ParsedField =
  | { type: 'float'; value: number }
  | { type: 'integer'; value: bigint }
  | { type: 'string'; value: string }
  | { type: 'boolean'; value: boolean };

export interface ParsedLine {
  measurement: string;
  tags: Record<string, string>;
  fields: Record<string, ParsedField>;
  timestamp: string | undefined;
}

export class LineProtocolError extends Error {
  override readonly name = 'LineProtocolError';
}

const TRUE = new Set(['t', 'T', 'true', 'True', 'TRUE']);
const FALSE = new Set(['f', 'F', 'false', 'False', 'FALSE']);
const INTEGER = /^-?\d+i$/;
const FLOAT = /^-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/;
const TIMESTAMP = /^-?\d+$/;

export function parseLine(line: string): ParsedLine {
  let i = 0;
  const fail = (message: string): never => {
    throw new LineProtocolError(`${message} at ${i} in ${JSON.stringify(line)}`);
  };

  /** A name up to an unescaped stop character; `\` + an escapable character is that character. */
  const name = (stops: string, escapable: string, what: string): string => {
    let out = '';
    while (i < line.length) {
      const c = line[i] as string;
      if (c === '\n' || c === '\r') fail(`raw line break in ${what}`);
      if (c === '\\') {
        const next = line[i + 1];
        if (next !== undefined && escapable.includes(next)) {
          out += next;
          i += 2;
          continue;
        }
        out += c;
        i += 1;
        continue;
      }
      if (stops.includes(c)) break;
      out += c;
      i += 1;
    }
    return out;
  };

  const stringValue = (): string => {
    i += 1; // opening quote
    let out = '';
    for (;;) {
      const c = line[i];
      if (c === undefined) return fail('unterminated string field');
      if (c === '\\' && (line[i + 1] === '"' || line[i + 1] === '\\')) {
        out += line[i + 1];
        i += 2;
        continue;
      }
      i += 1;
      if (c === '"') return out;
      out += c;
    }
  };

  const scalarValue = (): ParsedField => {
    const start = i;
    while (i < line.length && line[i] !== ',' && line[i] !== ' ') {
      if (line[i] === '\n' || line[i] === '\r') fail('raw line break in a field value');
      i += 1;
    }
    const token = line.slice(start, i);
    if (TRUE.has(token)) return { type: 'boolean', value: true };
    if (FALSE.has(token)) return { type: 'boolean', value: false };
    if (INTEGER.test(token)) return { type: 'integer', value: BigInt(token.slice(0, -1)) };
    if (FLOAT.test(token)) return { type: 'float', value: Number(token) };
    return fail(`invalid field value ${JSON.stringify(token)}`);
  };

  const first = line[0];
  if (first === '#') fail('a comment line');
  if (first === ' ' || first === '\t') fail('leading whitespace');

  const measurement = name(', ', ', ', 'measurement');
  if (measurement.length === 0) fail('missing measurement');

  const tags: Record<string, string> = {};
  while (line[i] === ',') {
    i += 1;
    const key = name('=, ', ',= ', 'tag key');
    if (key.length === 0) fail('empty tag key');
    if (line[i] !== '=') fail(`tag ${JSON.stringify(key)} without =`);
    i += 1;
    const value = name('=, ', ',= ', 'tag value');
    if (line[i] === '=') fail('unescaped = in a tag value');
    if (value.length === 0) fail(`empty value of tag ${JSON.stringify(key)}`);
    if (key in tags) fail(`duplicate tag ${JSON.stringify(key)}`);
    tags[key] = value;
  }
  if (line[i] !== ' ') fail('missing fields');
  i += 1;

  const fields: Record<string, ParsedField> = {};
  for (;;) {
    const key = name('=, ', ',= ', 'field key');
    if (key.length === 0) fail('empty field key');
    if (line[i] !== '=') fail(`field ${JSON.stringify(key)} without =`);
    i += 1;
    if (key in fields) fail(`duplicate field ${JSON.stringify(key)}`);
    fields[key] = line[i] === '"' ? { type: 'string', value: stringValue() } : scalarValue();
    if (line[i] === ',') {
      i += 1;
      continue;
    }
    break;
  }

  let timestamp: string | undefined;
  if (i < line.length) {
    if (line[i] !== ' ') fail('garbage after a field');
    i += 1;
    timestamp = line.slice(i);
    if (!TIMESTAMP.test(timestamp)) fail(`invalid timestamp ${JSON.stringify(timestamp)}`);
    i = line.length;
  }
  return { measurement, tags, fields, timestamp };
}
