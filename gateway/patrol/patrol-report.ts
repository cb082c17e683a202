import type { ShiftId } from '../domain/model.js';
import type { JournalEntry } from '../journal/events.js';
import type { JournalRangeReader } from '../reports/tally.js';
import type { PatrolReport, PatrolRouteReport } from '../reports/types.js';
import type { TimeWindow } from '../util/site-time.js';
import { type PatrolRound, type PatrolRoute, type PatrolTap, patrolRounds, patrolTap } from './rounds.js';

export interface PatrolReportOptions {
  routes: readonly (PatrolRoute & { name: { zh: string; en: string } })[];
  shift: ShiftId;
  /** The shift's window. */
  window: TimeWindow;
  /** Statuses as of this instant, at most the shift's end. */
  asOf: number;
  tz: string;
}

/**
 * The patrol section of the shift report, from the journal's `patrol` entries in the shift:
 * the same rounds the patrol watch judges (rounds.ts), so a report made after a restart, or on
 * another machine from a copy of the database, says what the watch said.
 */
export function patrolReport(journal: JournalRangeReader, options: PatrolReportOptions): PatrolReport {
  const asOf = Math.min(options.asOf, options.window.to);
  const taps: PatrolTap[] = [];
  const range = { fromAt: options.window.from, toAt: options.window.to, types: ['patrol'] as const };
  for (const entry of journal.iterateRange(range)) {
    if (entry.type === 'patrol' && entry.at <= asOf) taps.push(patrolTap(entry as JournalEntry<'patrol'>));
  }
  const routes = options.routes.filter((r) => r.shifts.includes(options.shift));
  const rounds = patrolRounds(routes, taps, options.window, asOf, options.tz);
  const accepted = taps.filter((t) => t.accepted && t.guardId !== undefined);
  return {
    asOf,
    taps: taps.length,
    refusedTaps: taps.length - accepted.length,
    guards: [...new Set(accepted.map((t) => t.guardId as string))].sort(),
    routes: routes.map((route) =>
      routeReport(
        route,
        rounds.filter((r) => r.routeId === route.id),
      ),
    ),
  };
}

function routeReport(
  route: { id: string; name: { zh: string; en: string } },
  rounds: readonly PatrolRound[],
): PatrolRouteReport {
  const report: PatrolRouteReport = {
    routeId: route.id,
    name: { zh: route.name.zh, en: route.name.en },
    rounds: [],
    roundsDone: 0,
    pointsOnTime: 0,
    pointsLate: 0,
    pointsMissed: 0,
    pointsPending: 0,
    late: [],
    missed: [],
  };
  for (const round of rounds) {
    const count = (status: string) => round.points.filter((p) => p.status === status).length;
    const [onTime, late, missed, pending] = [
      count('on_time'),
      count('late'),
      count('missed'),
      count('pending'),
    ];
    const status = onTime + late === round.points.length ? 'done' : missed > 0 ? 'incomplete' : 'pending';
    report.rounds.push({ start: round.start, end: round.end, status, onTime, late, missed });
    if (status === 'done') report.roundsDone++;
    report.pointsOnTime += onTime;
    report.pointsLate += late;
    report.pointsMissed += missed;
    report.pointsPending += pending;
    for (const point of round.points) {
      const record = { roundStart: round.start, stationId: point.station, expected: point.expected };
      if (point.status === 'late') report.late.push({ ...record, tappedAt: point.tap?.at ?? null });
      if (point.status === 'missed') report.missed.push({ ...record, tappedAt: null });
    }
  }
  return report;
}
