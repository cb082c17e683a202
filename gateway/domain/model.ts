/**
 * Registry entities as the rules and the checkpoint see them. All instants are Unix epoch
 * milliseconds (UTC); the site's time zone matters only for shifts and reports.
 * Nothing here carries a name or a raw ID number: persons are known by an internal id, and a
 * resident ID number only as its keyed hash (credential value) and masked form.
 */

export const SITE_MODES = ['open', 'closed', 'lockdown'] as const;
export type SiteMode = (typeof SITE_MODES)[number];

export const DIRECTIONS = ['in', 'out'] as const;
export type Direction = (typeof DIRECTIONS)[number];

export const LANE_KINDS = ['pedestrian', 'vehicle'] as const;
export type LaneKind = (typeof LANE_KINDS)[number];

/**
 * A `perimeter` gate is in the community's fence: passing it is entering or leaving the
 * community. A `building` gate is the entrance of one building, or of one unit (单元, a
 * stairwell with its own door) of it, inside the community: passing it is going home or out
 * of a building, never entering or leaving the community.
 */
export const GATE_KINDS = ['perimeter', 'building'] as const;
export type GateKind = (typeof GATE_KINDS)[number];

/** What a building gate is the entrance of: as `Household.building` and `Household.unit` write it. */
export interface BuildingEntrance {
  building: string;
  /** Absent: the door of the whole building, used by every unit's residents. */
  unit?: string;
}

/** The three duty shifts of plan 6 §3.2: 08:00–17:00, 17:00–20:00, 20:00–08:00 (site time). */
export const SHIFT_IDS = ['day', 'evening', 'night'] as const;
export type ShiftId = (typeof SHIFT_IDS)[number];

export const PERSON_KINDS = ['resident', 'staff', 'visitor', 'courier', 'repair'] as const;
export type PersonKind = (typeof PERSON_KINDS)[number];

export const CREDENTIAL_KINDS = ['card', 'idcard', 'qr', 'plate', 'workcert'] as const;
export type CredentialKind = (typeof CREDENTIAL_KINDS)[number];

export const VEHICLE_KINDS = ['resident', 'staff', 'work', 'outside'] as const;
export type VehicleKind = (typeof VEHICLE_KINDS)[number];

export const QUARANTINE_KINDS = ['centralised', 'home'] as const;
export type QuarantineKind = (typeof QUARANTINE_KINDS)[number];

export interface Validity {
  /** Inclusive; absent = valid since always. */
  validFrom?: number;
  /** Exclusive; absent = valid for ever. */
  validUntil?: number;
}

export interface Household {
  id: string;
  building: string;
  unit: string;
  room: string;
  /** Members who may go out for supplies in closed mode; empty = any member may. */
  designatedMemberIds: readonly string[];
  /** Overrides the site policy's quota for this household. */
  quota?: { exits: number; periodMs: number };
}

export interface Person {
  id: string;
  kind: PersonKind;
  householdId?: string;
  /** Staff only: the shifts this person is on duty. */
  shifts?: readonly ShiftId[];
}

export interface Credential extends Validity {
  id: string;
  kind: CredentialKind;
  /** Card UID (hex, upper case), QR pass id, plate, certificate number, or for `idcard` the keyed hash of the ID number. */
  value: string;
  /** A person id, or for `plate` a vehicle id. */
  holderId: string;
  revokedAt?: number;
}

export interface TravelRecord {
  region: string;
  /** Last day spent in the region (epoch ms). */
  at: number;
}

export interface VisitorRegistration extends Validity {
  id: string;
  personId: string;
  /** Residents (person ids) who may lead this visitor in. */
  escortIds: readonly string[];
  hostHouseholdId?: string;
  purpose?: string;
  travel: readonly TravelRecord[];
}

/** An order targets exactly one of: a person, a household, a building, or a unit of a building. */
export type QuarantineTarget =
  | { person: string }
  | { household: string }
  | { building: string }
  | { building: string; unit: string };

export interface QuarantineOrder {
  id: string;
  kind: QuarantineKind;
  target: QuarantineTarget;
  from: number;
  until: number;
  liftedAt?: number;
}

export interface HighRiskRegion {
  code: string;
  /** Listed as high-risk from this instant; absent = always. */
  since?: number;
  /** No longer high-risk from this instant; absent = still listed. */
  until?: number;
}

export interface Vehicle {
  id: string;
  plate: string;
  kind: VehicleKind;
  householdId?: string;
  ownerId?: string;
  permit?: Validity;
  disinfectedAt?: number;
}
