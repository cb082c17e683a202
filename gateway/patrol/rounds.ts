import type { ShiftId } from '../domain/model.js';
import type { JournalEntry } from '../journal/events.js';
import {
  addDays,
  type LocalDate,
  shiftAt,
  shiftDate,
  shiftWindow,
  type TimeWindow,
} from '../util/site-time.js';

/**
 * Patrol rounds as a pure function of the routes, the patrol taps and the time: no I/O, no clock
 * (time comes in as `now`). The watch that raises alarms and the shift report both read rounds
 * through here, so they always agree.
 *
 * A route's rounds start every `everyMinutes` from the start of each listed shift and end when
 * the next one starts or the shift ends, whichever is first. A point of a round is expected at
 * `start + atMinutes`; a point whose on-time window would pass the round's end (the last round
 * of a shift cut short) is left out of that round. A point is:
 * - `on_time`: a tap at its station in [expected − tolerance, expected + tolerance] (never
 *   before the round's start);
 * - `late`: no on-time tap, but one after expected + tolerance and before the round's end;
 * - `missed`: neither, and the round has ended (`now >= end`);
 * - `pending`: neither, and the round has not ended yet.
 *
 * Only taps accepted for a guard (`accepted` with a `guardId`) at or before `now` count, and each
 * counts for at most one point of one round: on-time taps are given out first (every point, in
 * order of its window's opening, takes the earliest free on-time tap), then late ones. Because
 * taps only arrive later as the clock moves on, a point that has a tap keeps it, and a point that
 * is missed stays missed. Rounds never cross a shift boundary, so a shift is judged on its own.
 */

export type PointStatus = 'on_time' | 'late' | 'missed' | 'pending';

/** What rounds need of a route (config/stations-schema.ts `PatrolRouteConfig` fits). */
export interface PatrolRoute {
  id: string;
  shifts: readonly ShiftId[];
  everyMinutes: number;
  toleranceMinutes: number;
  points: readonly { station: string; atMinutes: number }[];
}

/** A `patrol` journal entry as rounds read it. */
export interface PatrolTap {
  seq: number;
  at: number;
  stationId: string;
  guardId?: string;
  accepted: boolean;
}

/** A journal entry's tap. */
export function patrolTap(entry: JournalEntry<'patrol'>): PatrolTap {
  const { stationId, guardId, accepted } = entry.payload;
  return { seq: entry.seq, at: entry.at, stationId, accepted, ...(guardId === undefined ? {} : { guardId }) };
}

export interface RoundPoint {
  /** Index of the point in the route's `points`. */
  index: number;
  station: string;
  /** Epoch ms. */
  expected: number;
  /** Earliest tap that counts on time: expected − tolerance, not before the round's start. */
  opensAt: number;
  /** Latest tap that counts on time (inclusive): expected + tolerance. */
  onTimeUntil: number;
  status: PointStatus;
  /** The tap that counted for this point: on time or late. */
  tap?: { seq: number; at: number; guardId: string };
}

export interface PatrolRound {
  routeId: string;
  shift: ShiftId;
  /** The shift date (a night shift's date is the evening it starts). */
  shiftDate: LocalDate;
  /** Epoch ms, half-open [start, end). */
  start: number;
  end: number;
  points: RoundPoint[];
}

const MINUTE_MS = 60_000;
const NEXT_SHIFT: Readonly<Record<ShiftId, ShiftId>> = { day: 'evening', evening: 'night', night: 'day' };

export interface ShiftSlot {
  shift: ShiftId;
  date: LocalDate;
  window: TimeWindow;
}

/** The duty shifts that overlap [window.from, window.to), in time order. */
export function shiftsOverlapping(window: TimeWindow, tz: string): ShiftSlot[] {
  const slots: ShiftSlot[] = [];
  let shift = shiftAt(window.from, tz);
  let date = shiftDate(window.from, tz);
  for (;;) {
    const w = shiftWindow(date, shift, tz);
    if (w.from >= window.to) return slots;
    slots.push({ shift, date, window: w });
    if (shift === 'night') date = addDays(date, 1);
    shift = NEXT_SHIFT[shift];
  }
}

/** The rounds of one route in one shift, every point still `pending` and without a tap. */
export function roundsInShift(route: PatrolRoute, slot: ShiftSlot): PatrolRound[] {
  if (!route.shifts.includes(slot.shift)) return [];
  const rounds: PatrolRound[] = [];
  const every = route.everyMinutes * MINUTE_MS;
  const tolerance = route.toleranceMinutes * MINUTE_MS;
  for (let start = slot.window.from; start < slot.window.to; start += every) {
    const end = Math.min(start + every, slot.window.to);
    const points: RoundPoint[] = [];
    route.points.forEach((p, index) => {
      const expected = start + p.atMinutes * MINUTE_MS;
      if (expected + tolerance > end) return;
      points.push({
        index,
        station: p.station,
        expected,
        opensAt: Math.max(start, expected - tolerance),
        onTimeUntil: expected + tolerance,
        status: 'pending',
      });
    });
    if (points.length > 0)
      rounds.push({ routeId: route.id, shift: slot.shift, shiftDate: slot.date, start, end, points });
  }
  return rounds;
}

/**
 * Every round of every route that starts in [window.from, window.to), with each point's status
 * as of `now`. `taps` must hold every tap of the duty shifts the window overlaps (rounds of one
 * shift compete for its taps), and may hold others (other times, refused ones, in any order):
 * only accepted taps at or before `now` are used. Rounds come in order of start, then of the
 * routes as given.
 */
export function patrolRounds(
  routes: readonly PatrolRoute[],
  taps: readonly PatrolTap[],
  window: TimeWindow,
  now: number,
  tz: string,
): PatrolRound[] {
  const result: PatrolRound[] = [];
  if (routes.length === 0 || window.to <= window.from) return result;
  for (const slot of shiftsOverlapping(window, tz)) {
    const rounds = routes.flatMap((route) => roundsInShift(route, slot));
    if (rounds.length === 0) continue;
    const usable = taps.filter(
      (t) =>
        t.accepted &&
        t.guardId !== undefined &&
        t.at <= now &&
        t.at >= slot.window.from &&
        t.at < slot.window.to,
    );
    assignTaps(rounds, usable, now);
    for (const round of rounds) if (round.start >= window.from && round.start < window.to) result.push(round);
  }
  return result.sort((a, b) => a.start - b.start);
}

interface Candidate {
  round: PatrolRound;
  point: RoundPoint;
}

/** Gives out taps to points (see the header) and sets every point's status. */
function assignTaps(rounds: readonly PatrolRound[], taps: readonly PatrolTap[], now: number): void {
  const byStation = new Map<string, PatrolTap[]>();
  for (const tap of taps) {
    const list = byStation.get(tap.stationId) ?? [];
    list.push(tap);
    byStation.set(tap.stationId, list);
  }
  for (const list of byStation.values()) list.sort((a, b) => a.at - b.at || a.seq - b.seq);
  const used = new Set<PatrolTap>();
  /** The earliest free tap at `station` for which `fits` holds; taps past `before` end the search. */
  const take = (station: string, fits: (at: number) => boolean, before: number) => {
    for (const tap of byStation.get(station) ?? []) {
      if (tap.at >= before) return undefined;
      if (used.has(tap) || !fits(tap.at)) continue;
      used.add(tap);
      return tap;
    }
    return undefined;
  };
  const candidates: Candidate[] = rounds.flatMap((round) => round.points.map((point) => ({ round, point })));
  // A stable sort keeps the routes' order, then the points' order, among equal opening times.
  candidates.sort((a, b) => a.point.opensAt - b.point.opensAt);
  for (const { round, point } of candidates) {
    const tap = take(point.station, (at) => at >= point.opensAt && at <= point.onTimeUntil, round.end);
    if (tap !== undefined) setTap(point, 'on_time', tap);
  }
  candidates.sort((a, b) => a.point.onTimeUntil - b.point.onTimeUntil);
  for (const { round, point } of candidates) {
    if (point.tap !== undefined) continue;
    const tap = take(point.station, (at) => at > point.onTimeUntil, round.end);
    if (tap !== undefined) setTap(point, 'late', tap);
    else point.status = now >= round.end ? 'missed' : 'pending';
  }
}

function setTap(point: RoundPoint, status: 'on_time' | 'late', tap: PatrolTap): void {
  point.status = status;
  point.tap = { seq: tap.seq, at: tap.at, guardId: tap.guardId as string };
}

/**
 * The end of the first round of any route that ends after `after`, within the next two days;
 * undefined when no route has a round then (no routes, or none for any shift).
 */
export function nextRoundEnd(routes: readonly PatrolRoute[], after: number, tz: string): number | undefined {
  if (routes.length === 0) return undefined;
  for (const slot of shiftsOverlapping({ from: after, to: after + 2 * 86_400_000 }, tz)) {
    let best: number | undefined;
    for (const route of routes) {
      for (const round of roundsInShift(route, slot)) {
        if (round.end > after && (best === undefined || round.end < best)) best = round.end;
      }
    }
    // Shifts come in time order and rounds stay inside their shift: the first one found is the next.
    if (best !== undefined) return best;
  }
  return undefined;
}

/** The longest a round can last: no route's round is longer than the longest shift. */
export const MAX_ROUND_MS = 13 * 3600_000;
