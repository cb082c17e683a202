import type { ShiftId } from '../domain/model.js';
import { GatewardenError } from '../errors.js';
import { type ZoneOffsets, zoneOffsets } from './zone/zone-offsets.js';

/**
 * Site time: the community's wall clock in its IANA time zone, for duty shifts and reports.
 * Instants everywhere else are epoch ms (UTC). Pure functions; the only state is a cache of
 * zone's offsets (zone/zone-offsets.ts: the system's tz database, else ICU).
 *
 * Shifts (plan 6 §3.2), local time: day 08:00–17:00, evening 17:00–20:00, night 20:00–08:00.
 * Each is half-open (08:00 belongs to the day shift). The night shift of date D runs from
 * D 20:00 to D+1 08:00, so a reading at 02:00 on D+1 has *shift date* D.
 *
 * Wall times that do not exist or exist twice (daylight-saving changes) resolve like
 * `Temporal`'s 'compatible' disambiguation: a skipped time moves forward by the gap
 * (02:30 on a spring-forward night is 03:30), a repeated time takes its earlier instant.
 */

/** 'YYYY-MM-DD' in site time. */
export type LocalDate = string;

/** Half-open: `from <= at < to`, epoch ms. */
export interface TimeWindow {
  from: number;
  to: number;
}

export interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** Local start time of each shift; each runs until the next one starts. */
export const SHIFT_STARTS: Readonly<Record<ShiftId, string>> = {
  day: '08:00',
  evening: '17:00',
  night: '20:00',
};
const DAY_START_MIN = minuteOfDay(SHIFT_STARTS.day);
const EVENING_START_MIN = minuteOfDay(SHIFT_STARTS.evening);
const NIGHT_START_MIN = minuteOfDay(SHIFT_STARTS.night);
const DAY_MS = 86_400_000;

function offsetsOf(tz: string): ZoneOffsets {
  const offsets = zoneOffsets(tz);
  if (offsets === undefined)
    throw new GatewardenError('CONFIG_INVALID', `unknown time zone "${tz}"`, {
      problems: [{ field: 'timezone', message: 'an IANA time zone such as Asia/Shanghai' }],
    });
  return offsets;
}

/** Throws a CONFIG_INVALID GatewardenError when `tz` is not a time zone this system knows. */
export function assertTimeZone(tz: string): void {
  offsetsOf(tz);
}

/** Whether `tz` is a time zone the system's tz database or the runtime knows. */
export function isTimeZone(tz: string): boolean {
  return zoneOffsets(tz) !== undefined;
}

export function localParts(at: number, tz: string): LocalParts {
  const wall = new Date(at + utcOffsetMs(at, tz));
  return {
    year: wall.getUTCFullYear(),
    month: wall.getUTCMonth() + 1,
    day: wall.getUTCDate(),
    hour: wall.getUTCHours(),
    minute: wall.getUTCMinutes(),
    second: wall.getUTCSeconds(),
  };
}

/** Site-time offset from UTC at `at`, in ms (e.g. +28_800_000 for Asia/Shanghai). */
export function utcOffsetMs(at: number, tz: string): number {
  return offsetsOf(tz).offsetMs(at);
}

/** The calendar date at `at` in site time. */
export function localDate(at: number, tz: string): LocalDate {
  const p = localParts(at, tz);
  return formatDate(p.year, p.month, p.day);
}

/** 'YYYY-MM-DD HH:MM' in site time, for reports and screens. */
export function formatLocal(at: number, tz: string): string {
  const p = localParts(at, tz);
  return `${formatDate(p.year, p.month, p.day)} ${pad2(p.hour)}:${pad2(p.minute)}`;
}

/** The duty shift on at `at`. */
export function shiftAt(at: number, tz: string): ShiftId {
  const p = localParts(at, tz);
  return shiftOfMinute(p.hour * 60 + p.minute);
}

/** The date the shift on at `at` started: the previous day before 08:00 (night shift). */
export function shiftDate(at: number, tz: string): LocalDate {
  const p = localParts(at, tz);
  const date = formatDate(p.year, p.month, p.day);
  return p.hour * 60 + p.minute < DAY_START_MIN ? addDays(date, -1) : date;
}

/** The instant of a wall-clock time `HH:MM` on `date` in site time (see the header on DST). */
export function zonedToEpoch(date: LocalDate, time: string, tz: string): number {
  const [year, month, day] = parseDate(date);
  const [hour, minute] = parseTime(time);
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  // At most one offset change within a day of any instant: try the offsets either side.
  const before = utcOffsetMs(wall - DAY_MS, tz);
  const after = utcOffsetMs(wall + DAY_MS, tz);
  const valid = [wall - before, wall - after].filter((t) => utcOffsetMs(t, tz) === wall - t);
  if (valid.length > 0) return Math.min(...valid);
  return wall - before; // skipped wall time: keep the earlier offset, which lands after the gap
}

export function shiftWindow(date: LocalDate, shift: ShiftId, tz: string): TimeWindow {
  switch (shift) {
    case 'day':
      return {
        from: zonedToEpoch(date, SHIFT_STARTS.day, tz),
        to: zonedToEpoch(date, SHIFT_STARTS.evening, tz),
      };
    case 'evening':
      return {
        from: zonedToEpoch(date, SHIFT_STARTS.evening, tz),
        to: zonedToEpoch(date, SHIFT_STARTS.night, tz),
      };
    case 'night':
      return {
        from: zonedToEpoch(date, SHIFT_STARTS.night, tz),
        to: zonedToEpoch(addDays(date, 1), SHIFT_STARTS.day, tz),
      };
  }
}

/** The calendar day in site time: local midnight to the next local midnight (23 or 25 h on DST days). */
export function dayWindow(date: LocalDate, tz: string): TimeWindow {
  return { from: zonedToEpoch(date, '00:00', tz), to: zonedToEpoch(addDays(date, 1), '00:00', tz) };
}

/** Calendar arithmetic on a 'YYYY-MM-DD' date (no time zone involved). */
export function addDays(date: LocalDate, days: number): LocalDate {
  const [year, month, day] = parseDate(date);
  const d = new Date(Date.UTC(year, month - 1, day + days));
  return formatDate(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate());
}

function minuteOfDay(time: string): number {
  const [hour, minute] = parseTime(time);
  return hour * 60 + minute;
}

function shiftOfMinute(minuteOfDay: number): ShiftId {
  if (minuteOfDay >= DAY_START_MIN && minuteOfDay < EVENING_START_MIN) return 'day';
  if (minuteOfDay >= EVENING_START_MIN && minuteOfDay < NIGHT_START_MIN) return 'evening';
  return 'night';
}

function parseDate(date: string): [number, number, number] {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  const [year, month, day] = [Number(m?.[1]), Number(m?.[2]), Number(m?.[3])];
  const roundTrip = m ? new Date(Date.UTC(year, month - 1, day)) : undefined;
  if (
    roundTrip === undefined ||
    year < 1970 ||
    roundTrip.getUTCMonth() !== month - 1 ||
    roundTrip.getUTCDate() !== day
  ) {
    throw new GatewardenError('USAGE', `invalid date "${date}"`, {
      problems: [{ field: 'date', message: 'a calendar date YYYY-MM-DD, 1970 or later' }],
    });
  }
  return [year, month, day];
}

function parseTime(time: string): [number, number] {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(time);
  if (!m) {
    throw new GatewardenError('USAGE', `invalid time "${time}"`, {
      problems: [{ field: 'time', message: 'a wall-clock time HH:MM, 00:00 to 23:59' }],
    });
  }
  return [Number(m[1]), Number(m[2])];
}

function formatDate(year: number, month: number, day: number): LocalDate {
  return `${String(year).padStart(4, '0')}-${pad2(month)}-${pad2(day)}`;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}
