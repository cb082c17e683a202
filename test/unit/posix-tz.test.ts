import { describe, expect, it } from 'vitest';
import { PosixTzError, parsePosixTz, posixOffsetAt } from '../../gateway/util/zone/posix-tz.js';

const H = 3600;
const hours = (tz: string, iso: string) => posixOffsetAt(parsePosixTz(tz), Date.parse(iso)) / H;

describe('POSIX TZ strings (RFC 8536 §3.3)', () => {
  it('reads fixed offsets, east positive (the string says west)', () => {
    expect(parsePosixTz('CST-8')).toEqual({ std: 8 * H });
    expect(parsePosixTz('<-05>5')).toEqual({ std: -5 * H });
    expect(parsePosixTz('IST-5:30')).toEqual({ std: 5.5 * H });
    expect(parsePosixTz('UTC0')).toEqual({ std: 0 });
  });

  it('reads rules, with the default 02:00 and the one-hour default DST offset', () => {
    expect(parsePosixTz('EST5EDT,M3.2.0,M11.1.0')).toEqual({
      std: -5 * H,
      dst: {
        offset: -4 * H,
        start: { kind: 'month', month: 3, week: 2, weekday: 0, time: 2 * H },
        end: { kind: 'month', month: 11, week: 1, weekday: 0, time: 2 * H },
      },
    });
    expect(parsePosixTz('<+1245>-12:45<+1345>,M9.5.0/2:45,M4.1.0/3:45').dst?.start.time).toBe(2.75 * H);
    expect(parsePosixTz('<-03>3<-02>,M3.5.0/-2,M10.5.0/-1').dst?.start.time).toBe(-2 * H);
    expect(parsePosixTz('IST-2IDT,M3.4.4/26,M10.5.0').dst?.start.time).toBe(26 * H);
    expect(parsePosixTz('XXX3EDT4,J60/2,300/2').dst).toMatchObject({
      offset: -4 * H,
      start: { kind: 'julian1', day: 60 },
      end: { kind: 'julian0', day: 300 },
    });
  });

  it('US rules: the second Sunday of March to the first of November, at 02:00 local', () => {
    const ny = 'EST5EDT,M3.2.0,M11.1.0';
    expect(hours(ny, '2026-03-08T06:59:59Z')).toBe(-5);
    expect(hours(ny, '2026-03-08T07:00:00Z')).toBe(-4);
    expect(hours(ny, '2026-11-01T05:59:59Z')).toBe(-4);
    expect(hours(ny, '2026-11-01T06:00:00Z')).toBe(-5);
  });

  it('southern hemisphere: daylight time across the new year', () => {
    const sydney = 'AEST-10AEDT,M10.1.0,M4.1.0/3';
    expect(hours(sydney, '2026-01-15T00:00:00Z')).toBe(11);
    expect(hours(sydney, '2026-04-04T15:59:59Z')).toBe(11); // 02:59:59 AEDT on 5 April
    expect(hours(sydney, '2026-04-04T16:00:00Z')).toBe(10);
    expect(hours(sydney, '2026-10-03T15:59:59Z')).toBe(10);
    expect(hours(sydney, '2026-10-03T16:00:00Z')).toBe(11); // 02:00 AEST on 4 October
    expect(hours(sydney, '2026-12-31T23:00:00Z')).toBe(11);
  });

  it('negative DST (Europe/Dublin): winter is the "daylight" time', () => {
    const dublin = 'IST-1GMT0,M10.5.0,M3.5.0/1';
    expect(hours(dublin, '2026-07-01T12:00:00Z')).toBe(1);
    expect(hours(dublin, '2026-12-01T12:00:00Z')).toBe(0);
    expect(hours(dublin, '2026-03-29T00:59:59Z')).toBe(0);
    expect(hours(dublin, '2026-03-29T01:00:00Z')).toBe(1);
  });

  it('negative rule times (America/Nuuk) and DST all year', () => {
    const nuuk = '<-02>2<-01>,M3.5.0/-1,M10.5.0/0';
    // The last Sunday of March 2026 is the 29th; "-1:00" on it is 23:00 on the 28th, -02.
    expect(hours(nuuk, '2026-03-29T00:59:59Z')).toBe(-2);
    expect(hours(nuuk, '2026-03-29T01:00:00Z')).toBe(-1);
    const always = 'EST5EDT,0/0,J365/25';
    for (const iso of ['2026-01-01T00:00:00Z', '2026-06-30T12:00:00Z', '2026-12-31T23:59:59Z'])
      expect(hours(always, iso)).toBe(-4);
  });

  it('Jn never counts 29 February; n does', () => {
    // J60 is 1 March in every year; day 59 (from 0) is 29 February in a leap year.
    expect(hours('AAA0BBB,J60/0,J300/0', '2028-02-29T12:00:00Z')).toBe(0);
    expect(hours('AAA0BBB,J60/0,J300/0', '2028-03-01T00:00:00Z')).toBe(1);
    expect(hours('AAA0BBB,59/0,300/0', '2028-02-29T00:00:00Z')).toBe(1);
    expect(hours('AAA0BBB,59/0,300/0', '2027-02-28T23:59:59Z')).toBe(0);
  });

  it.each([
    ['', 0, 'a zone abbreviation'],
    ['CS-8', 0, 'a zone abbreviation'],
    ['CST', 3, 'an offset'],
    ['CST25', 3, 'out of range'],
    ['EST5EDT', 7, 'without the rules'],
    ['EST5EDT,M13.2.0,M11.1.0', 8, 'out of range'],
    ['EST5EDT,M3.2.0', 14, 'expected ","'],
    ['EST5EDT,M3.2.0,M11.1.0x', 22, 'unexpected "x"'],
    ['<+08-8', 0, 'quoted'],
    ['EST5EDT,J0,J365', 8, 'J takes a day 1 to 365'],
  ])('refuses %j at %i: %s', (tz, at, what) => {
    let error: unknown;
    try {
      parsePosixTz(tz);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(PosixTzError);
    expect(error).toMatchObject({ tz, at });
    expect((error as Error).message).toContain(what);
  });
});
