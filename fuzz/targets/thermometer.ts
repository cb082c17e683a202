import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  BODY_RANGE_C,
  parseReadingLine,
  READING_REFUSALS,
  type ReadingLineOptions,
} from '../../drivers/thermometer/reading-line.js';
import { formatReadingLine, READING_FORMATS } from '../../simulators/thermometer/reading-formats.js';
import { defineTarget, neverThrows } from '../target.js';

/** Serial thermometer lines (drivers/thermometer/reading-line.ts). */

/** Device formats a site may configure; each has exactly one capture group. */
const FORMATS = [/^T=(\d+\.\d)$/u, /(\d+(?:\.\d+)?)/u, /^(.*)$/u, /x(?<n>.)y/giy, /temp\s*(\S+)/i];

const options: fc.Arbitrary<ReadingLineOptions> = fc.record(
  { unit: fc.constantFrom('auto' as const, 'C' as const, 'F' as const), format: fc.constantFrom(...FORMATS) },
  { noNullPrototype: true, requiredKeys: [] },
);

/** Text of any kind, and text made of the pieces the grammar looks for. */
const anyLine = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 120 }),
  fc
    .array(
      fc.constantFrom(
        ...['36.5', '97.7', '-', '.', ':', '=', ' ', 'C', 'F', '°', 'º', '˚', '℃', '℉', 'Lo', 'Hi', 'Err'],
        ...['Er 3', 'Body', 'Surface', 'Obj', '体温', '表面', '\uFFFD', '\u0000', '\t', '\u007f', '1', '45'],
        ...['30', 'T', '：', '999', '0.0001', '１２', 'e5', 'Infinity', 'NaN'],
      ),
      { maxLength: 16 },
    )
    .map((parts) => parts.join('')),
);

const celsius = fc.integer({ min: BODY_RANGE_C.min * 10, max: BODY_RANGE_C.max * 10 }).map((t) => t / 10);
const REFUSALS = new Set<string>(READING_REFUSALS);

export const thermometerLine = defineTarget({
  name: 'thermometer-line',
  contract:
    'parseReadingLine on any text, with any configured unit and format, never throws and answers a body ' +
    'temperature within 30–45 °C or one known refusal; a reading printed by the simulator in any format ' +
    'reads back exactly, and in surface mode is refused as not-body.',
  arbitrary: fc.record(
    {
      line: anyLine,
      options: fc.option(options, { nil: undefined }),
      reading: fc.record(
        { c: celsius, format: fc.constantFrom(...READING_FORMATS) },
        { noNullPrototype: true },
      ),
    },
    { noNullPrototype: true },
  ),
  check({ line, options: opts, reading }) {
    const parsed = neverThrows(() => parseReadingLine(line, opts));
    if ('refused' in parsed) assert.ok(REFUSALS.has(parsed.refused) && Object.keys(parsed).length === 1);
    else {
      assert.equal(Object.keys(parsed).length, 1);
      assert.ok(
        parsed.celsius >= BODY_RANGE_C.min && parsed.celsius <= BODY_RANGE_C.max,
        `${parsed.celsius} °C`,
      );
    }
    assert.deepStrictEqual(parseReadingLine(formatReadingLine(reading.c, reading.format)), {
      celsius: reading.c,
    });
    assert.deepStrictEqual(parseReadingLine(formatReadingLine(reading.c, reading.format, 'surface')), {
      refused: 'not-body',
    });
  },
});
