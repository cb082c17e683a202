/**
 * Line protocol as we write it (gateway/telemetry/line-protocol.ts), read back by a reference
 * parser of the InfluxDB 1.x rules (test/helpers/line-protocol-parser.ts): whatever the text,
 * a point is one line that gives back its measurement, its tags as `storedTagValue` says and
 * its fields exactly. And the hand-over to the `influx` package: what `writePoints` sends for
 * `toInfluxPoint(p)` is `toLine(p)`, byte for byte (its HTTP pool is stubbed: no network).
 * The same round trip against a real influxd is test/integration/telemetry-influx.test.ts.
 */
import { fc, test } from '@fast-check/vitest';
import { InfluxDB } from 'influx';
import { describe, expect, it } from 'vitest';
import {
  entryTimestampNs,
  type FieldValue,
  storedTagValue,
  type TelemetryPoint,
  toInfluxPoint,
  toLine,
} from '../../gateway/telemetry/line-protocol.js';
import { MEASUREMENTS } from '../../gateway/telemetry/points.js';
import { type ParsedField, parseLine } from '../helpers/line-protocol-parser.js';

/** Text with every character line protocol treats specially, Chinese, and any other code point. */
const text = fc.string({
  unit: fc.oneof(
    fc.constantFrom(
      '\\',
      ',',
      '=',
      ' ',
      '"',
      "'",
      '\n',
      '\r',
      '\t',
      '张',
      '伟',
      '门',
      'é',
      '😷',
      '\\"',
      "\\'",
    ),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  ),
  maxLength: 24,
});

/** Our keys are identifiers (points.ts); `time` is left out (InfluxDB reserves it), and `__proto__`. */
const key = fc.stringMatching(/^[a-z_]{1,10}$/).filter((k) => k !== 'time' && k !== '__proto__');

/**
 * Measurements are our own names; arbitrary text as well, except what a 1.x server reads as
 * something else at the start of a line (`#` starts a comment, leading tabs and NULs are skipped).
 */
const measurement = fc.oneof(
  fc.constantFrom(...MEASUREMENTS),
  text.filter((m) => m.length > 0 && !/^[#\t\0]/.test(m)),
);

const fieldValue: fc.Arbitrary<FieldValue | undefined> = fc.oneof(
  text,
  fc.double(),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  fc.boolean(),
  fc.constant(undefined),
);

const timestampNs = fc
  .record({ at: fc.nat({ max: 4_102_444_800_000 }), seq: fc.nat() })
  .map(({ at, seq }) => entryTimestampNs(at, seq));

const point: fc.Arbitrary<TelemetryPoint> = fc.record({
  measurement,
  tags: fc.dictionary(key, fc.option(text, { nil: undefined }), { maxKeys: 6 }),
  fields: fc.dictionary(key, fieldValue, { minKeys: 1, maxKeys: 6 }),
  timestampNs,
});

/** What a server stores of the fields: undefined and non-finite numbers are left out. */
function expectedFields(fields: TelemetryPoint['fields']): Record<string, ParsedField> {
  const out: Record<string, ParsedField> = {};
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    if (typeof v === 'bigint') out[k] = { type: 'integer', value: v };
    // -0 is written "0" (String(-0)), and a server stores 0.
    else if (typeof v === 'number') {
      if (Number.isFinite(v)) out[k] = { type: 'float', value: v === 0 ? 0 : v };
    } else if (typeof v === 'boolean') out[k] = { type: 'boolean', value: v };
    else out[k] = { type: 'string', value: v };
  }
  return out;
}

function expectedTags(tags: TelemetryPoint['tags']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(tags)) if (v !== undefined && v !== '') out[k] = storedTagValue(v);
  return out;
}

/** The point with every string field emptied: its line is the line outside string fields. */
function withoutStringContents(p: TelemetryPoint): TelemetryPoint {
  const fields = Object.fromEntries(
    Object.entries(p.fields).map(([k, v]) => [k, typeof v === 'string' ? '' : v]),
  );
  return { ...p, fields };
}

describe('the reference parser', () => {
  it('reads the examples of the line protocol reference', () => {
    expect(
      parseLine(
        'weather,location\\ place=us\\,midwest,sea\\=level=low temperature=82,count=98i,ok=t,' +
          'desc="a \\"b\\" c\\\\",path="C:\\dir" 1465839830100400200',
      ),
    ).toEqual({
      measurement: 'weather',
      tags: { 'location place': 'us,midwest', 'sea=level': 'low' },
      fields: {
        temperature: { type: 'float', value: 82 },
        count: { type: 'integer', value: 98n },
        ok: { type: 'boolean', value: true },
        desc: { type: 'string', value: 'a "b" c\\' },
        path: { type: 'string', value: 'C:\\dir' },
      },
      timestamp: '1465839830100400200',
    });
    expect(parseLine('my\\ m\\,x,t=a\\b f=-1.5e-7')).toEqual({
      measurement: 'my m,x',
      tags: { t: 'a\\b' },
      fields: { f: { type: 'float', value: -1.5e-7 } },
      timestamp: undefined,
    });
    expect(parseLine('m s="two\nlines" 1').fields.s).toEqual({ type: 'string', value: 'two\nlines' });
  });

  it('refuses what a server would not read as the same single point', () => {
    for (const bad of [
      'm,t=a\nb f=1 1', // a line break outside a string splits the line
      'm,t=a=b f=1', // unescaped = in a tag value
      'm,t= f=1', // empty tag value
      'm f=1 x', // timestamp
      'm f=abc', // not a value
      'm f="open', // unterminated string
      '#m f=1', // a comment
      'm', // no field
      'm f=1,f=2', // duplicate field
    ])
      expect(() => parseLine(bad), bad).toThrow();
  });
});

describe('toLine', () => {
  test.prop([point], { numRuns: 500 })(
    'is one line that gives back the measurement, the stored tag values and every writable field',
    (p) => {
      const fields = expectedFields(p.fields);
      if (Object.keys(fields).length === 0) {
        expect(() => toLine(p)).toThrow(/no field that can be written/);
        return;
      }
      const line = toLine(p);
      // Tags and the measurement never hold a raw line break; only string fields may.
      expect(toLine(withoutStringContents(p))).not.toMatch(/[\r\n]/);
      expect(parseLine(line)).toEqual({
        measurement: storedTagValue(p.measurement),
        tags: expectedTags(p.tags),
        fields,
        timestamp: p.timestampNs,
      });
    },
  );

  test.prop([point.filter((p) => Object.values(p.fields).every((v) => typeof v !== 'string'))])(
    'has no raw line break at all when the point has no string field',
    (p) => {
      fc.pre(Object.keys(expectedFields(p.fields)).length > 0);
      expect(toLine(p)).not.toMatch(/[\r\n]/);
    },
  );

  it('writes integers with i, floats, booleans and escaped strings (a worked example)', () => {
    const line = toLine({
      measurement: 'pass',
      tags: { site: 'demo', lane: 'north gate,1=a', empty: '', absent: undefined, path: 'a\\b\nc' },
      fields: { seq: 42n, c: 36.6, ok: true, note: 'say "hi"\\', nan: Number.NaN, inf: -Infinity },
      timestampNs: '1700000000123000042',
    });
    expect(line).toBe(
      'pass,lane=north\\ gate\\,1\\=a,path=a\uFF3Cb\\ c,site=demo ' +
        'c=36.6,note="say \\"hi\\"\\\\",ok=true,seq=42i 1700000000123000042',
    );
  });
});

describe('entryTimestampNs', () => {
  const at = fc.nat({ max: 4_102_444_800_000 });

  it('puts the seq in the sub-millisecond digits', () => {
    expect(entryTimestampNs(1_700_000_000_123, 42)).toBe('1700000000123000042');
    expect(entryTimestampNs(1_700_000_000_123, 1_000_042)).toBe('1700000000123000042');
    expect(entryTimestampNs(0, 0)).toBe('0');
  });

  test.prop([at, fc.nat({ max: 10_000 }), fc.nat({ max: 999_999 }), fc.nat({ max: 999_999 })])(
    'is strictly increasing in seq for one ms, within a million',
    (ms, block, a, b) => {
      fc.pre(a !== b);
      const [lo, hi] = a < b ? [a, b] : [b, a];
      const base = block * 1_000_000;
      expect(BigInt(entryTimestampNs(ms, base + lo)) < BigInt(entryTimestampNs(ms, base + hi))).toBe(true);
    },
  );

  test.prop([at, fc.nat({ max: 999_999 }), at, fc.nat({ max: 999_999 })])(
    'differs for different (at, seq) pairs with seq below a million',
    (at1, seq1, at2, seq2) => {
      fc.pre(at1 !== at2 || seq1 !== seq2);
      expect(entryTimestampNs(at1, seq1)).not.toBe(entryTimestampNs(at2, seq2));
      const ns = BigInt(entryTimestampNs(at1, seq1));
      expect([ns / 1_000_000n, ns % 1_000_000n]).toEqual([BigInt(at1), BigInt(seq1)]);
    },
  );
});

/** The body `writePoints` would POST, with the package's HTTP pool stubbed out. */
async function sentBody(points: readonly TelemetryPoint[]): Promise<string> {
  const client = new InfluxDB({ host: '127.0.0.1', port: 1, database: 'x' });
  let captured: string | undefined;
  (client as unknown as { _pool: { discard: (o: { body: string }) => Promise<void> } })._pool.discard =
    async (o) => {
      captured = o.body;
    };
  await client.writePoints(points.map(toInfluxPoint), { precision: 'n' });
  if (captured === undefined) throw new Error('writePoints sent nothing');
  return captured;
}

const writable = point.filter((p) => Object.keys(expectedFields(p.fields)).length > 0);

describe('the hand-over to the influx package', () => {
  test.prop([writable], { numRuns: 300 })(
    'writePoints([toInfluxPoint(p)]) sends exactly toLine(p)',
    async (p) => {
      expect(await sentBody([p])).toBe(toLine(p));
    },
  );

  test.prop([fc.array(writable, { minLength: 1, maxLength: 5 })])(
    'a batch is the lines joined by newlines',
    async (points) => {
      expect(await sentBody(points)).toBe(points.map(toLine).join('\n'));
    },
  );

  // Field keys come from journal payloads too: an alarm's detail keys become `detail_<key>`
  // fields (points.ts), and toLine escapes them. The package must not escape them a second time.
  test.prop([
    fc.dictionary(
      fc.string({ unit: fc.constantFrom('a', 'b', ' ', ',', '=', '_'), minLength: 1, maxLength: 6 }),
      fc.oneof(text, fc.integer()),
      { minKeys: 1, maxKeys: 4 },
    ),
  ])('an alarm detail key with a space, comma or equals sign is sent as toLine writes it', async (detail) => {
    const p: TelemetryPoint = {
      measurement: 'alarm',
      tags: { site: 'demo' },
      fields: Object.fromEntries(Object.entries(detail).map(([k, v]) => [`detail_${k}`, v])),
      timestampNs: '1700000000000000001',
    };
    expect(await sentBody([p])).toBe(toLine(p));
  });
});
