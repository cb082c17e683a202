import { describe, expect, it } from 'vitest';
import { readingFormatProblem, thermometerSchema } from '../../config/thermometer-schema.js';
import { readingLineParser } from '../../drivers/thermometer/reading-line.js';

const BASE = { id: 'thermo-north', lane: 'north-ped-in', serial: { path: '/dev/ttyUSB0' } };

describe('thermometerSchema', () => {
  it('fills in the defaults', () => {
    expect(thermometerSchema.parse(BASE)).toStrictEqual({
      id: 'thermo-north',
      lane: 'north-ped-in',
      serial: { path: '/dev/ttyUSB0', baud: 9600 },
      unit: 'auto',
    });
  });

  it('takes a format with one capture group, and one the driver then reads with', () => {
    const entry = thermometerSchema.parse({
      ...BASE,
      serial: { path: '/dev/ttyACM0', baud: 115200 },
      format: '^TMP,(\\d+\\.\\d),OK$',
      unit: 'F',
    });
    expect(entry).toMatchObject({ format: '^TMP,(\\d+\\.\\d),OK$', unit: 'F', serial: { baud: 115200 } });
    const parse = readingLineParser({ format: new RegExp(entry.format as string, 'u'), unit: entry.unit });
    expect(parse('TMP,97.7,OK')).toStrictEqual({ celsius: 36.5 });
  });

  it.each([
    ['\\d+\\.\\d', /exactly one capture group.*not 0/],
    ['(\\d+)\\.(\\d)', /not 2/],
    ['(\\d+', /not a regular expression/],
    ['\\q(\\d)', /not a regular expression/], // an identity escape the `u` flag forbids
  ])('refuses the format %j', (format, message) => {
    const result = thermometerSchema.safeParse({ ...BASE, format });
    expect(result.success).toBe(false);
    expect(result.error?.issues).toEqual([
      expect.objectContaining({ path: ['format'], message: expect.stringMatching(message) }),
    ]);
  });

  it.each([
    [{ ...BASE, unit: 'K' }, 'unit'],
    [{ ...BASE, serial: { path: '/dev/ttyUSB0', baud: 1234 } }, 'serial'],
    [{ ...BASE, serial: { path: '' } }, 'serial'],
    [{ ...BASE, lane: 'North Lane' }, 'lane'],
    [{ ...BASE, terminator: 'cr' }, ''],
    [{ id: 'thermo-north', lane: 'north-ped-in' }, 'serial'],
  ])('refuses %j', (input, field) => {
    const result = thermometerSchema.safeParse(input);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => String(i.path[0] ?? ''))).toContain(field);
  });

  it('names the problem of a format source', () => {
    expect(readingFormatProblem('T=(\\d+\\.\\d)')).toBeUndefined();
    expect(readingFormatProblem('(?<n>\\d+)')).toBeUndefined();
    expect(readingFormatProblem('[')).toMatch(/^not a regular expression: /);
  });
});
