/**
 * The `thermometers` section of the configuration: handheld thermometers on a serial or
 * USB-serial port whose readings are the re-measure of a high camera reading (docs/rules.md,
 * "Re-measure before FEVER"). Part of the one schema in `schema.ts`, which checks the id and
 * the lane against the rest of the site.
 */
import { z } from 'zod';
import { BAUD_RATES } from './devices-schema.js';

const slug = z
  .string()
  .max(64)
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'must be a slug: lower-case letters, digits and single hyphens');

/**
 * Why `source` cannot be a reading format, or undefined when it can: it must compile (with the
 * `u` flag, as the driver compiles it) and have exactly one capture group, the number.
 */
export function readingFormatProblem(source: string): string | undefined {
  let groups: number;
  try {
    // An empty alternative always matches '', and the result has one slot per group.
    groups = (new RegExp(`${source}|`, 'u').exec('') as RegExpExecArray).length - 1;
  } catch (err) {
    return `not a regular expression: ${(err as Error).message}`;
  }
  return groups === 1 ? undefined : `needs exactly one capture group (the number), not ${groups}`;
}

export const thermometerSchema = z.strictObject({
  id: slug.describe(
    'Device id, unique across the site: names the thermometer in the journal (as the source of its readings).',
  ),
  lane: slug.describe('Lane where the operator takes re-measures with it: its readings count there.'),
  serial: z
    .strictObject({
      path: z
        .string()
        .min(1)
        .describe(
          'Serial device of the thermometer (its own port): /dev/ttyUSB0 (CH340, CP210x), /dev/ttyACM0 ' +
            '(CDC-ACM), /dev/serial/by-id/… (stable across re-plugging), or one end of a socat pty pair.',
        ),
      baud: z
        .union(BAUD_RATES.map((b) => z.literal(b)))
        .default(9600)
        .describe('Baud rate, 8N1 (most modules use 9600 or 115200).'),
    })
    .describe('The port the thermometer prints its readings on, one per line (CR, LF or CR LF).'),
  format: z
    .string()
    .min(1)
    .max(256)
    .superRefine((source, ctx) => {
      const problem = readingFormatProblem(source);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
    })
    .optional()
    .describe(
      'Only for a device whose lines the built-in formats (36.5, 36.5C, T=36.5, BODY:36.5℃, Temp:97.7F) ' +
        'miss: a regular expression (JavaScript, case-sensitive) with exactly one capture group, the ' +
        'number, e.g. "^TMP,(\\d+\\.\\d),OK$". Surface-mode and Lo/Hi/Err lines are refused either way.',
    ),
  unit: z
    .enum(['auto', 'C', 'F'])
    .default('auto')
    .describe(
      'Unit of values printed without one. auto: below 50 is °C, otherwise °F. A unit on the line ' +
        'that contradicts C or F here refuses the reading.',
    ),
});

export type ThermometerConfigEntry = z.output<typeof thermometerSchema>;
