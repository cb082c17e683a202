import type { Clock } from '../../drivers/shared/clock.js';
import type { Db } from '../db.js';
import type { JournalEntry } from '../journal/events.js';
import type { Logger } from '../logging.js';
import type { Site } from '../site.js';
import {
  MAX_ROUND_MS,
  nextRoundEnd,
  type PatrolRound,
  type PatrolTap,
  patrolRounds,
  patrolTap,
  shiftsOverlapping,
} from './rounds.js';
import type { PatrolTapListener } from './station-desk.js';

/** After a longer outage only this much is caught up: older rounds are in the report, not alarmed. */
export const MAX_CATCH_UP_MS = 24 * 3600_000;

type PatrolAlarmCode = 'PATROL_MISSED' | 'PATROL_LATE';

export interface PatrolWatchOptions {
  site: Site;
  /**
   * Timers, and `now()`: the site's clock (`site.now`), the one journal times come from, so that
   * a tap journaled a moment ago is never in the watch's future.
   */
  clock: Clock;
  log: Logger;
  /** Where patrol taps are heard at once (the lane port's station desk): late taps alarm at the tap. */
  taps?: { onPatrol(listener: PatrolTapListener): () => void };
}

/**
 * Raises the patrol alarms of the configured routes (rounds.ts says what on time, late and missed
 * mean): PATROL_LATE (warning) when a late tap is journaled, at the tap's time; PATROL_MISSED
 * (critical) for each point not tapped by its round's end, at that end. Alarm detail: `route`,
 * `station`, `roundStart`, `expected` (epoch ms), ids only.
 *
 * Everything is judged from the journal, so a restart loses nothing: the watch keeps the instant
 * up to which it has judged (table `patrol_watch`) and on start catches up the rounds that ended
 * since (at most MAX_CATCH_UP_MS back). An alarm already in the journal for the same code, route,
 * station, round and expected time is never raised again. On its first start, rounds that
 * ended before are left alone (the routes may be new).
 *
 * Lifecycle (style H5): the constructor only stores; `start()` catches up and sets the timer for
 * the next round's end; `stop()` clears it. A failing check is logged and tried again at the
 * next round's end or tap.
 */
export class PatrolWatch {
  private readonly routes: GatewardenRoutes;
  private timer: unknown;
  private removeTapListener: (() => void) | undefined;
  private running = false;
  private marker: WatchMarker | undefined;

  constructor(private readonly options: PatrolWatchOptions) {
    this.routes = options.site.config.patrol.routes;
  }

  start(): void {
    if (this.running || this.routes.length === 0) return;
    this.running = true;
    this.marker = new WatchMarker(this.options.site.db);
    this.removeTapListener = this.options.taps?.onPatrol(() => this.guardedCheck());
    this.guardedCheck();
  }

  stop(): void {
    this.running = false;
    this.removeTapListener?.();
    this.removeTapListener = undefined;
    this.clearTimer();
  }

  /**
   * Judges every round that ended (or got a late tap) since the last check, raises the alarms due
   * and not yet journaled, and sets the timer for the next round's end. Returns the alarms raised.
   */
  check(): JournalEntry<'alarm'>[] {
    if (!this.running || this.marker === undefined) return [];
    const { site, clock, log } = this.options;
    const now = clock.now();
    // A clock set back leaves the marker in the future: judge from now then.
    const checkedUntil = Math.min(this.marker.get() ?? now, now);
    const from = Math.max(checkedUntil, now - MAX_CATCH_UP_MS);
    if (checkedUntil < from)
      log.warn({ from, checkedUntil }, 'patrol rounds before the catch-up limit were not checked for alarms');
    const window = { from: from - MAX_ROUND_MS, to: now + 1 };
    const raised: JournalEntry<'alarm'>[] = [];
    const known = this.knownAlarms(window);
    const tz = site.config.site.timezone;
    // Rounds judge their taps against every round of their shift: read the shifts whole.
    const tapsFrom = Math.min(window.from, shiftsOverlapping(window, tz)[0]?.window.from ?? window.from);
    const taps = this.taps({ from: tapsFrom, to: window.to });
    for (const due of dueAlarms(patrolRounds(this.routes, taps, window, now, tz), from)) {
      const key = alarmKey(due.code, due.detail);
      if (known.has(key)) continue;
      known.add(key);
      const entry = site.record('alarm', due.at, {
        code: due.code,
        severity: due.code === 'PATROL_MISSED' ? 'critical' : 'warning',
        detail: due.detail,
      });
      log.warn(
        { seq: entry.seq, code: due.code, route: due.detail.route, station: due.detail.station },
        'alarm raised',
      );
      raised.push(entry);
    }
    this.marker.set(now);
    this.schedule(now);
    return raised;
  }

  private guardedCheck(): void {
    try {
      this.check();
    } catch (err) {
      this.options.log.error({ err }, 'patrol check failed; trying again at the next round end or tap');
      if (this.running && this.timer === undefined) this.schedule(this.options.clock.now());
    }
  }

  private schedule(now: number): void {
    this.clearTimer();
    if (!this.running) return;
    const next = nextRoundEnd(this.routes, now, this.options.site.config.site.timezone);
    if (next === undefined) return;
    this.timer = this.options.clock.setTimeout(() => {
      this.timer = undefined;
      this.guardedCheck();
    }, next - now);
  }

  private clearTimer(): void {
    if (this.timer !== undefined) this.options.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private taps(window: { from: number; to: number }): PatrolTap[] {
    const taps: PatrolTap[] = [];
    const range = { fromAt: window.from, toAt: window.to, types: ['patrol'] as const };
    // Held taps too (a journal outage): a guard who tapped is not reported missing.
    for (const entry of this.options.site.entriesIn(range)) taps.push(patrolTap(entry));
    return taps;
  }

  private knownAlarms(window: { from: number; to: number }): Set<string> {
    const keys = new Set<string>();
    const range = { fromAt: window.from, toAt: window.to, types: ['alarm'] as const };
    // Held alarms too: during a journal outage an alarm raised here is not in the journal yet.
    for (const entry of this.options.site.entriesIn(range)) {
      const { code, detail } = entry.payload;
      if ((code === 'PATROL_MISSED' || code === 'PATROL_LATE') && detail !== undefined)
        keys.add(alarmKey(code, detail));
    }
    return keys;
  }
}

type GatewardenRoutes = Site['config']['patrol']['routes'];

interface DueAlarm {
  code: PatrolAlarmCode;
  at: number;
  detail: { route: string; station: string; roundStart: number; expected: number };
}

/** Alarms the rounds call for from `from` on: late taps at or after it, rounds ended at or after it. */
export function dueAlarms(rounds: readonly PatrolRound[], from: number): DueAlarm[] {
  const due: DueAlarm[] = [];
  for (const round of rounds) {
    for (const point of round.points) {
      const detail = {
        route: round.routeId,
        station: point.station,
        roundStart: round.start,
        expected: point.expected,
      };
      if (point.status === 'late' && point.tap !== undefined && point.tap.at >= from)
        due.push({ code: 'PATROL_LATE', at: point.tap.at, detail });
      else if (point.status === 'missed' && round.end >= from)
        due.push({ code: 'PATROL_MISSED', at: round.end, detail });
    }
  }
  return due.sort((a, b) => a.at - b.at);
}

function alarmKey(code: string, detail: Record<string, string | number>): string {
  return [code, detail.route, detail.station, detail.roundStart, detail.expected].join('|');
}

const MARKER_SCHEMA = `
  CREATE TABLE IF NOT EXISTS patrol_watch (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    checked_until INTEGER NOT NULL
  );
`;

/** The instant (epoch ms) up to which the watch has judged the rounds: one row. */
class WatchMarker {
  private readonly read: { get(): { checked_until: number } | undefined };
  private readonly write: { run(at: number): unknown };

  constructor(db: Db) {
    db.exec(MARKER_SCHEMA);
    this.read = db.prepare<[], { checked_until: number }>(
      'SELECT checked_until FROM patrol_watch WHERE id = 1',
    );
    this.write = db.prepare<[number]>(
      'INSERT INTO patrol_watch (id, checked_until) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET checked_until = excluded.checked_until',
    );
  }

  get(): number | undefined {
    return this.read.get()?.checked_until;
  }

  set(at: number): void {
    this.write.run(Math.floor(at));
  }
}
