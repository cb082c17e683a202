import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { SHIFT_IDS } from '../../gateway/domain/model.js';
import {
  type PatrolRound,
  type PatrolRoute,
  type PatrolTap,
  patrolRounds,
} from '../../gateway/patrol/rounds.js';
import { dayWindow } from '../../gateway/util/site-time.js';

/**
 * Random routes (every 10–180 minutes, tolerance 0–15, up to four points over three stations, a
 * station possibly twice) and random taps (guards' and refused ones) over eight hours of two site
 * days, judged at random times in them. Whatever they are:
 * - every tap counts for at most one point of one round;
 * - every point is exactly one of on time, late, missed or pending, and its tap (if any) fits
 *   the definition of its status;
 * - a missed point had no free tap it could have had;
 * - moving the clock forward never changes a point that is done (tapped or missed).
 * Two zones: Asia/Shanghai, and America/New_York on the day clocks spring forward.
 */

const STATIONS = ['garden', 'garage', 'pond'] as const;
const MIN = 60_000;
const FOCUS_MINUTES = 8 * 60;
const ZONES = [
  { tz: 'Asia/Shanghai', date: '2024-05-01' },
  { tz: 'America/New_York', date: '2024-03-10' },
] as const;

const routeArb = (id: string): fc.Arbitrary<PatrolRoute> =>
  fc
    .record({
      every: fc.integer({ min: 10, max: 180 }),
      tolerance: fc.integer({ min: 0, max: 15 }),
      shifts: fc.subarray([...SHIFT_IDS], { minLength: 1 }),
      points: fc.array(fc.record({ station: fc.constantFrom(...STATIONS), at: fc.nat() }), {
        minLength: 1,
        maxLength: 4,
      }),
    })
    .map(({ every, tolerance, shifts, points }) => {
      // Valid as the schema wants it: increasing minutes, the last on-time window inside the round.
      const tol = Math.min(tolerance, every - points.length);
      const span = every - tol - points.length;
      const minutes = [...new Set(points.map((p) => p.at % (span + 1)))].sort((a, b) => a - b);
      return {
        id,
        shifts,
        everyMinutes: every,
        toleranceMinutes: tol,
        points: minutes.map((atMinutes, i) => ({ station: points[i]?.station ?? 'garden', atMinutes })),
      };
    });

const scenarioArb = fc.record({
  zone: fc.constantFrom(...ZONES),
  routes: fc.tuple(routeArb('r1'), routeArb('r2')).chain(([a, b]) => fc.subarray([a, b], { minLength: 1 })),
  /** Taps and judging times fall in eight hours from here (minutes after the first day's midnight). */
  focus: fc.integer({ min: 0, max: 40 * 60 }),
  taps: fc.array(
    fc.record({
      minute: fc.integer({ min: 0, max: FOCUS_MINUTES }),
      ms: fc.integer({ min: 0, max: MIN - 1 }),
      station: fc.constantFrom(...STATIONS),
      guard: fc.constantFrom('g-1', 'g-2', null),
    }),
    { maxLength: 80 },
  ),
  nows: fc.array(fc.integer({ min: 0, max: FOCUS_MINUTES }), { minLength: 2, maxLength: 5 }),
});

type Scenario = typeof scenarioArb extends fc.Arbitrary<infer T> ? T : never;

function setUp(s: Scenario) {
  const from = dayWindow(s.zone.date, s.zone.tz).from;
  // From the day before: rounds of a night shift that began then compete for the focus's taps too.
  const window = { from: from - 86_400_000, to: from + 2 * 86_400_000 };
  const focus = from + s.focus * MIN;
  const taps: PatrolTap[] = s.taps.map((t, i) => ({
    seq: i + 1,
    at: focus + t.minute * MIN + t.ms,
    stationId: t.station,
    accepted: t.guard !== null,
    ...(t.guard === null ? {} : { guardId: t.guard }),
  }));
  const nows = [...s.nows].sort((a, b) => a - b).map((m) => focus + m * MIN);
  const judge = (now: number) => patrolRounds(s.routes, taps, window, now, s.zone.tz);
  return { window, taps, nows, judge };
}

const pointsOf = (rounds: readonly PatrolRound[]) =>
  rounds.flatMap((round) => round.points.map((point) => ({ round, point })));

describe('patrol rounds (property)', () => {
  test.prop([scenarioArb])('counts every tap for at most one point of one round', (s) => {
    const { nows, judge } = setUp(s);
    for (const now of nows) {
      const seqs = pointsOf(judge(now)).flatMap(({ point }) => (point.tap ? [point.tap.seq] : []));
      expect(new Set(seqs).size).toBe(seqs.length);
    }
  });

  test.prop([scenarioArb])('gives every point exactly the status its tap and the time say', (s) => {
    const { nows, judge, taps } = setUp(s);
    const bySeq = new Map(taps.map((t) => [t.seq, t]));
    for (const now of nows) {
      const problems: string[] = [];
      for (const { round, point } of pointsOf(judge(now))) {
        const t = point.tap === undefined ? undefined : bySeq.get(point.tap.seq);
        const at = t?.at ?? Number.NaN;
        const fits: Record<typeof point.status, boolean> = {
          on_time: t !== undefined && at >= point.opensAt && at <= point.onTimeUntil,
          late: t !== undefined && at > point.onTimeUntil && at < round.end,
          missed: t === undefined && now >= round.end,
          pending: t === undefined && now < round.end,
        };
        const tapOk =
          t === undefined ||
          (t.stationId === point.station && t.accepted && t.at === point.tap?.at && t.at <= now);
        const inRound = point.opensAt >= round.start && point.onTimeUntil <= round.end;
        if (!fits[point.status] || !tapOk || !inRound)
          problems.push(
            `${round.routeId}@${round.start}#${point.index} ${point.status} tap ${at} now ${now}`,
          );
      }
      expect(problems).toEqual([]);
    }
  });

  test.prop([scenarioArb])('leaves no usable tap unused beside a missed point', (s) => {
    const { nows, judge, taps } = setUp(s);
    for (const now of nows) {
      const points = pointsOf(judge(now));
      const used = new Set(points.flatMap(({ point }) => (point.tap ? [point.tap.seq] : [])));
      for (const { round, point } of points) {
        if (point.status !== 'missed') continue;
        const usable = taps.filter(
          (t) =>
            t.accepted &&
            t.stationId === point.station &&
            t.at >= point.opensAt &&
            t.at < round.end &&
            t.at <= now &&
            !used.has(t.seq),
        );
        expect(usable).toEqual([]);
      }
    }
  });

  test.prop([scenarioArb])(
    'never turns a done point back to pending, nor changes it, as the clock moves on',
    (s) => {
      const { nows, judge } = setUp(s);
      const key = (round: PatrolRound, index: number) => `${round.routeId}@${round.start}#${index}`;
      let before = new Map<string, { status: string; tap?: number }>();
      for (const now of nows) {
        const after = new Map(
          pointsOf(judge(now)).map(({ round, point }) => [
            key(round, point.index),
            { status: point.status, ...(point.tap ? { tap: point.tap.seq } : {}) },
          ]),
        );
        for (const [k, was] of before) {
          if (was.status === 'pending') continue;
          expect(after.get(k)).toEqual(was);
        }
        before = after;
      }
    },
  );

  test.prop([scenarioArb, fc.integer({ min: 0, max: FOCUS_MINUTES }), fc.integer({ min: 1, max: 13 * 60 })])(
    'judges a round the same whatever window asks for it',
    (s, offset, length) => {
      const { window, nows, taps } = setUp(s);
      const now = nows.at(-1) ?? window.from;
      const from = window.from + 86_400_000 + (s.focus + offset) * MIN;
      const part = patrolRounds(s.routes, taps, { from, to: from + length * MIN }, now, s.zone.tz);
      const whole = patrolRounds(
        s.routes,
        taps,
        { from: window.from, to: window.to + 86_400_000 },
        now,
        s.zone.tz,
      );
      expect(part).toEqual(whole.filter((r) => r.start >= from && r.start < from + length * MIN));
    },
  );
});
