import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import {
  BODY_RANGE_C,
  celsiusToFahrenheit,
  type ParsedLine,
  parseReadingLine,
  READING_REFUSALS,
  type ReadingLineOptions,
} from '../../drivers/thermometer/reading-line.js';
import { SerialThermometer } from '../../drivers/thermometer/serial-thermometer.js';
import type { LineRefusalReason } from '../../drivers/thermometer/thermometer.js';
import { formatReadingLine, READING_FORMATS } from '../../simulators/thermometer/reading-formats.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { PushTransport } from '../helpers/scanner-rig.js';

// --- Arbitraries ------------------------------------------------------------------------------

/** A body temperature as devices print it: whole tenths of a degree in the body range. */
const celsius = fc.integer({ min: BODY_RANGE_C.min * 10, max: BODY_RANGE_C.max * 10 }).map((t) => t / 10);

const options = fc.record(
  {
    unit: fc.constantFrom('auto' as const, 'C' as const, 'F' as const),
    format: fc.constantFrom(/^T=(\d+\.\d)$/u, /(\d+(?:\.\d+)?)/u, /^(.*)$/u, /x(?<n>.)y/giy),
  },
  { requiredKeys: [] },
);

/** Text of any kind: controls, degree signs, CJK, digits, the words the parser looks for. */
const anyLine = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc
    .array(
      fc.constantFrom(
        ...['36.5', '97.7', '-', '.', ':', '=', ' ', 'C', 'F', '°', '℃', '℉', 'Lo', 'Hi', 'Err', 'Body'],
        ...['Surface', '体温', '表面', '\uFFFD', '\u0000', '\t', '\u007f', '1', '45', '30', 'T'],
      ),
      { maxLength: 12 },
    )
    .map((parts) => parts.join('')),
);

const REFUSALS = new Set<string>(READING_REFUSALS);

function isWellFormed(parsed: ParsedLine): boolean {
  if ('refused' in parsed) return REFUSALS.has(parsed.refused) && Object.keys(parsed).length === 1;
  return (
    Object.keys(parsed).length === 1 &&
    parsed.celsius >= BODY_RANGE_C.min &&
    parsed.celsius <= BODY_RANGE_C.max
  );
}

/** A body reading decorated the ways devices do: a label, a separator, spaces, a unit mark. */
const decoratedCelsius = fc.record({
  c: celsius,
  label: fc.constantFrom('', 'T', 'BODY', 'Body Temp', 'Temp', '体温', 'Forehead'),
  separator: fc.constantFrom('', ':', '=', ' ', ': ', '：'),
  unit: fc.constantFrom('', 'C', 'c', '°C', ' °C', 'ºC', '℃', ' ℃', '°', '\uFFFDC'),
  pad: fc.constantFrom('', ' ', '\t', '  '),
});

// --- Parser properties ------------------------------------------------------------------------

describe('reading-line parser', () => {
  test.prop([anyLine, fc.option(options, { nil: undefined })], { numRuns: 2000 })(
    'never throws, and answers a body temperature in range or a known refusal',
    (line, opts?: ReadingLineOptions) => {
      const parsed = parseReadingLine(line, opts);
      expect(isWellFormed(parsed)).toBe(true);
    },
  );

  test.prop([celsius, fc.constantFrom(...READING_FORMATS)])(
    'a reading printed by the simulator in any format reads back as the same temperature',
    (c, format) => {
      expect(parseReadingLine(formatReadingLine(c, format))).toStrictEqual({ celsius: c });
    },
  );

  test.prop([celsius, fc.constantFrom(...READING_FORMATS)])(
    'a surface-mode reading in any format is refused as not a body temperature',
    (c, format) => {
      expect(parseReadingLine(formatReadingLine(c, format, 'surface'))).toStrictEqual({
        refused: 'not-body',
      });
    },
  );

  test.prop([decoratedCelsius])(
    'a decorated °C reading round-trips',
    ({ c, label, separator, unit, pad }) => {
      const line = `${pad}${label}${label === '' ? '' : separator}${c.toFixed(1)}${unit}${pad}`;
      expect(parseReadingLine(line)).toStrictEqual({ celsius: c });
    },
  );

  test.prop([celsius, fc.constantFrom('F', 'f', '°F', ' °F', '℉', '')])(
    'a °F reading round-trips to the °C it was converted from',
    (c, unit) => {
      const line = `Temp:${celsiusToFahrenheit(c).toFixed(1)}${unit}`;
      expect(parseReadingLine(line)).toStrictEqual({ celsius: c });
      expect(parseReadingLine(line, { unit: 'F' })).toStrictEqual({ celsius: c });
    },
  );
});

// --- The driver against the parser, however the bytes are chunked ------------------------------

const MAX_LENGTH = 64;

/** One line a device might send: well-formed text without CR or LF. */
const deviceLine = fc.oneof(
  celsius.chain((c) => fc.constantFrom(...READING_FORMATS).map((f) => formatReadingLine(c, f))),
  celsius.map((c) => formatReadingLine(c, 'prefixed', 'surface')),
  anyLine.filter((s) => !/[\r\n]/.test(s) && Buffer.from(s, 'utf8').toString('utf8') === s),
  fc.constant('x'.repeat(MAX_LENGTH + 5)),
);

const lineEnd = fc.constantFrom('\r', '\n', '\r\n');

/** What the driver must make of a line: the parser's answer, or too-long; blank lines vanish. */
function expected(line: string): { celsius: number } | { refused: LineRefusalReason } | undefined {
  if (Buffer.byteLength(line, 'utf8') > MAX_LENGTH) return { refused: 'too-long' };
  const parsed = parseReadingLine(line);
  if ('refused' in parsed && parsed.refused === 'empty') return undefined;
  return parsed;
}

function chunk(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => Math.floor(c * bytes.length)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let at = 0;
  for (const p of [...points, bytes.length]) {
    if (p > at) chunks.push(bytes.subarray(at, p));
    at = Math.max(at, p);
  }
  return chunks;
}

describe('SerialThermometer framing', () => {
  test.prop([
    fc.array(fc.tuple(deviceLine, lineEnd), { minLength: 1, maxLength: 12 }),
    fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 20 }),
  ])(
    'emits, in order, what the parser makes of each line, whatever the chunking and line ends',
    async (lines, cuts) => {
      const transport = new PushTransport();
      const thermometer = new SerialThermometer({
        transport,
        maxLength: MAX_LENGTH,
        clock: new ManualClock(),
      });
      const seen: ({ celsius: number } | { refused: LineRefusalReason })[] = [];
      thermometer.on('reading', (r) => seen.push({ celsius: r.celsius }));
      thermometer.on('refused', (r) => seen.push({ refused: r.reason }));
      expect(await thermometer.start()).toBe(true);
      const bytes = Buffer.from(lines.map(([text, end]) => text + end).join(''), 'utf8');
      for (const piece of chunk(bytes, cuts)) transport.push(piece);
      const wanted = lines.map(([text]) => expected(text)).filter((e) => e !== undefined);
      expect(seen).toStrictEqual(wanted);
      expect(thermometer.counters.readings + thermometer.counters.refused).toBe(wanted.length);
      await thermometer.stop();
    },
  );
});
