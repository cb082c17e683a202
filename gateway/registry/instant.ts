/**
 * Instants as people write them in registry documents and rosters, and back.
 *
 * Accepted: `2022-04-01T08:30:00+08:00` (offset `Z`, `±HH:MM` or `±HHMM`; seconds and fraction
 * optional; `T` or a space), `2022-04-01T08:30` (no offset: wall time in the site time zone) and
 * `2022-04-01` (00:00 in the site time zone). The model holds epoch milliseconds.
 */

import { utcOffsetMs } from '../util/site-time.js';

export { assertTimeZone } from '../util/site-time.js';

export const DEFAULT_TIME_ZONE = 'Asia/Shanghai';

/** The accepted shapes as a regular expression source (shared with the JSON Schema). */
export const INSTANT_PATTERN =
  '^\\d{4}-\\d{2}-\\d{2}(?:[T ]\\d{2}:\\d{2}(?::\\d{2}(?:\\.\\d{1,9})?)?(?:Z|z|[+-]\\d{2}:?\\d{2})?)?$';

const INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|z|[+-]\d{2}:?\d{2})?)?$/;

/** Date-only strings repeat a lot in rosters; their resolution is cached (bounded). */
const dateCache = new Map<string, number>();
const DATE_CACHE_LIMIT = 10_000;

/** Epoch ms for `text`, or undefined when it is not one of the accepted shapes or not a real date/time. */
export function parseInstant(text: string, timeZone: string = DEFAULT_TIME_ZONE): number | undefined {
  const m = INSTANT.exec(text.trim());
  if (!m) return undefined;
  const [, ys, mos, ds, hs, mis, ss, frac, offset] = m;
  const year = Number(ys);
  const month = Number(mos);
  const day = Number(ds);
  // Date.UTC maps years 0–99 to 1900–1999; no registry instant is that old.
  if (year < 1000 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hs === undefined) return localDate(year, month, day, text, timeZone);
  const hour = Number(hs);
  const minute = Number(mis);
  const second = ss === undefined ? 0 : Number(ss);
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const ms = frac === undefined ? 0 : Number(frac.slice(0, 3).padEnd(3, '0'));
  const wall = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  if (offset === undefined) return zonedToEpoch(wall, timeZone);
  if (offset === 'Z' || offset === 'z') return wall;
  const sign = offset.startsWith('-') ? -1 : 1;
  const digits = offset.slice(1).replace(':', '');
  const oh = Number(digits.slice(0, 2));
  const om = Number(digits.slice(2, 4));
  if (oh > 23 || om > 59) return undefined;
  return wall - sign * (oh * 60 + om) * 60_000;
}

/** `2022-04-01T08:30:00+08:00` in the site time zone; milliseconds only when not zero. Round-trips through parseInstant. */
export function formatInstant(ms: number, timeZone: string = DEFAULT_TIME_ZONE): string {
  let offset = utcOffsetMs(ms, timeZone);
  // Historic local mean times have second-level offsets an ISO offset cannot carry: use UTC.
  if (offset % 60_000 !== 0) offset = 0;
  const d = new Date(ms + offset);
  const date = `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  const millis = d.getUTCMilliseconds();
  const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}${millis ? `.${pad(millis, 3)}` : ''}`;
  if (offset === 0) return `${date}T${time}Z`;
  const abs = Math.abs(offset) / 60_000;
  return `${date}T${time}${offset < 0 ? '-' : '+'}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

function localDate(year: number, month: number, day: number, text: string, timeZone: string): number {
  const key = `${timeZone}\u0000${text}`;
  const cached = dateCache.get(key);
  if (cached !== undefined) return cached;
  const epoch = zonedToEpoch(Date.UTC(year, month - 1, day), timeZone);
  if (dateCache.size >= DATE_CACHE_LIMIT) dateCache.clear();
  dateCache.set(key, epoch);
  return epoch;
}

/** The instant whose wall time in `timeZone` is `wall` (wall time encoded as if it were UTC). */
function zonedToEpoch(wall: number, timeZone: string): number {
  const first = utcOffsetMs(wall, timeZone);
  const guess = wall - first;
  const second = utcOffsetMs(guess, timeZone);
  return second === first ? guess : wall - second;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}
