import type { SiteMode } from '../../gateway/domain/model.js';
import type { Community, SimPerson } from '../site/community.js';
import { LANES } from '../site/site-plan.js';
import type { ActionKind, Expectation, PlannedAction } from './plan.js';

/**
 * What the pass rules remember, kept by the plan while it writes the days (plan.ts): whose last
 * pass at the perimeter was in or out, and when each household went out. From it each pass's
 * expectation follows by construction, rule by rule as RULES.md states them for the cases the
 * plan uses (residents, staff and couriers on foot; vehicles with and without permits).
 *
 * A building entrance changes nothing here: passing it is neither entering nor leaving the
 * community (gateway/rules/building-rules.ts).
 */

/** The rules' default household quota: one exit per 48 h (RULES.md, plan 6 §3.4). */
export const QUOTA_PERIOD_HOURS = 48;
const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;
const QUOTA_PERIOD_MS = QUOTA_PERIOD_HOURS * 60 * MINUTE_MS;
/** Kept off every quota boundary (the period is rounded to whole milliseconds of the gateway's clock). */
const BOUNDARY_MARGIN_MS = MINUTE_MS;

export const allow = (...codes: string[]): Expectation => ({ allow: true, codes });
export const deny = (...codes: string[]): Expectation => ({ allow: false, codes: [...codes].sort() });

interface BuildingGate {
  building: string;
  lanes: readonly { id: string }[];
}

interface Exit {
  at: number;
  action: PlannedAction;
}

export class Model {
  private readonly actions: PlannedAction[] = [];
  private clock = 0;
  private readonly last = new Map<string, 'in' | 'out'>();
  private readonly exits = new Map<string, Exit[]>();

  constructor(
    private readonly community: Community,
    /** Lanes of primary gates: elsewhere on the perimeter closed mode answers GATE_CLOSED. */
    private readonly primaryLanes: readonly string[],
    /** Lanes with a thermal camera: the site actions take a temperature there before the credential. */
    private readonly thermalLanes: readonly string[],
    private readonly buildingGate: BuildingGate,
  ) {}

  hasPassed(id: string): boolean {
    return this.last.has(id);
  }

  gap(minutes: number): void {
    this.clock += minutes * MINUTE_MS;
  }

  /** On to `HH:MM` of day `dayNumber` (1-based, day 1 from 06:00); never back, if the plan ran late. */
  moveTo(dayNumber: number, time: string): void {
    const [hh, mm] = time.split(':').map(Number);
    const target = (dayNumber - 1) * DAY_MS + ((hh ?? 0) * 60 + (mm ?? 0) - 6 * 60) * MINUTE_MS;
    this.clock = Math.max(this.clock, target);
  }

  /** An action with an expectation the plan states itself; returns it. */
  at(
    afterMinutes: number,
    kind: ActionKind,
    lane: string,
    who: string,
    story: string,
    expect: Expectation,
  ): PlannedAction {
    this.clock += Math.round(afterMinutes * MINUTE_MS);
    const action: PlannedAction = { at: this.clock, kind, lane, who, story, expect };
    this.actions.push(action);
    return action;
  }

  /** A resident, staff member or courier on foot at a lane, in closed mode unless `mode` says otherwise. */
  pass(kind: ActionKind, lane: string, p: SimPerson, story: string, mode: SiteMode = 'closed'): void {
    const direction = lane.endsWith('-out') ? 'out' : 'in';
    const perimeter = !this.buildingGate.lanes.some((l) => l.id === lane);
    const closed = mode !== 'open';
    const at = this.clock + 3 * MINUTE_MS;
    const codes: string[] = [];
    let quotaExit: Exit | undefined;
    if (closed && perimeter && !this.primaryLanes.includes(lane)) codes.push('GATE_CLOSED');
    if (closed && perimeter && !this.thermalLanes.includes(lane)) codes.push('TEMPERATURE_REQUIRED');
    if (
      !perimeter &&
      direction === 'in' &&
      p.kind !== 'staff' &&
      this.buildingOf(p) !== this.buildingGate.building
    )
      codes.push('NOT_THIS_BUILDING');
    if (direction === 'out' && p.householdId === this.community.quarantinedHouseholdId)
      codes.push('QUARANTINED');
    if (closed && perimeter && direction === 'out' && p.kind === 'resident') {
      quotaExit = this.exitWithinPeriod(p.householdId, at);
      if (quotaExit !== undefined) codes.push('HOUSEHOLD_QUOTA_EXCEEDED');
      if (!p.designated) codes.push('NOT_DESIGNATED_MEMBER');
    }
    if (closed && direction === 'in' && p.kind === 'courier') codes.push('DELIVERY_NOT_ALLOWED');
    if (perimeter && direction === 'in' && this.last.get(p.id) === 'in') codes.push('ANTI_PASSBACK');
    if (codes.length === 0 && p.kind !== 'resident' && p.kind !== 'staff')
      throw new RangeError(`the model has no grant for a ${p.kind} (${p.id})`);
    const expect = codes.length > 0 ? deny(...codes) : allow(p.kind === 'staff' ? 'STAFF' : 'RESIDENT');
    const action = this.at(3, kind, lane, p.id, story, expect);
    if (mode !== 'closed') action.mode = mode;
    // Refused by the quota only while that exit is less than a period back.
    if (quotaExit !== undefined) action.slackMs = quotaExit.at + QUOTA_PERIOD_MS - at - BOUNDARY_MARGIN_MS;
    if (!expect.allow || !perimeter) return;
    this.last.set(p.id, direction);
    if (direction === 'out' && p.kind === 'resident' && p.householdId !== undefined)
      this.exits.set(p.householdId, [...(this.exits.get(p.householdId) ?? []), { at, action }]);
  }

  vehicle(direction: 'in' | 'out', id: string, story: string, permitted = true): void {
    const lane = direction === 'in' ? LANES.northVehicleIn : LANES.northVehicleOut;
    const expect = !permitted
      ? deny('VEHICLE_NO_PERMIT')
      : direction === 'in' && this.last.get(id) === 'in'
        ? deny('ANTI_PASSBACK')
        : allow('VEHICLE_PERMIT');
    this.at(4, 'plate', lane, id, story, expect);
    if (expect.allow) this.last.set(id, direction);
  }

  /**
   * The actions, with the slack of each allowed exit that a later allowed exit of the household
   * needs to be a full period away from (decided later, it would move the period on).
   */
  finish(): PlannedAction[] {
    for (const exits of this.exits.values())
      exits.forEach((exit, i) => {
        const next = exits[i + 1];
        if (next === undefined) return;
        const slack = next.at - exit.at - QUOTA_PERIOD_MS - BOUNDARY_MARGIN_MS;
        if (slack < 0) throw new Error(`two allowed exits of one household within ${QUOTA_PERIOD_HOURS} h`);
        exit.action.slackMs = Math.min(exit.action.slackMs ?? slack, slack);
      });
    return this.actions;
  }

  private exitWithinPeriod(householdId: string | undefined, at: number): Exit | undefined {
    const exits = this.exits.get(householdId ?? '') ?? [];
    return exits.filter((e) => at - e.at < QUOTA_PERIOD_MS).at(-1);
  }

  private buildingOf(p: SimPerson): string | undefined {
    return (this.community.document.households ?? []).find((h) => h.id === p.householdId)?.building;
  }
}
