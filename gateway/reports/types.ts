import type { Direction, ShiftId, SiteMode } from '../domain/model.js';
import type { DenyCode } from '../rules/reasons.js';
import type { LocalDate, TimeWindow } from '../util/site-time.js';

/**
 * The shapes of the shift handover report and the daily (zero) report. These are what goes
 * upstream as JSON (`renderJson`), so the shape is a contract: every field is always present
 * (zeros, empty arrays and `null` rather than missing keys), keys come in the order written
 * here, and a change that is not an addition bumps `version`.
 *
 * Nothing here identifies a resident or visitor: no names, no ID numbers, no subject ids.
 * Operators appear by their operator id, as the journal records them.
 */

export interface LaneCounts {
  laneId: string;
  direction: Direction;
  /** The building whose entrance the lane is (`Decision.entrance`); null: a gate of the community. */
  building: string | null;
  /** Decisions that allowed. */
  passes: number;
  /** Decisions that denied. */
  refusals: number;
}

export interface ModeSwitch {
  at: number;
  from: SiteMode;
  to: SiteMode;
}

export interface ReportCounts {
  /** Journal entries of any type whose time falls in the window. */
  entries: number;
  /**
   * Decisions that allowed, and that denied, at the community's gates. A decision at a building
   * entrance moves nobody into or out of the community (a resident coming home passes the gate
   * and then the building door): it counts in `buildingEntrances` and its lane, and in nothing
   * else below (reasons, fevers, overrides, fire releases, visitors).
   */
  passes: number;
  refusals: number;
  /** Decisions at building entrances (docs/buildings.md). */
  buildingEntrances: { passes: number; refusals: number };
  /** By lane then direction (`in` before `out`); only lanes with a decision; building entrances too. */
  lanes: LaneCounts[];
  /**
   * Denied decisions per deny reason, every code present (in catalogue order) even at zero.
   * A refusal with several reasons counts once under each, so the sum can exceed `refusals`.
   */
  refusalsByReason: Record<DenyCode, number>;
  /**
   * Fevers and the readings behind them. Readings carry the re-measure mark the checkpoint
   * journaled (`TemperatureReading.remeasure`, docs/rules.md "Re-measure before FEVER"); every
   * reading count below leaves out `waiting` readings (taken during the wait, never used).
   * Counted against `thresholdC`, the threshold the report is made with. A re-measure is counted
   * in the window it was taken in, so at a window's edge `remeasure.taken` may exceed
   * `remeasure.required`; otherwise `required - taken` high readings were never re-measured.
   */
  fevers: {
    thresholdC: number;
    /** Denied decisions with a FEVER reason. */
    refused: number;
    /** Allowed decisions (fire release, override) with a FEVER notice. */
    passedWithAlarm: number;
    /**
     * Readings at or above `thresholdC` that are not a re-measure: an ordinary high reading, or a
     * high first reading (`required`) whatever its re-measure found. A high reading and its high
     * re-measure count once here (the re-measure is in `remeasure.confirmed`). Without marks (a
     * journal from before re-measures, or re-measure off) every high reading, as before.
     */
    readingsAtOrAbove: number;
    /** The highest reading used in the window, `null` when there was none. */
    highestC: number | null;
    /** Readings used for decisions: every reading but the `waiting` ones. */
    readingsUsed: number;
    remeasure: {
      /** High first camera readings that asked for a re-measure (`required`). */
      required: number;
      /** Re-measures taken (`taken`): `confirmed + cleared`. */
      taken: number;
      /** Re-measures at or above `thresholdC`: the fever stood. */
      confirmed: number;
      /** Re-measures below `thresholdC`: the high first reading was cleared. */
      cleared: number;
    };
  };
  overrides: {
    /** Decisions granted EMERGENCY_OVERRIDE. */
    grants: number;
    /** `operator` entries whose action is `override` or `override.*`. */
    operatorActions: number;
  };
  fireReleases: {
    /** Decisions granted FIRE_RELEASE. */
    grants: number;
    /** Fire alarm activations (`fire` entries with `active: true`). */
    activations: number;
  };
  visitors: {
    /** Decisions granted VISITOR_ESCORTED or VISITOR_REGISTERED. */
    passes: number;
    /** `operator` entries with action `visitor.register`. */
    registrations: number;
  };
  /** In time order. */
  modeSwitches: ModeSwitch[];
  alarms: {
    raised: number;
    acknowledged: number;
    /** Alarms raised per code, keys sorted; only codes raised. */
    byCode: Record<string, number>;
  };
  /** Sorted operator ids from `operator` entries, override requests and alarm acknowledgements. */
  operatorsOnDuty: string[];
}

export interface ShiftReport {
  report: 'shift';
  version: 1;
  /** The shift date: the night shift of D runs D 20:00 to D+1 08:00. */
  date: LocalDate;
  shift: ShiftId;
  tz: string;
  window: TimeWindow;
  /** True when nothing happened that the report counts (see `isZeroCounts`). */
  zeroReport: boolean;
  counts: ReportCounts;
  /** Patrol rounds of the shift (docs/patrol.md); not part of `zeroReport`. */
  patrol: PatrolReport;
  /** Guards on duty, handovers and unattended spells (docs/duty.md); not part of `zeroReport`. */
  duty: DutyReport;
}

/** Duty at the checkpoint in one shift. Guards by staff person id (card) or API user name. */
export interface DutyReport {
  /** Each time a guard came on duty, in order; `until` null: still on duty at the shift's end. */
  spells: { guard: string; via: 'card' | 'dashboard'; from: number; until: number | null }[];
  /** Handovers, in order, with the seqs of the open alarms the incoming guard acknowledged. */
  handovers: { guard: string; at: number; acknowledged: number[] }[];
  /** CHECKPOINT_UNATTENDED alarms raised in the shift. */
  unattendedAlarms: number;
}

/**
 * The patrol rounds of one shift, judged from the journal's patrol taps as of `asOf` (rounds not
 * ended by then are pending). Guards appear by their staff person id, as the journal records
 * them, like operators.
 */
export interface PatrolReport {
  /** Epoch ms the statuses are as of: the shift's end for a past shift, the report's time otherwise. */
  asOf: number;
  /** Taps at patrol stations in the shift: accepted (a guard's card) and refused. */
  taps: number;
  refusedTaps: number;
  /** Sorted staff person ids of the accepted taps. */
  guards: string[];
  /** The routes walked in this shift, in configuration order. */
  routes: PatrolRouteReport[];
}

export interface PatrolRouteReport {
  routeId: string;
  name: { zh: string; en: string };
  /** Rounds of the shift, in time order. */
  rounds: PatrolRoundRecord[];
  /** Rounds with every point tapped (on time or late). */
  roundsDone: number;
  pointsOnTime: number;
  pointsLate: number;
  pointsMissed: number;
  /** Points of rounds not ended by `asOf` and not tapped yet. */
  pointsPending: number;
  /** In time order. */
  late: PatrolPointRecord[];
  missed: PatrolPointRecord[];
}

export interface PatrolRoundRecord {
  /** Epoch ms, half-open [start, end). */
  start: number;
  end: number;
  /** done: every point tapped; incomplete: ended with a point missed; pending: neither yet. */
  status: 'done' | 'incomplete' | 'pending';
  onTime: number;
  late: number;
  missed: number;
}

export interface PatrolPointRecord {
  roundStart: number;
  stationId: string;
  expected: number;
  /** When the late tap was made; `null` for a missed point. */
  tappedAt: number | null;
}

/** 日报告 / 零报告: produced every day, with every count explicit even when all are zero. */
export interface DailyReport {
  report: 'daily';
  version: 1;
  siteId: string;
  /** The calendar date in site time; the window is local midnight to local midnight. */
  date: LocalDate;
  tz: string;
  window: TimeWindow;
  /** Epoch ms passed by the caller (reports read no clock); `null` when not given. */
  generatedAt: number | null;
  zeroReport: boolean;
  counts: ReportCounts;
}
