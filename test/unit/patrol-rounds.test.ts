import { describe, expect, it } from 'vitest';
import {
  nextRoundEnd,
  type PatrolRoute,
  type PatrolTap,
  patrolRounds,
  shiftsOverlapping,
} from '../../gateway/patrol/rounds.js';
import { shiftWindow, zonedToEpoch } from '../../gateway/util/site-time.js';

const TZ = 'Asia/Shanghai';
const DATE = '2024-05-01';
const at = (time: string, date = DATE) => zonedToEpoch(date, time, TZ);
const DAY = shiftWindow(DATE, 'day', TZ);

/** A round every hour of the day shift: garden at minute 10, garage at 30, five minutes either way. */
const LOOP: PatrolRoute = {
  id: 'loop',
  shifts: ['day'],
  everyMinutes: 60,
  toleranceMinutes: 5,
  points: [
    { station: 'garden', atMinutes: 10 },
    { station: 'garage', atMinutes: 30 },
  ],
};

let seq = 0;
/** A guard's tap; `guardId` null: a refused one (a card that is no guard's). */
function tap(stationId: string, when: number, guardId: string | null = 'g-1'): PatrolTap {
  seq += 1;
  return { seq, at: when, stationId, accepted: guardId !== null, ...(guardId === null ? {} : { guardId }) };
}

function firstRound(taps: PatrolTap[], now: number, routes: PatrolRoute[] = [LOOP]) {
  const rounds = patrolRounds(routes, taps, DAY, now, TZ);
  const round = rounds[0];
  if (round === undefined) throw new Error('no round');
  return round;
}

describe('patrol rounds', () => {
  it('starts a round every everyMinutes from the start of the shift, each ending at the next', () => {
    const rounds = patrolRounds([LOOP], [], DAY, DAY.from, TZ);
    expect(rounds).toHaveLength(9);
    expect(rounds[0]).toMatchObject({
      routeId: 'loop',
      shift: 'day',
      shiftDate: DATE,
      start: at('08:00'),
      end: at('09:00'),
    });
    expect(rounds[8]).toMatchObject({ start: at('16:00'), end: at('17:00') });
    expect(rounds[0]?.points.map((p) => [p.station, p.expected, p.opensAt, p.onTimeUntil])).toEqual([
      ['garden', at('08:10'), at('08:05'), at('08:15')],
      ['garage', at('08:30'), at('08:25'), at('08:35')],
    ]);
    expect(rounds.flatMap((r) => r.points.map((p) => p.status))).toEqual(Array(18).fill('pending'));
  });

  it('is on time inside expected ± tolerance (both ends included), late after it until the round ends', () => {
    const onTime = firstRound([tap('garden', at('08:05')), tap('garage', at('08:35'))], at('09:00'));
    expect(onTime.points.map((p) => p.status)).toEqual(['on_time', 'on_time']);
    const late = firstRound([tap('garden', at('08:15') + 1), tap('garage', at('09:00') - 1)], at('09:00'));
    expect(late.points.map((p) => p.status)).toEqual(['late', 'late']);
    expect(late.points[0]?.tap).toEqual({ seq: seq - 1, at: at('08:15') + 1, guardId: 'g-1' });
  });

  it('keeps a point pending until the round ends and calls it missed from the end on', () => {
    expect(firstRound([], at('09:00') - 1).points.map((p) => p.status)).toEqual(['pending', 'pending']);
    expect(firstRound([], at('09:00')).points.map((p) => p.status)).toEqual(['missed', 'missed']);
  });

  it('ignores early taps, refused taps, taps after now and taps at the round’s end', () => {
    const round = firstRound(
      [
        tap('garden', at('08:04')), // before the on-time window
        tap('garden', at('08:10'), null), // refused: not a guard's card
        tap('garage', at('09:00')), // the next round's
      ],
      at('09:00'),
    );
    expect(round.points.map((p) => p.status)).toEqual(['missed', 'missed']);
    const future = firstRound([tap('garden', at('08:10'))], at('08:09'));
    expect(future.points[0]?.status).toBe('pending');
  });

  it('counts one tap once: a station in two routes needs a tap for each', () => {
    const other: PatrolRoute = { ...LOOP, id: 'other' };
    const once = patrolRounds([LOOP, other], [tap('garden', at('08:10'))], DAY, at('09:00'), TZ);
    const gardens = once.filter((r) => r.start === at('08:00')).map((r) => r.points[0]?.status);
    expect(gardens.sort()).toEqual(['missed', 'on_time']);
    const twice = patrolRounds(
      [LOOP, other],
      [tap('garden', at('08:10')), tap('garden', at('08:11'), 'g-2')],
      DAY,
      at('09:00'),
      TZ,
    );
    expect(twice.filter((r) => r.start === at('08:00')).map((r) => r.points[0]?.status)).toEqual([
      'on_time',
      'on_time',
    ]);
  });

  it('gives an on-time tap to the point it is on time for rather than as a late tap to the one before', () => {
    const twiceThrough: PatrolRoute = {
      ...LOOP,
      points: [
        { station: 'gate', atMinutes: 0 },
        { station: 'gate', atMinutes: 50 },
      ],
    };
    const round = firstRound([tap('gate', at('08:50'))], at('09:00'), [twiceThrough]);
    expect(round.points.map((p) => p.status)).toEqual(['missed', 'on_time']);
  });

  it('cuts the last round short at the shift’s end, leaving out the points that no longer fit', () => {
    const everyTwoHours: PatrolRoute = {
      ...LOOP,
      everyMinutes: 120,
      points: [...LOOP.points, { station: 'pond', atMinutes: 90 }],
    };
    const rounds = patrolRounds([everyTwoHours], [], DAY, DAY.from, TZ);
    expect(rounds.map((r) => r.start)).toEqual(
      ['08:00', '10:00', '12:00', '14:00', '16:00'].map((t) => at(t)),
    );
    expect(rounds.at(-1)?.end).toBe(at('17:00'));
    expect(rounds.at(-1)?.points.map((p) => p.station)).toEqual(['garden', 'garage']);
    expect(rounds[0]?.points.map((p) => p.station)).toEqual(['garden', 'garage', 'pond']);
  });

  it('runs night rounds across midnight under the date the night started', () => {
    const night: PatrolRoute = {
      ...LOOP,
      shifts: ['night'],
      everyMinutes: 240,
      points: [{ station: 'gate', atMinutes: 0 }],
    };
    const rounds = patrolRounds(
      [night],
      [],
      { from: at('00:00'), to: at('00:00', '2024-05-02') },
      at('12:00'),
      TZ,
    );
    expect(rounds.map((r) => [r.shiftDate, r.start])).toEqual([
      ['2024-04-30', at('00:00')], // the night of 30 April, after midnight
      ['2024-04-30', at('04:00')],
      ['2024-05-01', at('20:00')],
    ]);
  });

  it('lists the shifts that overlap a window and finds the next round’s end', () => {
    const slots = shiftsOverlapping({ from: at('16:00'), to: at('20:00') + 1 }, TZ);
    expect(slots.map((s) => `${s.date} ${s.shift}`)).toEqual([
      '2024-05-01 day',
      '2024-05-01 evening',
      '2024-05-01 night',
    ]);
    expect(nextRoundEnd([LOOP], at('08:00'), TZ)).toBe(at('09:00'));
    expect(nextRoundEnd([LOOP], at('09:00'), TZ)).toBe(at('10:00'));
    // After the day shift the next round is tomorrow's first.
    expect(nextRoundEnd([LOOP], at('16:59'), TZ)).toBe(at('17:00'));
    expect(nextRoundEnd([LOOP], at('17:00'), TZ)).toBe(at('09:00', '2024-05-02'));
    expect(nextRoundEnd([], at('08:00'), TZ)).toBeUndefined();
  });
});
