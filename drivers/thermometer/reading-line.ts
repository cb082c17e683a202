/**
 * One line from a serial or USB-serial handheld thermometer → a body temperature in °C, or the
 * reason it is none. Pure: no I/O, no clock; any string in, never a throw (a malformed custom
 * format is refused when the parser is built, not per line).
 *
 * IR forehead thermometers and thermometer modules print one reading per line in ASCII, each
 * vendor its own way. The built-in grammar takes an optional label, a number and an optional
 * unit mark:
 *
 *   36.5   36.5C   36.5 °C   T=36.5   BODY:36.5℃   Body Temp: 36.5   体温:36.5℃   Temp:97.7F
 *
 * - Label: letters (any script), spaces, `_ . -`, then an optional `:`, `=` or `：`. Its words
 *   are not checked against a list, except the non-body modes below.
 * - Number: up to three digits, optionally `.` and up to three decimals (no comma decimals).
 * - Unit: `C`/`F` (either case), with or without a degree sign (`°`, `º`, `˚`, or U+FFFD where a
 *   Latin-1 `°` was decoded as UTF-8), or `℃`/`℉`; a degree sign alone says nothing.
 *
 * Refused, in this order (the first that applies names the reason):
 * - `unrecognised`: a control character (line noise, a mis-set terminator).
 * - `empty`: nothing but spaces.
 * - `not-body`: a surface / object / room / ambient mode reading (`Surface`, `Surf`, `Object`,
 *   `Obj`, `Room`, `Ambient`, `Amb`, 表面, 物体, 物温, 室温, 环境 anywhere in the line as a word):
 *   not a body temperature, whatever the number.
 * - `low`, `high`: the device's own out-of-range display (`Lo`, `Low`, `Hi`, `High` as a word).
 * - `device-error`: `Err`, `Error`, `Err3`, `Er 3`.
 * - `unrecognised`: no reading in the grammar (with `format`: a line the format does not match,
 *   or whose capture is not a number).
 * - `unit-mismatch`: the line's unit mark contradicts the configured `unit` (a device set up
 *   wrongly: rather no reading than a wrong one).
 * - `out-of-range`: the temperature, in °C, is outside 30–45 °C (a body temperature is not).
 *
 * Units: a unit mark on the line is the device's word and wins. A value without one is in the
 * configured `unit`; with `auto` (the default) a value below 50 is °C and any other °F (no body
 * temperature is 50 °C or below 86 °F, so the two never overlap). °F is converted and rounded to
 * 0.1 °C; °C values are taken as sent.
 */

export type ReadingUnit = 'auto' | 'C' | 'F';

export type ReadingRefusal =
  | 'unrecognised'
  | 'empty'
  | 'not-body'
  | 'low'
  | 'high'
  | 'device-error'
  | 'unit-mismatch'
  | 'out-of-range';

export const READING_REFUSALS: readonly ReadingRefusal[] = [
  'unrecognised',
  'empty',
  'not-body',
  'low',
  'high',
  'device-error',
  'unit-mismatch',
  'out-of-range',
];

export type ParsedLine = { celsius: number } | { refused: ReadingRefusal };

export interface ReadingLineOptions {
  /**
   * A device format the built-in grammar does not cover: a regular expression with exactly one
   * capture group, the number. It is matched against the line with its outer spaces trimmed,
   * unanchored unless it anchors itself. A unit mark right after the capture counts like one in
   * the built-in grammar. The mode and out-of-range checks still apply to the whole line.
   */
  format?: RegExp;
  /** The unit of values without a unit mark (default `auto`). */
  unit?: ReadingUnit;
}

/** The body-temperature range, °C, inclusive. */
export const BODY_RANGE_C = { min: 30, max: 45 } as const;

/** `auto`: an unmarked value at or above this is °F. */
const AUTO_FAHRENHEIT_FROM = 50;

// Tab is the only control character a line may hold (as a space).
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/;

const NOT_BODY = /(?<!\p{L})(?:surface|surf|object|obj|room|ambient|amb)(?!\p{L})|表面|物体|物温|室温|环境/iu;
const LOW = /(?<!\p{L})(?:lo|low)(?!\p{L})/iu;
const HIGH = /(?<!\p{L})(?:hi|high)(?!\p{L})/iu;
const DEVICE_ERROR = /(?<!\p{L})(?:err(?:or)?|er(?=\s*-?\d))(?!\p{L})/iu;

const BUILT_IN = /^(?:\p{L}[\p{L} _.-]*?\s*[:=：]?\s*)?(-?\d{1,3}(?:\.\d{1,3})?)/u;
const NUMBER = /^-?\d{1,3}(?:\.\d{1,3})?$/;
/** What may follow the number in the built-in grammar: a unit mark at most. */
const UNIT_ONLY = /^\s*(?:[°º˚\uFFFD]{0,2}\s*([CF])|([℃℉])|[°º˚\uFFFD]{1,2})?\s*$/iu;
/** A unit mark at the start of what follows a custom format's capture. */
const UNIT_NEXT = /^\s*(?:[°º˚\uFFFD]{0,2}\s*([CF])(?!\p{L})|([℃℉]))/iu;

/** The number of capture groups of a regular expression source (named ones included). */
export function captureGroups(source: string, flags = 'u'): number {
  // An empty alternative always matches '', and the result has one slot per group.
  return (new RegExp(`${source}|`, flags).exec('') as RegExpExecArray).length - 1;
}

/**
 * A parser for one device's lines. Throws RangeError when `format` does not have exactly one
 * capture group; the parser itself never throws.
 */
export function readingLineParser(options: ReadingLineOptions = {}): (line: string) => ParsedLine {
  const unit = options.unit ?? 'auto';
  const format = options.format === undefined ? undefined : withIndices(options.format);
  return (line) => parse(line, unit, format);
}

export function parseReadingLine(line: string, options?: ReadingLineOptions): ParsedLine {
  return readingLineParser(options)(line);
}

/** °F to °C, rounded to 0.1 °C. */
export function fahrenheitToCelsius(fahrenheit: number): number {
  return Math.round(((fahrenheit - 32) * 50) / 9) / 10;
}

/** °C to °F, rounded to 0.1 °F (what a device set to °F shows). */
export function celsiusToFahrenheit(celsius: number): number {
  return Math.round(celsius * 18 + 320) / 10;
}

function parse(line: string, unit: ReadingUnit, format: RegExp | undefined): ParsedLine {
  if (CONTROL.test(line)) return { refused: 'unrecognised' };
  const text = line.trim();
  if (text === '') return { refused: 'empty' };
  if (NOT_BODY.test(text)) return { refused: 'not-body' };
  if (LOW.test(text)) return { refused: 'low' };
  if (HIGH.test(text)) return { refused: 'high' };
  if (DEVICE_ERROR.test(text)) return { refused: 'device-error' };
  const found = format === undefined ? builtIn(text) : custom(text, format);
  if (found === undefined) return { refused: 'unrecognised' };
  const value = Number(found.number);
  if (found.mark !== undefined && unit !== 'auto' && found.mark !== unit) return { refused: 'unit-mismatch' };
  const inUnit = found.mark ?? (unit !== 'auto' ? unit : value < AUTO_FAHRENHEIT_FROM ? 'C' : 'F');
  const celsius = inUnit === 'F' ? fahrenheitToCelsius(value) : value;
  if (!(celsius >= BODY_RANGE_C.min && celsius <= BODY_RANGE_C.max)) return { refused: 'out-of-range' };
  // `+ 0` turns a -0 (from "-0.0") into 0; such a value is refused above anyway.
  return { celsius: celsius + 0 };
}

interface Found {
  number: string;
  /** The unit mark on the line; undefined when there is none. */
  mark: 'C' | 'F' | undefined;
}

function builtIn(text: string): Found | undefined {
  const match = BUILT_IN.exec(text);
  if (match === null) return undefined;
  const unit = UNIT_ONLY.exec(text.slice(match[0].length));
  if (unit === null) return undefined;
  return { number: match[1] as string, mark: markOf(unit) };
}

function custom(text: string, format: RegExp): Found | undefined {
  const match = format.exec(text);
  const span = match?.indices?.[1];
  const number = match?.[1]?.trim();
  if (span === undefined || number === undefined || !NUMBER.test(number)) return undefined;
  const unit = UNIT_NEXT.exec(text.slice(span[1]));
  return { number, mark: unit === null ? undefined : markOf(unit) };
}

function markOf(unit: RegExpExecArray): 'C' | 'F' | undefined {
  const letter = unit[1]?.toUpperCase();
  if (letter === 'C' || unit[2] === '℃') return 'C';
  if (letter === 'F' || unit[2] === '℉') return 'F';
  return undefined;
}

/** The format as matched here: stateless (no `g`/`y`), with capture positions (`d`). */
function withIndices(format: RegExp): RegExp {
  const groups = captureGroups(format.source, format.flags.replace(/[gyd]/g, ''));
  if (groups !== 1)
    throw new RangeError(`a reading format needs exactly one capture group (the number), not ${groups}`);
  return new RegExp(format.source, `${format.flags.replace(/[gyd]/g, '')}d`);
}
