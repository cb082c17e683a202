/**
 * Today's pass counts for `counters/daily`: granted and refused at the community's gates, at
 * building entrances apart, per lane and by first deny reason, for the site-local calendar day
 * (midnight to midnight in the site's time zone).
 * Rebuilt on start from the day's decisions, so a restart does not reset them.
 */
import type { JournalEntry } from '../journal/events.js';
import type { DenyCode } from '../rules/reasons.js';
import { dayWindow, localDate } from '../util/site-time.js';
import type { DailyCountersMessage } from './local-topics.js';

export class DailyCounters {
  private day = '';
  private since = 0;
  private until = 0;
  private granted = 0;
  private refused = 0;
  private building = { granted: 0, refused: 0 };
  private throughSeq = 0;
  private lanes = new Map<string, { granted: number; refused: number }>();
  private reasons = new Map<DenyCode, number>();

  /** `laneIds`: the configured lanes, listed (at zero) even before their first pass. */
  constructor(
    private readonly timezone: string,
    private readonly laneIds: readonly string[],
    now: number,
  ) {
    this.reset(now);
  }

  /** The day's window: [from, to). */
  window(): { from: number; to: number } {
    return { from: this.since, to: this.until };
  }

  /** When the day ends and the counts go back to zero. */
  get nextRollAt(): number {
    return this.until;
  }

  /** Starts the day of `at` if it is past the current one; true when it did. */
  rollTo(at: number): boolean {
    if (at < this.until) return false;
    this.reset(at);
    return true;
  }

  /** Counts a decision of the current day (a later day starts that day first); true when counted. */
  add(entry: JournalEntry<'decision'>): boolean {
    const { decision, request } = entry.payload;
    this.rollTo(entry.at);
    if (entry.at < this.since) return false;
    const lane = this.lane(request.laneId);
    if (decision.entrance !== undefined) {
      // No passage of the community (a resident already inside going home): its lane only.
      const outcome = decision.allow ? 'granted' : 'refused';
      lane[outcome]++;
      this.building[outcome]++;
    } else if (decision.allow) {
      this.granted++;
      lane.granted++;
    } else {
      this.refused++;
      lane.refused++;
      const first = decision.reasons.find((r) => r.effect === 'deny');
      if (first !== undefined) this.reasons.set(first.code, (this.reasons.get(first.code) ?? 0) + 1);
    }
    this.throughSeq = Math.max(this.throughSeq, entry.seq);
    return true;
  }

  message(at: number): DailyCountersMessage {
    return {
      day: this.day,
      since: this.since,
      at,
      granted: this.granted,
      refused: this.refused,
      buildingEntrances: { ...this.building },
      lanes: Object.fromEntries([...this.lanes].map(([id, c]) => [id, { ...c }])),
      reasons: Object.fromEntries(this.reasons),
      throughSeq: this.throughSeq,
    };
  }

  private lane(id: string): { granted: number; refused: number } {
    let lane = this.lanes.get(id);
    if (lane === undefined) {
      lane = { granted: 0, refused: 0 };
      this.lanes.set(id, lane);
    }
    return lane;
  }

  private reset(at: number): void {
    this.day = localDate(at, this.timezone);
    const { from, to } = dayWindow(this.day, this.timezone);
    this.since = from;
    this.until = to;
    this.granted = 0;
    this.refused = 0;
    this.building = { granted: 0, refused: 0 };
    this.throughSeq = 0;
    this.lanes = new Map(this.laneIds.map((id) => [id, { granted: 0, refused: 0 }]));
    this.reasons = new Map();
  }
}
