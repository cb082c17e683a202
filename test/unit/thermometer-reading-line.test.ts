import { describe, expect, it } from 'vitest';
import {
  captureGroups,
  celsiusToFahrenheit,
  fahrenheitToCelsius,
  parseReadingLine,
  readingLineParser,
} from '../../drivers/thermometer/reading-line.js';

describe('parseReadingLine: the built-in formats', () => {
  it.each([
    ['36.5', 36.5],
    ['  36.5  ', 36.5],
    ['\t36.5', 36.5],
    ['36.5C', 36.5],
    ['36.5c', 36.5],
    ['36.5 C', 36.5],
    ['36.5°C', 36.5],
    ['36.5 °C', 36.5],
    ['36.5ºC', 36.5],
    ['36.5℃', 36.5],
    ['36.5 ℃', 36.5],
    ['36.5°', 36.5],
    ['36.5\uFFFDC', 36.5], // a Latin-1 ° decoded as UTF-8
    ['36.5\uFFFD\uFFFD', 36.5], // a GBK ℃ decoded as UTF-8
    ['T=36.5', 36.5],
    ['T:36.5', 36.5],
    ['T 36.5', 36.5],
    ['BODY:36.5℃', 36.5],
    ['Body 36.5', 36.5],
    ['Body Temp: 36.5 C', 36.5],
    ['Forehead: 37.05', 37.05],
    ['体温:36.5℃', 36.5],
    ['体温：36.5℃', 36.5],
    ['37', 37],
    ['30.0', 30],
    ['45.0', 45],
  ])('%j is %d °C', (line, celsius) => {
    expect(parseReadingLine(line)).toStrictEqual({ celsius });
  });

  it.each([
    ['Temp:97.7F', 36.5],
    ['97.7F', 36.5],
    ['97.7 °F', 36.5],
    ['97.7℉', 36.5],
    ['Temp:98.6f', 37],
    ['100.4F', 38],
    ['86.0F', 30],
    ['113.0F', 45],
    ['97.9F', 36.6],
  ])('%j is converted to %d °C (rounded to 0.1)', (line, celsius) => {
    expect(parseReadingLine(line)).toStrictEqual({ celsius });
  });

  it('takes an unmarked value of 50 or more as °F in auto mode', () => {
    expect(parseReadingLine('98.6')).toStrictEqual({ celsius: 37 });
    expect(parseReadingLine('T=100.4')).toStrictEqual({ celsius: 38 });
  });
});

describe('parseReadingLine: refusals', () => {
  it.each([
    ['', 'empty'],
    ['   ', 'empty'],
    ['Surface 33.0', 'not-body'],
    ['SURFACE:33.0℃', 'not-body'],
    ['Surf 31.2C', 'not-body'],
    ['Object: 36.5', 'not-body'],
    ['OBJ 36.5', 'not-body'],
    ['Room 24.1', 'not-body'],
    ['Ambient 24.1C', 'not-body'],
    ['表面:33.0℃', 'not-body'],
    ['室温 24.1', 'not-body'],
    ['Surface Lo', 'not-body'],
    ['Lo', 'low'],
    ['LO', 'low'],
    ['BODY:Lo', 'low'],
    ['Low', 'low'],
    ['Hi', 'high'],
    ['Temp:HI', 'high'],
    ['Err', 'device-error'],
    ['ERR', 'device-error'],
    ['Error', 'device-error'],
    ['Err3', 'device-error'],
    ['Er 3', 'device-error'],
    ['29.9', 'out-of-range'],
    ['45.1', 'out-of-range'],
    ['24.0C', 'out-of-range'],
    ['0', 'out-of-range'],
    ['-5.0', 'out-of-range'],
    ['85.9F', 'out-of-range'],
    ['113.2F', 'out-of-range'],
    ['60', 'out-of-range'],
    ['36.5\u0000', 'unrecognised'],
    ['36.5\u007f', 'unrecognised'],
    ['\u001b[0m36.5', 'unrecognised'],
    ['36.5X', 'unrecognised'],
    ['36.5 Celsius', 'unrecognised'],
    ['36,5', 'unrecognised'],
    ['1234', 'unrecognised'],
    ['36.5 37.0', 'unrecognised'],
    ['T=', 'unrecognised'],
    ['hello', 'unrecognised'],
    ['36.5CC', 'unrecognised'],
    ['\uFFFD\uFFFD\uFFFD', 'unrecognised'],
  ])('%j is refused as %s', (line, refused) => {
    expect(parseReadingLine(line)).toStrictEqual({ refused });
  });

  it('does not mistake words that merely contain a status or mode word', () => {
    expect(parseReadingLine('Temperature: 36.5')).toStrictEqual({ celsius: 36.5 });
    expect(parseReadingLine('Thermometer 36.5')).toStrictEqual({ celsius: 36.5 });
    expect(parseReadingLine('Roomy 36.5')).toStrictEqual({ celsius: 36.5 });
  });
});

describe('parseReadingLine: configured unit', () => {
  it('reads unmarked values in the configured unit', () => {
    expect(parseReadingLine('97.7', { unit: 'F' })).toStrictEqual({ celsius: 36.5 });
    expect(parseReadingLine('36.5', { unit: 'C' })).toStrictEqual({ celsius: 36.5 });
    // Forced °C: 98.6 is not a body temperature in °C.
    expect(parseReadingLine('98.6', { unit: 'C' })).toStrictEqual({ refused: 'out-of-range' });
  });

  it('refuses a unit mark that contradicts the configured unit, accepts one that agrees', () => {
    expect(parseReadingLine('97.7F', { unit: 'C' })).toStrictEqual({ refused: 'unit-mismatch' });
    expect(parseReadingLine('36.5℃', { unit: 'F' })).toStrictEqual({ refused: 'unit-mismatch' });
    expect(parseReadingLine('97.7F', { unit: 'F' })).toStrictEqual({ celsius: 36.5 });
    expect(parseReadingLine('36.5 °C', { unit: 'C' })).toStrictEqual({ celsius: 36.5 });
  });
});

describe('parseReadingLine: custom format', () => {
  const tmp = readingLineParser({ format: /^TMP,(\d+\.\d),OK$/u });

  it('takes the capture group as the number', () => {
    expect(tmp('TMP,36.6,OK')).toStrictEqual({ celsius: 36.6 });
    expect(tmp('  TMP,36.6,OK ')).toStrictEqual({ celsius: 36.6 });
    expect(tmp('TMP,97.9,OK')).toStrictEqual({ celsius: 36.6 });
  });

  it('refuses lines the format does not match, and keeps the mode and status checks', () => {
    expect(tmp('36.6')).toStrictEqual({ refused: 'unrecognised' });
    expect(tmp('TMP,36.6,FAIL')).toStrictEqual({ refused: 'unrecognised' });
    expect(tmp('TMP,Lo,OK')).toStrictEqual({ refused: 'low' });
    const moded = readingLineParser({ format: /(\d+\.\d)/u });
    expect(moded('Mode Surface 33.0')).toStrictEqual({ refused: 'not-body' });
    expect(moded('Mode Body 36.6')).toStrictEqual({ celsius: 36.6 });
  });

  it('reads a unit mark right after the capture', () => {
    const labelled = readingLineParser({ format: /^#\d+ (\d+\.\d)/u });
    expect(labelled('#7 97.7F ok')).toStrictEqual({ celsius: 36.5 });
    expect(labelled('#7 36.5℃ ok')).toStrictEqual({ celsius: 36.5 });
    expect(labelled('#7 36.5 ok')).toStrictEqual({ celsius: 36.5 });
    expect(readingLineParser({ format: /^#\d+ (\d+\.\d)/u, unit: 'C' })('#7 97.7F')).toStrictEqual({
      refused: 'unit-mismatch',
    });
  });

  it('refuses a capture that is not a number', () => {
    const loose = readingLineParser({ format: /^V=(.*)$/u });
    expect(loose('V=abc')).toStrictEqual({ refused: 'unrecognised' });
    expect(loose('V= 36.6 ')).toStrictEqual({ celsius: 36.6 });
    expect(loose('V=')).toStrictEqual({ refused: 'unrecognised' });
  });

  it('is stateless with a global or sticky format', () => {
    const global = readingLineParser({ format: /T(\d+\.\d)/gy });
    expect(global('T36.6')).toStrictEqual({ celsius: 36.6 });
    expect(global('T36.6')).toStrictEqual({ celsius: 36.6 });
  });

  it('refuses to build with no capture group or more than one', () => {
    expect(() => readingLineParser({ format: /\d+\.\d/ })).toThrow(/exactly one capture group.*not 0/);
    expect(() => readingLineParser({ format: /(\d+)\.(\d)/ })).toThrow(/not 2/);
    expect(() => readingLineParser({ format: /(?<t>\d+\.\d)(?:C)?/ })).not.toThrow();
  });
});

describe('unit helpers', () => {
  it('counts capture groups', () => {
    expect(captureGroups('a')).toBe(0);
    expect(captureGroups('(a)(?:b)(?<c>c)')).toBe(2);
    expect(captureGroups('\\(a\\)')).toBe(0);
  });

  it('converts every tenth of a degree °C to °F and back unchanged', () => {
    for (let tenths = 300; tenths <= 450; tenths++) {
      const celsius = tenths / 10;
      expect(fahrenheitToCelsius(celsiusToFahrenheit(celsius))).toBe(celsius);
    }
  });
});
