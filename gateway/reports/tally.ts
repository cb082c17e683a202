import type { JournalEventMap } from '../journal/events.js';
import type { AnyJournalEntry, AtRange } from '../journal/journal.js';
import { DENY_CODES, type DenyCode, type GrantCode } from '../rules/reasons.js';
import type { Decision, TemperatureReading } from '../rules/types.js';
import type { TimeWindow } from '../util/site-time.js';
import type { LaneCounts, ReportCounts } from './types.js';

/** What reports need from the journal; `Journal` implements it. */
export interface JournalRangeReader {
  iterateRange(range: AtRange): Iterable<AnyJournalEntry>;
}

/** Operator actions the reports count (the `action` of `operator` entries). */
export const OVERRIDE_ACTION = 'override';
export const VISITOR_REGISTER_ACTION = 'visitor.register';

const VISITOR_GRANTS: ReadonlySet<GrantCode> = new Set(['VISITOR_ESCORTED', 'VISITOR_REGISTERED']);

/** Counts every entry whose time falls in `window`, streaming (the journal is never loaded whole). */
export function tallyWindow(
  journal: JournalRangeReader,
  window: TimeWindow,
  feverThresholdC: number,
): ReportCounts {
  const tally = new Tally(feverThresholdC);
  for (const entry of journal.iterateRange({ fromAt: window.from, toAt: window.to })) tally.add(entry);
  return tally.result();
}

/**
 * True when nothing happened that a report counts: no pass, refusal, fever, re-measure, override,
 * fire, visitor, mode switch or alarm. Readings below the threshold do not count.
 */
export function isZeroCounts(c: ReportCounts): boolean {
  const numbers = [
    c.passes,
    c.refusals,
    c.buildingEntrances.passes,
    c.buildingEntrances.refusals,
    c.fevers.refused,
    c.fevers.passedWithAlarm,
    c.fevers.readingsAtOrAbove,
    c.fevers.remeasure.required,
    c.fevers.remeasure.taken,
    c.overrides.grants,
    c.overrides.operatorActions,
    c.fireReleases.grants,
    c.fireReleases.activations,
    c.visitors.passes,
    c.visitors.registrations,
    c.modeSwitches.length,
    c.alarms.raised,
    c.alarms.acknowledged,
  ];
  return numbers.every((n) => n === 0);
}

export function zeroReasonCounts(): Record<DenyCode, number> {
  return Object.fromEntries(DENY_CODES.map((code) => [code, 0])) as Record<DenyCode, number>;
}

class Tally {
  private readonly counts: ReportCounts;
  private readonly lanes = new Map<string, LaneCounts>();
  private readonly alarmCodes = new Map<string, number>();
  private readonly operators = new Set<string>();

  constructor(feverThresholdC: number) {
    this.counts = {
      entries: 0,
      passes: 0,
      refusals: 0,
      buildingEntrances: { passes: 0, refusals: 0 },
      lanes: [],
      refusalsByReason: zeroReasonCounts(),
      fevers: {
        thresholdC: feverThresholdC,
        refused: 0,
        passedWithAlarm: 0,
        readingsAtOrAbove: 0,
        highestC: null,
        readingsUsed: 0,
        remeasure: { required: 0, taken: 0, confirmed: 0, cleared: 0 },
      },
      overrides: { grants: 0, operatorActions: 0 },
      fireReleases: { grants: 0, activations: 0 },
      visitors: { passes: 0, registrations: 0 },
      modeSwitches: [],
      alarms: { raised: 0, acknowledged: 0, byCode: {} },
      operatorsOnDuty: [],
    };
  }

  add(entry: AnyJournalEntry): void {
    const c = this.counts;
    c.entries += 1;
    switch (entry.type) {
      case 'decision':
        this.addDecision(entry.payload);
        break;
      case 'reading':
        this.addReading(entry.payload.reading);
        break;
      case 'operator':
        this.addOperatorAction(entry.payload);
        break;
      case 'mode':
        c.modeSwitches.push({ at: entry.at, from: entry.payload.from, to: entry.payload.to });
        break;
      case 'fire':
        if (entry.payload.active) c.fireReleases.activations += 1;
        break;
      case 'alarm':
        c.alarms.raised += 1;
        this.alarmCodes.set(entry.payload.code, (this.alarmCodes.get(entry.payload.code) ?? 0) + 1);
        break;
      case 'alarm_ack':
        c.alarms.acknowledged += 1;
        this.operators.add(entry.payload.operator);
        break;
      default:
        // device, passage and any later type: counted in `entries` only.
        break;
    }
  }

  private addDecision({ request, decision }: JournalEventMap['decision']): void {
    const c = this.counts;
    const lane = this.lane(request.laneId, decision);
    if (decision.entrance !== undefined) {
      // No passage of the community: its lane and the building entrances' count only.
      if (decision.allow) lane.passes += 1;
      else lane.refusals += 1;
      c.buildingEntrances[decision.allow ? 'passes' : 'refusals'] += 1;
      return;
    }
    const codes = new Set(decision.reasons.map((r) => `${r.effect}:${r.code}`));
    if (decision.allow) {
      c.passes += 1;
      lane.passes += 1;
      if (codes.has('grant:EMERGENCY_OVERRIDE')) c.overrides.grants += 1;
      if (codes.has('grant:FIRE_RELEASE')) c.fireReleases.grants += 1;
      if (decision.reasons.some((r) => r.effect === 'grant' && VISITOR_GRANTS.has(r.code)))
        c.visitors.passes += 1;
      if (codes.has('notice:FEVER')) c.fevers.passedWithAlarm += 1;
    } else {
      c.refusals += 1;
      lane.refusals += 1;
      // Each deny code once per refusal: `delete` is true only the first time a code is seen.
      for (const reason of decision.reasons) {
        if (reason.effect === 'deny' && codes.delete(`deny:${reason.code}`))
          c.refusalsByReason[reason.code] += 1;
      }
      if (decision.reasons.some((r) => r.effect === 'deny' && r.code === 'FEVER')) c.fevers.refused += 1;
    }
    if (request.override !== undefined) this.operators.add(request.override.operator);
  }

  /** See `ReportCounts.fevers`: a `waiting` reading is not counted, a re-measure not twice. */
  private addReading({ celsius, remeasure }: TemperatureReading): void {
    const f = this.counts.fevers;
    if (remeasure === 'waiting') return;
    const high = celsius >= f.thresholdC;
    f.readingsUsed += 1;
    f.highestC = Math.max(f.highestC ?? celsius, celsius);
    if (remeasure === 'taken') {
      f.remeasure.taken += 1;
      if (high) f.remeasure.confirmed += 1;
      else f.remeasure.cleared += 1;
      return;
    }
    if (remeasure === 'required') f.remeasure.required += 1;
    if (high) f.readingsAtOrAbove += 1;
  }

  private addOperatorAction({ action, operator }: JournalEventMap['operator']): void {
    this.operators.add(operator);
    if (action === OVERRIDE_ACTION || action.startsWith(`${OVERRIDE_ACTION}.`))
      this.counts.overrides.operatorActions += 1;
    if (action === VISITOR_REGISTER_ACTION) this.counts.visitors.registrations += 1;
  }

  private lane(laneId: string, decision: Decision): LaneCounts {
    const key = `${laneId}\u0000${decision.direction}`;
    let lane = this.lanes.get(key);
    if (lane === undefined) {
      const building = decision.entrance?.building ?? null;
      lane = { laneId, direction: decision.direction, building, passes: 0, refusals: 0 };
      this.lanes.set(key, lane);
    }
    return lane;
  }

  result(): ReportCounts {
    const c = this.counts;
    c.lanes = [...this.lanes.values()].sort(
      (a, b) => compare(a.laneId, b.laneId) || compare(a.direction, b.direction),
    );
    c.modeSwitches.sort((a, b) => a.at - b.at);
    c.alarms.byCode = Object.fromEntries([...this.alarmCodes].sort(([a], [b]) => compare(a, b)));
    c.operatorsOnDuty = [...this.operators].sort(compare);
    return c;
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
