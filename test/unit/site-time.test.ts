import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { GatewardenError } from '../../gateway/errors.js';
import {
  addDays,
  dayWindow,
  formatLocal,
  localDate,
  localParts,
  shiftAt,
  shiftDate,
  shiftWindow,
  utcOffsetMs,
  zonedToEpoch,
} from '../../gateway/util/site-time.js';

const SHANGHAI = 'Asia/Shanghai';
const BERLIN = 'Europe/Berlin';
const HOUR = 3_600_000;

/** Shanghai wall time on 2024-05-01 (UTC+8, no DST). */
function shanghai(hhmm: string, date = '2024-05-01'): number {
  return Date.parse(`${date}T${hhmm}:00+08:00`);
}

describe('shifts in Asia/Shanghai', () => {
  it.each([
    ['00:00', 'night', '2024-04-30'],
    ['02:00', 'night', '2024-04-30'],
    ['07:59', 'night', '2024-04-30'],
    ['08:00', 'day', '2024-05-01'],
    ['16:59', 'day', '2024-05-01'],
    ['17:00', 'evening', '2024-05-01'],
    ['19:59', 'evening', '2024-05-01'],
    ['20:00', 'night', '2024-05-01'],
    ['23:59', 'night', '2024-05-01'],
  ])('%s is the %s shift of %s', (hhmm, shift, date) => {
    const at = shanghai(hhmm);
    expect(shiftAt(at, SHANGHAI)).toBe(shift);
    expect(shiftDate(at, SHANGHAI)).toBe(date);
    expect(localDate(at, SHANGHAI)).toBe('2024-05-01');
  });

  it('gives half-open windows, the night one crossing midnight', () => {
    expect(shiftWindow('2024-05-01', 'day', SHANGHAI)).toEqual({
      from: shanghai('08:00'),
      to: shanghai('17:00'),
    });
    expect(shiftWindow('2024-05-01', 'evening', SHANGHAI)).toEqual({
      from: shanghai('17:00'),
      to: shanghai('20:00'),
    });
    expect(shiftWindow('2024-05-01', 'night', SHANGHAI)).toEqual({
      from: shanghai('20:00'),
      to: shanghai('08:00', '2024-05-02'),
    });
  });

  it('gives the calendar day, across a month end', () => {
    expect(dayWindow('2024-04-30', SHANGHAI)).toEqual({
      from: Date.parse('2024-04-29T16:00:00Z'),
      to: Date.parse('2024-04-30T16:00:00Z'),
    });
  });

  it('formats local times and offsets', () => {
    expect(formatLocal(shanghai('00:00'), SHANGHAI)).toBe('2024-05-01 00:00');
    expect(localParts(shanghai('23:59') + 59_999, SHANGHAI)).toEqual({
      year: 2024,
      month: 5,
      day: 1,
      hour: 23,
      minute: 59,
      second: 59,
    });
    expect(utcOffsetMs(shanghai('12:00') + 123, SHANGHAI)).toBe(8 * HOUR);
  });
});

describe('shifts in Europe/Berlin around daylight-saving changes', () => {
  it('runs the night shift 11 h when clocks go forward and 13 h when they go back', () => {
    const spring = shiftWindow('2024-03-30', 'night', BERLIN);
    expect(spring).toEqual({
      from: Date.parse('2024-03-30T19:00:00Z'),
      to: Date.parse('2024-03-31T06:00:00Z'),
    });
    const autumn = shiftWindow('2024-10-26', 'night', BERLIN);
    expect(autumn).toEqual({
      from: Date.parse('2024-10-26T18:00:00Z'),
      to: Date.parse('2024-10-27T07:00:00Z'),
    });
    expect((spring.to - spring.from) / HOUR).toBe(11);
    expect((autumn.to - autumn.from) / HOUR).toBe(13);
  });

  it('has 23 and 25 hour days', () => {
    const spring = dayWindow('2024-03-31', BERLIN);
    const autumn = dayWindow('2024-10-27', BERLIN);
    expect((spring.to - spring.from) / HOUR).toBe(23);
    expect((autumn.to - autumn.from) / HOUR).toBe(25);
  });

  it('moves a skipped wall time forward and takes the earlier of a repeated one', () => {
    expect(zonedToEpoch('2024-03-31', '02:30', BERLIN)).toBe(Date.parse('2024-03-31T01:30:00Z')); // 03:30 CEST
    expect(formatLocal(zonedToEpoch('2024-03-31', '02:30', BERLIN), BERLIN)).toBe('2024-03-31 03:30');
    expect(zonedToEpoch('2024-10-27', '02:30', BERLIN)).toBe(Date.parse('2024-10-27T00:30:00Z')); // CEST
    expect(zonedToEpoch('2024-10-27', '03:00', BERLIN)).toBe(Date.parse('2024-10-27T02:00:00Z'));
  });

  it('keeps the night shift across the change', () => {
    const before = Date.parse('2024-03-31T00:59:00Z'); // 01:59 CET
    const after = Date.parse('2024-03-31T01:00:00Z'); // 03:00 CEST
    expect([shiftAt(before, BERLIN), shiftAt(after, BERLIN)]).toEqual(['night', 'night']);
    expect([shiftDate(before, BERLIN), shiftDate(after, BERLIN)]).toEqual(['2024-03-30', '2024-03-30']);
    expect(shiftAt(Date.parse('2024-03-31T06:00:00Z'), BERLIN)).toBe('day'); // 08:00 CEST
    expect(shiftAt(Date.parse('2024-03-31T05:59:00Z'), BERLIN)).toBe('night');
  });
});

describe('dates and errors', () => {
  it('adds days across months, years and leap days', () => {
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
    expect(addDays('2024-12-31', 1)).toBe('2025-01-01');
    expect(addDays('2024-03-01', -1)).toBe('2024-02-29');
  });

  it('refuses unknown zones, impossible dates and times', () => {
    expect(() => shiftAt(0, 'Mars/Olympus')).toThrow(GatewardenError);
    expect(() => dayWindow('2024-02-30', SHANGHAI)).toThrow(/invalid date/);
    expect(() => dayWindow('2024-5-1', SHANGHAI)).toThrow(/invalid date/);
    expect(() => zonedToEpoch('2024-05-01', '24:00', SHANGHAI)).toThrow(/invalid time/);
  });
});

describe('properties', () => {
  const zones = fc.constantFrom(SHANGHAI, BERLIN, 'America/New_York', 'Asia/Kolkata', 'Asia/Kathmandu');
  const instants = fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2030, 0, 1) });

  test.prop([instants, zones])('every instant lies in the window of its own shift', (at, tz) => {
    const window = shiftWindow(shiftDate(at, tz), shiftAt(at, tz), tz);
    expect(window.from).toBeLessThanOrEqual(at);
    expect(at).toBeLessThan(window.to);
  });

  test.prop([instants, zones])('every instant lies in the window of its own calendar day', (at, tz) => {
    const window = dayWindow(localDate(at, tz), tz);
    expect(window.from).toBeLessThanOrEqual(at);
    expect(at).toBeLessThan(window.to);
  });

  test.prop([instants, zones])('a minute read off the wall clock converts back to that minute', (at, tz) => {
    const minute = at - (at % 60_000);
    const [date, time] = formatLocal(minute, tz).split(' ') as [string, string];
    const back = zonedToEpoch(date, time, tz);
    // Equal, except in the repeated hour, where the earlier instant is chosen.
    expect(back === minute || (back < minute && formatLocal(back, tz) === formatLocal(minute, tz))).toBe(
      true,
    );
  });
});
