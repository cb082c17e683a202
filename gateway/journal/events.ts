import type { CredentialKind, Direction, ShiftId, SiteMode } from '../domain/model.js';
import type { DenyCode, NoticeCode } from '../rules/reasons.js';
import type { Decision, PassRequest, TemperatureReading } from '../rules/types.js';

/**
 * Every kind of journal entry and its payload. Payloads are what sinks send upstream, so they
 * carry internal ids and pseudonyms only: never a name, never a raw ID number.
 */
export interface JournalEventMap {
  /** A pass decision, appended before the gate is actuated. */
  decision: {
    gateId: string;
    request: PassRequest;
    decision: Decision;
    /** How long the rules took, in µs (telemetry and metrics); absent in entries from before it was kept. */
    latencyUs?: number;
    /** The guards on duty when it was decided (staff person ids or API user names; docs/duty.md). */
    guards?: string[];
  };
  /** A temperature reading at a lane (camera or handheld). */
  reading: { gateId: string; laneId: string; reading: TemperatureReading; source: string };
  alarm: {
    code: DenyCode | NoticeCode | AlarmCode;
    severity: 'warning' | 'critical';
    laneId?: string;
    subjectId?: string;
    detail?: Record<string, string | number>;
  };
  /** `alarmSeq`: an `alarm` entry, or a `decision` whose actions raise an alarm (FEVER). */
  alarm_ack: { alarmSeq: number; operator: string; note?: string; shift?: ShiftId };
  mode: { from: SiteMode; to: SiteMode; operator: string; reason: string };
  /** An operator's or upstream's change: registry import, quarantine order, visitor registration, override. */
  operator: {
    action: string;
    operator: string;
    shift: ShiftId;
    detail: Record<string, string | number | boolean>;
  };
  device: { deviceId: string; laneId?: string; state: 'online' | 'offline' | 'error'; detail?: string };
  /**
   * A person or vehicle leaving or entering recorded out of band: the checkpoint's replay anchor,
   * or a pass made at another gateway of the site (`origin`, see mqtt/upstream/peers.ts).
   */
  passage: {
    subjectId: string;
    direction: Direction;
    laneId: string;
    /** A resident's household: an `out` passage with it counts toward the household's exit quota. */
    householdId?: string;
    /** The gateway of the site where the pass was made, and the seq of its decision in that journal. */
    origin?: { gateway: string; seq: number };
  };
  /** The fire alarm input changed: while active every lock releases and every barrier rises. */
  fire: { active: boolean; source: string };
  /**
   * A card at a patrol point (a station of purpose `patrol`). `guardId`: the staff person the
   * credential belongs to; absent when the credential is unknown or not a staff member's
   * (`accepted` false: journaled, counted for no round).
   */
  patrol: { stationId: string; guardId?: string; credentialKind: CredentialKind; accepted: boolean };
  /**
   * Duty at the checkpoint: a guard logged in to or out of the shift (by card at a duty station or
   * on the dashboard), or the shift handed over to the incoming guard, who acknowledged the open
   * alarms (`acknowledged`: their seqs). `guard`: a staff person id (card) or an API user name.
   * `date` and `shift`: the duty shift this concerns (the site-time date the shift started).
   */
  duty: {
    action: 'login' | 'logout' | 'handover';
    guard: string;
    via: 'card' | 'dashboard';
    shift: ShiftId;
    date: string;
    acknowledged?: number[];
    note?: string;
  };
  /**
   * An entry whose payload retention dropped (journal/retention.ts): `type` is the entry's type,
   * `digest` the SHA-256 of its payload that the chain committed to (absent for an entry chained
   * before the digest format, whose content can no longer be checked). Never appended: a stored
   * row becomes one.
   */
  purged: { type: JournalEventType; digest?: string };
  /**
   * A retention run (docs/journal.md): counts only. `olderThan`: the cutoff (epoch ms) of each
   * class; `keptUndelivered`: readings past the cutoff kept because a sink has not delivered them.
   */
  retention: {
    readings?: { olderThan: number; purged: number; keptUndelivered: number };
    visitors?: { olderThan: number; purged: number };
  };
}

/** Alarms raised by the gateway itself rather than by a pass rule. */
export const ALARM_CODES = [
  'OVERDUE_RETURN',
  'QUARANTINE_BREACH',
  'JOURNAL_TAMPERED',
  /** A door contact opened while the lock was neither released by a pass nor by the exit button. */
  'DOOR_FORCED_OPEN',
  /** A door stayed open past its release time plus the allowed hold time. */
  'DOOR_HELD_OPEN',
  /** A device stopped answering (or its line went away). */
  'DEVICE_OFFLINE',
  /** A device that must talk over an encrypted channel did not (never silently downgraded). */
  'SECURE_CHANNEL_REFUSED',
  /**
   * A card placed on a reader could not be read after the bounded retries: nothing was decided,
   * so the person must place it again (a damaged card, a failing reader). Once per presentation.
   */
  'CARD_UNREADABLE',
  /**
   * Too many wrong codes at a keypad in a short time (drivers/shared/wrong-code-limit.ts): it
   * ignores codes for a while. Someone may be guessing pass codes.
   */
  'KEYPAD_LOCKED',
  /** A device reported tamper (case opened, pulled off the wall) or a power failure. */
  'DEVICE_TAMPER',
  'DEVICE_POWER_FAILURE',
  /** A barrier arm did not reach its up or down limit in time (jammed arm, relay that does nothing). */
  'BARRIER_STUCK',
  /** A vehicle on a barrier's loop without a pass: following a permitted car, or forcing the arm. */
  'TAILGATING',
  /** A relay board refused or did not acknowledge a coil write. */
  'RELAY_FAILURE',
  /** A telemetry server refused our writes as a whole (401/403: credentials; 404: no database). */
  'TELEMETRY_REFUSED',
  /** A telemetry server refused one point for its content (400); it is kept in the dead-letter table. */
  'TELEMETRY_DEAD_LETTER',
  /** High-rate samples exceeded their disk budget and the oldest were thinned (a notice, with counts). */
  'TELEMETRY_THINNED',
  /** A client of the embedded MQTT broker gave a wrong user or password (counted, journaled at a bounded rate). */
  'MQTT_AUTH_FAILED',
  /** A client of the embedded broker published or subscribed where its ACL does not let it. */
  'MQTT_ACCESS_DENIED',
  /** A client of the embedded broker sent oversized packets or flooded it, and was disconnected. */
  'MQTT_CLIENT_REFUSED',
  /** A request from upstream was refused (not authorised, malformed, or failed to apply). */
  'UPSTREAM_REQUEST_REFUSED',
  /** The upstream broker refused the gateway's connection (credentials, client id, TLS). */
  'UPSTREAM_REFUSED',
  /** A camera refused the gateway's user or password (ONVIF ter:NotAuthorized). */
  'CAMERA_AUTH_FAILED',
  /** A camera's clock is off ours by more than allowed: its events' times and tokens are suspect. */
  'CAMERA_CLOCK_SKEW',
  /** A thermal camera sent no reading while people were being refused for want of one. */
  'CAMERA_SILENT',
  /** A patrol point of a round was not tapped by the end of its tolerance. */
  'PATROL_MISSED',
  /** A patrol point was tapped after its expected time plus the tolerance. */
  'PATROL_LATE',
  /** No guard logged in at the checkpoint during a duty shift (past the allowed delay). */
  'CHECKPOINT_UNATTENDED',
  /** A battery-powered sensor (a household door contact) reported a low battery. */
  'SENSOR_LOW_BATTERY',
  /**
   * The journal could not take an append (disk full, I/O error): passes are decided from memory
   * and held until it can (docs/journal.md, "Disk full"). Journaled when the held entries land.
   */
  'JOURNAL_UNAVAILABLE',
] as const;
export type AlarmCode = (typeof ALARM_CODES)[number];

export type JournalEventType = keyof JournalEventMap;

export interface JournalEntry<T extends JournalEventType = JournalEventType> {
  /** Strictly increasing from 1, without gaps. */
  seq: number;
  /** Epoch ms of the event (not of the append). */
  at: number;
  type: T;
  payload: JournalEventMap[T];
  /** Hex SHA-256 of the previous entry's hash and this entry's canonical content. */
  hash: string;
  prevHash: string;
}
