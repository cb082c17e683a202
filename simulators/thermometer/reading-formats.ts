import { celsiusToFahrenheit } from '../../drivers/thermometer/reading-line.js';

/**
 * How simulated thermometers print a reading, after devices seen in the field (examples for
 * 36.6 °C, body mode):
 * - `plain`       36.6             modules that print the number alone
 * - `suffixed`    36.6C
 * - `tagged`      T=36.6
 * - `prefixed`    BODY:36.6℃       IR forehead guns with a body/surface switch (UTF-8 ℃)
 * - `fahrenheit`  Temp:97.9F       a device set to °F
 * In surface mode the same line carries a surface label (`Surface 33.0`, `SURFACE:33.0℃`).
 */
export type ReadingFormat = 'plain' | 'suffixed' | 'tagged' | 'prefixed' | 'fahrenheit';

export const READING_FORMATS: readonly ReadingFormat[] = [
  'plain',
  'suffixed',
  'tagged',
  'prefixed',
  'fahrenheit',
];

/** What the device measured: a body, or a surface (object, room) — the driver must refuse the latter. */
export type MeasureMode = 'body' | 'surface';

/** The device's own out-of-range and error displays. */
export type DeviceStatus = 'lo' | 'hi' | 'error';

const STATUS_TEXT: Readonly<Record<DeviceStatus, string>> = { lo: 'Lo', hi: 'Hi', error: 'Err' };

/** The line (without terminator) a device in `format` prints for `celsius`. */
export function formatReadingLine(
  celsius: number,
  format: ReadingFormat,
  mode: MeasureMode = 'body',
): string {
  const c = celsius.toFixed(1);
  const surface = mode === 'surface';
  switch (format) {
    case 'plain':
      return surface ? `Surface ${c}` : c;
    case 'suffixed':
      return surface ? `Surface ${c}C` : `${c}C`;
    case 'tagged':
      return surface ? `Surface T=${c}` : `T=${c}`;
    case 'prefixed':
      return `${surface ? 'SURFACE' : 'BODY'}:${c}℃`;
    case 'fahrenheit':
      return `${surface ? 'Surface ' : ''}Temp:${celsiusToFahrenheit(celsius).toFixed(1)}F`;
  }
}

/** The line a device in `format` prints for an out-of-range or error display. */
export function formatStatusLine(status: DeviceStatus, format: ReadingFormat): string {
  const text = STATUS_TEXT[status];
  switch (format) {
    case 'plain':
    case 'suffixed':
      return text;
    case 'tagged':
      return `T=${text}`;
    case 'prefixed':
      return `BODY:${text}`;
    case 'fahrenheit':
      return `Temp:${text}`;
  }
}
