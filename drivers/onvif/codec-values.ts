/**
 * Strict readers for the XML Schema values cameras send as text (xs:dateTime, xs:float,
 * xs:boolean). Each returns undefined for anything it does not recognise instead of guessing:
 * `Number('')` is 0 and `Number('0x1F')` is 31, `Date.parse` reads a time without zone as local
 * time; none of that is wanted here.
 */

const DATE_TIME = /^(-?\d{4,})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/;

/**
 * xs:dateTime → epoch ms. A time without a zone is taken as UTC (ONVIF's UtcTime, CurrentTime and
 * TerminationTime are UTC by definition; some cameras leave the `Z` out). Fractions beyond
 * milliseconds are dropped. Out-of-range fields (month 13, 25:00) give undefined.
 */
export function parseXsDateTime(text: string): number | undefined {
  const m = DATE_TIME.exec(text.trim());
  if (m === null) return undefined;
  const [, y, mo, d, h, mi, s, fraction, zone] = m;
  const fields = [y, mo, d, h, mi, s].map(Number) as [number, number, number, number, number, number];
  const [year, month, day, hour, minute, second] = fields;
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 24 || minute > 59 || second > 60)
    return undefined;
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  if (date.getUTCDate() !== day) return undefined;
  const ms = fraction === undefined ? 0 : Math.floor(Number(`0${fraction}`) * 1000);
  date.setUTCHours(hour, minute, second, ms);
  const utc = date.getTime();
  let offset = 0;
  if (zone !== undefined && zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    offset = sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000;
  }
  const epoch = utc - offset;
  return Number.isFinite(epoch) ? epoch : undefined;
}

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A finite decimal number (xs:float/xs:double lexical form without INF/NaN), else undefined. */
export function parseDecimal(text: string): number | undefined {
  const t = text.trim();
  if (!DECIMAL.test(t)) return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}

/** xs:boolean (`true`/`false`/`1`/`0`), case-insensitively for cameras that write `True`. */
export function parseBoolean(text: string): boolean | undefined {
  switch (text.trim().toLowerCase()) {
    case 'true':
    case '1':
      return true;
    case 'false':
    case '0':
      return false;
    default:
      return undefined;
  }
}
