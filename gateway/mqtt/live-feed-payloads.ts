/**
 * The payloads of the local live tree, one interface per topic pattern; the map from pattern to
 * payload, the topics and their delivery are in local-topics.ts. JSON on the wire. Every stream
 * message carries the journal `seq` it comes from, for the dashboard to fetch detail by role.
 */
import type { Direction, LaneKind, PersonKind, ShiftId, SiteMode, VehicleKind } from '../domain/model.js';
import type { AlarmCode } from '../journal/events.js';
import type { DenyCode, GrantCode, Message, NoticeCode } from '../rules/reasons.js';
import type { RemeasureMark } from '../rules/types.js';

/** A registry subject as the bus shows it: its kind and a keyed pseudonym, never its id. */
export type LiveSubject =
  | { kind: 'person'; personKind: PersonKind; ref: string; household?: string }
  | { kind: 'vehicle'; vehicleKind: VehicleKind; ref: string }
  | { kind: 'unknown' };

/** What every decision message has: the journal entry it is, and where. */
export interface DecisionBase {
  seq: number;
  at: number;
  gate: string;
  lane: string;
  direction: Direction;
  subject: LiveSubject;
  /** The kind of credential presented (`none` without one); never its value. */
  credential: 'card' | 'idcard' | 'qr' | 'plate' | 'workcert' | 'none';
  shift: ShiftId;
}

export interface PassMessage extends DecisionBase {
  outcome: 'granted';
  grant: GrantCode | null;
  notices: NoticeCode[];
  /** An operator's override let this pass through (who and why stay in the journal). */
  override: boolean;
  /** What the gate was told to do: release the lock (for `unlockMs`), raise the barrier, or nothing. */
  release: 'unlock' | 'barrier' | 'none';
  unlockMs?: number;
}

export interface RefusalMessage extends DecisionBase {
  outcome: 'refused';
  /** The first deny reason: what the person at the gate was shown. */
  reason: DenyCode;
  message: Message;
  /** Every deny reason, with the detail values that are safe on a local bus (see live-feed-privacy.ts). */
  reasons: { code: DenyCode; detail?: Record<string, string | number> }[];
}

export interface TemperatureMessage {
  seq: number;
  at: number;
  gate: string;
  lane: string;
  celsius: number;
  mask: boolean | null;
  /** At or above the policy's fever threshold, whatever the re-measure mark. */
  fever: boolean;
  source: string;
  /** What took it; `camera` also for a reading journaled before the field existed. */
  instrument: 'camera' | 'handheld';
  /**
   * The re-measure mark the checkpoint journaled with the reading (`RemeasureMark`): `required` a
   * high first reading, `waiting` a reading during the wait (never used), `taken` the re-measure;
   * null for an ordinary reading or with re-measure off, as `mask` is null when unknown.
   */
  remeasure: RemeasureMark | null;
}

export interface AlarmMessage {
  seq: number;
  at: number;
  code: AlarmCode | DenyCode | NoticeCode;
  severity: 'warning' | 'critical';
  message: Message | null;
  gate?: string;
  lane?: string;
  subject?: string;
  detail: Record<string, string | number>;
}

export interface AlarmAckMessage {
  seq: number;
  at: number;
  alarmSeq: number;
}

/** Availability in Zigbee2MQTT 2.x style; Home Assistant reads `state`. */
export interface AvailabilityMessage {
  state: 'online' | 'offline';
  at: number;
}

export interface DeviceStateMessage {
  /** The device entry this comes from; null when known only from the configuration. */
  seq: number | null;
  at: number;
  device: string;
  state: 'online' | 'offline' | 'error' | 'unknown';
  gate?: string;
  lane?: string;
  detail?: string;
}

/**
 * A lane's gate as the gateway commanded it: derived from decisions (a granted pass releases the
 * lock for its unlock time, raises the barrier for the policy's unlock time), the fire input
 * (everything open) and lane alarms. Not confirmed by the lock or the arm: approximate.
 */
export interface GateStateMessage {
  at: number;
  gate: string;
  lane: string;
  kind: LaneKind;
  direction: Direction;
  /** Released now: lock unlocked, or barrier up. */
  open: boolean;
  lock?: 'locked' | 'unlocked';
  barrier?: 'up' | 'down';
  releasedBy: 'pass' | 'fire' | null;
  /** Epoch ms the release by a pass ends; null when not released by a pass. */
  releasedUntil: number | null;
  fire: boolean;
  /** The newest unacknowledged door or barrier alarm of the lane (forced, held open, stuck, tailgating). */
  alarm: { seq: number; at: number; code: AlarmCode } | null;
  lastPass: { seq: number; at: number; outcome: 'granted' | 'refused'; reason: string | null } | null;
  /** Devices of this lane whose last known state is not online. */
  devicesDown: string[];
}

export interface ModeMessage {
  mode: SiteMode;
  /** The mode entry; null while the configured initial mode holds. */
  seq: number | null;
  at: number;
  message: Message;
}

export interface FireMessage {
  active: boolean;
  seq: number | null;
  at: number;
  /** The device whose input changed it, when it was a configured device. */
  device?: string;
}

export interface GatewayStatusMessage {
  state: 'online' | 'offline';
  /** null in the last will: the broker sends it when the gateway has gone, at a time the gateway cannot know. */
  at: number | null;
  version?: string;
}

export interface DailyCountersMessage {
  /** Site-local calendar date, and its start (epoch ms). */
  day: string;
  since: number;
  at: number;
  /** At the community's gates: a decision at a building entrance moves nobody in or out of it. */
  granted: number;
  refused: number;
  /** Decisions at building entrances (Decision.entrance), not in `granted`, `refused` or `reasons`. */
  buildingEntrances: { granted: number; refused: number };
  /** Per lane, building entrances too. */
  lanes: Record<string, { granted: number; refused: number }>;
  /** Refusals at the community's gates by their first deny reason. */
  reasons: Partial<Record<DenyCode, number>>;
  /** The newest decision counted. */
  throughSeq: number;
}
