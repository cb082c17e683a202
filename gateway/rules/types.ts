import type {
  BuildingEntrance,
  Credential,
  CredentialKind,
  Direction,
  HighRiskRegion,
  Household,
  LaneKind,
  Person,
  QuarantineOrder,
  ShiftId,
  SiteMode,
  Vehicle,
  VisitorRegistration,
} from '../domain/model.js';
import type { FreshnessPolicy } from '../freshness/freshness.js';
import type { DenyCode, GrantCode, Message, NoticeCode } from './reasons.js';

/** Thresholds the rules apply; built from the configuration's `policy` section. All durations in ms. */
export interface Policy {
  mode: SiteMode;
  feverThresholdC: number;
  temperatureWindowMs: number;
  /** Directions on which a temperature reading is required in closed and lockdown modes. */
  temperatureDirections: readonly Direction[];
  maskRequired: boolean;
  escortWindowMs: number;
  householdQuota: { exits: number; periodMs: number };
  highRiskLookbackMs: number;
  disinfectionPeriodMs: number;
  antiPassback: boolean;
  /** Repair workers need an escort like visitors (plan 4 §2.(4).5 leaves it to the community). */
  repairNeedsEscort: boolean;
  unlockMs: number;
  /**
   * The re-measure of a high reading before the final FEVER. Absent in policies built by hand
   * before it existed (tests, tools): the same as `enabled: false`.
   */
  remeasure?: RemeasurePolicy;
  /**
   * The freshness check of the registry, revocations and keys (DATA_STALE); absent: off, as in
   * policies built by hand before it existed. The fact comes in `LaneContext.dataRefreshedAt`.
   */
  freshness?: FreshnessPolicy;
}

/**
 * Thermal screening over-reads (acclimatisation; a sensitivity of about 0.7–0.8), so a reading
 * at or above the fever threshold asks for a re-measure: a second camera reading after a wait,
 * or a handheld thermometer reading. The checkpoint marks each reading once, when it is
 * recorded (`TemperatureReading.remeasure`); the rules read only the mark.
 */
export interface RemeasurePolicy {
  enabled: boolean;
  /** How long after the high reading a camera reading counts as its re-measure (acclimatisation). */
  waitMs: number;
  /** How long a high reading stays pending; a reading after that starts afresh. */
  withinMs: number;
  /** A camera reading after the wait may be the re-measure. */
  camera: boolean;
  /** A handheld thermometer reading may be the re-measure, at once. */
  handheld: boolean;
}

/**
 * A presented credential with everything the rules read about its holder, linked once when the
 * snapshot is built so that a decision needs one lookup instead of five.
 */
export interface Holder {
  credential: Credential;
  /** A person's credential: the person, absent when the registry does not know them. */
  person: Person | undefined;
  household: Household | undefined;
  /** A plate: the vehicle, absent when the registry does not know it. */
  vehicle: Vehicle | undefined;
  /** Quarantine orders naming the person, their household, building or unit, in any state. */
  orders: readonly QuarantineOrder[];
  /**
   * The dense index (`SUBJECT_IDS` in registry/dense-ids.ts) of the subject, the person or the
   * vehicle, whose id the decision's subject carries; -1 when the registry does not know them.
   */
  subjectIndex: number;
  /** The dense index (`HOUSEHOLD_IDS`) of `household`; -1 when there is none. */
  householdIndex: number;
}

/**
 * Read-only lookups into a registry snapshot. Implementations must be pure reads (no I/O on the
 * decision path): the in-memory snapshot answers each in O(1).
 */
export interface RegistryView {
  credential(kind: CredentialKind, value: string): Credential | undefined;
  /** The credential with its holder resolved (see Holder); what the rules use. */
  holder(kind: CredentialKind, value: string): Holder | undefined;
  person(id: string): Person | undefined;
  household(id: string): Household | undefined;
  vehicle(id: string): Vehicle | undefined;
  /** Registrations of this person (visitor or repair worker), any validity. */
  visitorRegistrations(personId: string): readonly VisitorRegistration[];
  /** Orders that name this person, their household, their building or their unit. */
  quarantineOrders(person: Person): readonly QuarantineOrder[];
  highRiskRegion(code: string): HighRiskRegion | undefined;
  /** True when the person holds a `workcert` credential valid and unrevoked at `at`. */
  hasValidWorkCertificate(personId: string, at: number): boolean;
  /**
   * Orders that target this entrance's building as a whole, and (for a unit's door) its unit,
   * in any state: what seals a building entrance (rules/entrance.ts). Optional so that views
   * written before building entrances still fit; without it a building gate learns of a seal
   * only through the orders reaching the presenter and their host household.
   */
  entranceOrders?(entrance: BuildingEntrance): readonly QuarantineOrder[];
}

export interface TemperatureReading {
  at: number;
  celsius: number;
  /** true = mask seen, false = no mask seen, null = the camera does not tell. */
  mask: boolean | null;
  /** What took it; absent = a camera (entries from before the field). */
  instrument?: 'camera' | 'handheld';
  /**
   * The re-measure mark the checkpoint gave the reading when it recorded it (see RemeasurePolicy);
   * absent for an ordinary reading, or when re-measure is off. Replay reads it, never re-judges.
   */
  remeasure?: RemeasureMark;
}

/**
 * - `required`: at or above the threshold; asks for a re-measure and is pending until one is taken.
 * - `waiting`: a camera reading at the lane during the wait after a `required` one: journaled,
 *   never used for a decision.
 * - `taken`: the re-measure of the pending `required` reading; judged like an ordinary reading.
 */
export type RemeasureMark = 'required' | 'waiting' | 'taken';

/**
 * The gate of a lane as the rules see it. A perimeter gate (`kind` absent in layouts from before
 * building gates) is in the community's fence; a building gate is the entrance of a building or
 * of one unit of it, never primary (see GATE_KINDS in domain/model.ts).
 */
export type GateRef =
  | { id: string; kind?: 'perimeter'; primary: boolean; entrance?: undefined }
  | { id: string; kind: 'building'; primary: false; entrance: BuildingEntrance };

/**
 * What the lane checkpoint knows at the moment of a request, as pure reads of its state.
 * Every answer must already reflect the request's time (`at`): the checkpoint prunes windows.
 */
export interface LaneContext {
  gate: GateRef;
  lane: { id: string; kind: LaneKind; direction: Direction };
  fireAlarm: boolean;
  /**
   * The latest reading at this lane within the temperature window before `at`, if any. Readings
   * marked `waiting` are skipped; a `required` one counts for `remeasure.withinMs` instead of the
   * temperature window, so the person waiting for the re-measure hears "re-measure", not "no temperature".
   */
  latestTemperature(at: number): TemperatureReading | undefined;
  /** True when any of these persons presented a valid credential at this lane within the escort window. */
  escortPresented(personIds: readonly string[], at: number): boolean;
  /**
   * The last direction this subject (person or vehicle id) passed in, anywhere on the site.
   * `subjectIndex` is the subject's `Holder.subjectIndex` when the caller has it: the same
   * subject as the id, so an implementation may answer from it instead (O(1), no hashing).
   */
  lastDirection(subjectId: string, subjectIndex?: number): Direction | undefined;
  /**
   * How many times this household's residents were let out at or after `since` (epoch ms).
   * `householdIndex` is the household's `Holder.householdIndex`, as for `lastDirection`.
   */
  householdExits(householdId: string, since: number, householdIndex?: number): number;
  /**
   * True when this QR code id was already accepted once within the memory window before `at`
   * (replay). Older acceptances do not count, so a live state (pruned as time passes) and one
   * rebuilt from the journal (not yet pruned) answer alike.
   */
  codeSeen(codeId: string, at: number): boolean;
  /**
   * The instant of the newest journaled refresh of the registry, revocations or keys
   * (freshness/freshness.ts); undefined when there was none, or when the context does not
   * know (hand-built contexts): with `Policy.freshness` set, both read as stale.
   */
  readonly dataRefreshedAt?: number | undefined;
  /**
   * True while the journal cannot take appends and the passes held in memory meanwhile exceed
   * their bound (checkpoint/held-entries.ts): every pass is refused but a fire release or an
   * override. Absent: false.
   */
  readonly journalUnavailable?: boolean;
}

export interface PresentedCredential {
  kind: CredentialKind;
  /** As in `Credential.value`: for `idcard`, the keyed hash of the ID number, never the number itself. */
  value: string;
  /** `idcard` only: whether the number passed the GB 11643 check digit and date check. */
  idNumberValid?: boolean;
  /** `qr` only: result of signature verification done before the rules (crypto stays out of them). */
  signature?: 'valid' | 'invalid';
  /** `qr` only: the id of this dynamic code (pass id + time step), for replay detection. */
  codeId?: string;
  /**
   * `qr` only: the validity window a verified signed pass carries (epoch ms, from inclusive,
   * until exclusive), honoured by CREDENTIAL_EXPIRED like a registry credential's.
   */
  validFrom?: number;
  validUntil?: number;
  /** `qr` only: the verified pass is on the revocation list (CREDENTIAL_REVOKED). */
  revoked?: boolean;
}

export interface PassRequest {
  /** Epoch ms; the rules read no clock. */
  at: number;
  laneId: string;
  shift: ShiftId;
  /** Overrides the lane's direction (two-reader lanes). */
  direction?: Direction;
  credential?: PresentedCredential;
  /** Declared by the guard or the reader kind, e.g. a courier at the pedestrian lane. */
  purpose?: 'delivery';
  override?: { operator: string; reason: string };
}

export type Subject =
  | { kind: 'unknown' }
  | { kind: 'person'; id: string; personKind: Person['kind']; householdId?: string }
  | { kind: 'vehicle'; id: string; vehicleKind: Vehicle['kind'] };

export type Reason =
  | { effect: 'deny'; code: DenyCode; detail?: Readonly<Record<string, string | number>> }
  | { effect: 'grant'; code: GrantCode }
  | { effect: 'notice'; code: NoticeCode };

export type Action =
  | { type: 'unlock'; durationMs: number }
  | { type: 'raise_barrier' }
  | { type: 'indicate'; led: 'green' | 'red' | 'amber'; buzzer: 'short' | 'long' | 'none'; text: Message }
  | { type: 'alarm'; code: DenyCode | NoticeCode; severity: 'warning' | 'critical' };

export interface Decision {
  allow: boolean;
  /** Every failing rule (deny), the grant when allowed, and notices; a deny always has a deny reason. */
  reasons: readonly Reason[];
  subject: Subject;
  direction: Direction;
  actions: readonly Action[];
  /**
   * Present only for a decision at a building gate: the building (and unit) whose entrance it
   * was. Such a pass moves nobody into or out of the community, so whatever keeps the
   * community's state (anti-passback, who is outside, household exit quotas, counts of passes
   * in and out) must skip it; the journal carries it so that replay and peers need no layout.
   */
  entrance?: BuildingEntrance;
}
