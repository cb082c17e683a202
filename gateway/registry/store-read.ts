import type { Statement } from 'better-sqlite3';
import type { Db } from '../db.js';
import type {
  Credential,
  CredentialKind,
  Household,
  PersonKind,
  QuarantineKind,
  QuarantineOrder,
  QuarantineTarget,
  ShiftId,
  TravelRecord,
  Vehicle,
  VehicleKind,
  VisitorRegistration,
} from '../domain/model.js';
import type { PersonRecord, RegionRecord, RegistryRecords } from './records.js';
import type { ExistingRecords } from './references.js';
import type { RegistrySnapshotInput } from './snapshot.js';

/**
 * Rows of the registry tables turned back into records. Optional fields are set only when the
 * column is not NULL, so records read back equal the records written.
 */

type Value = string | number | null | undefined;
type Row = Record<string, Value>;

const str = (v: Value): string => String(v);
const num = (v: Value): number => Number(v);

export function householdFromRow(r: Row): Household {
  const h: Household = {
    id: str(r.id),
    building: str(r.building),
    unit: str(r.unit),
    room: str(r.room),
    designatedMemberIds: JSON.parse(str(r.designated_member_ids)) as string[],
  };
  if (r.quota_exits !== null && r.quota_period_ms !== null) {
    h.quota = { exits: num(r.quota_exits ?? 0), periodMs: num(r.quota_period_ms ?? 0) };
  }
  return h;
}

/** Names are read only when asked for (`withName`): the snapshot and the logs never see them. */
export function personFromRow(r: Row, withName: boolean): PersonRecord {
  const p: PersonRecord = { id: str(r.id), kind: str(r.kind) as PersonKind };
  if (r.household_id != null) p.householdId = str(r.household_id);
  if (r.shifts != null) p.shifts = JSON.parse(str(r.shifts)) as ShiftId[];
  if (withName && r.name != null) p.name = str(r.name);
  if (r.id_hash != null) p.idHash = str(r.id_hash);
  if (r.id_masked != null) p.idMasked = str(r.id_masked);
  return p;
}

export function credentialFromRow(r: Row): Credential {
  const c: Credential = {
    id: str(r.id),
    kind: str(r.kind) as CredentialKind,
    value: str(r.value),
    holderId: str(r.holder_id),
  };
  if (r.valid_from != null) c.validFrom = num(r.valid_from);
  if (r.valid_until != null) c.validUntil = num(r.valid_until);
  if (r.revoked_at != null) c.revokedAt = num(r.revoked_at);
  return c;
}

export function visitorFromRow(r: Row): VisitorRegistration {
  const v: VisitorRegistration = {
    id: str(r.id),
    personId: str(r.person_id),
    escortIds: JSON.parse(str(r.escort_ids)) as string[],
    travel: JSON.parse(str(r.travel)) as TravelRecord[],
  };
  if (r.host_household_id != null) v.hostHouseholdId = str(r.host_household_id);
  if (r.purpose != null) v.purpose = str(r.purpose);
  if (r.valid_from != null) v.validFrom = num(r.valid_from);
  if (r.valid_until != null) v.validUntil = num(r.valid_until);
  return v;
}

export function orderFromRow(r: Row): QuarantineOrder {
  let target: QuarantineTarget;
  if (r.target_person != null) target = { person: str(r.target_person) };
  else if (r.target_household != null) target = { household: str(r.target_household) };
  else if (r.target_unit != null) target = { building: str(r.target_building), unit: str(r.target_unit) };
  else target = { building: str(r.target_building) };
  const q: QuarantineOrder = {
    id: str(r.id),
    kind: str(r.kind) as QuarantineKind,
    target,
    from: num(r.from_ms),
    until: num(r.until_ms),
  };
  if (r.lifted_at != null) q.liftedAt = num(r.lifted_at);
  return q;
}

export function regionFromRow(r: Row): RegionRecord {
  const g: RegionRecord = { code: str(r.code) };
  if (r.name != null) g.name = str(r.name);
  if (r.since != null) g.since = num(r.since);
  if (r.until != null) g.until = num(r.until);
  return g;
}

export function vehicleFromRow(r: Row): Vehicle {
  const v: Vehicle = { id: str(r.id), plate: str(r.plate), kind: str(r.kind) as VehicleKind };
  if (r.household_id != null) v.householdId = str(r.household_id);
  if (r.owner_id != null) v.ownerId = str(r.owner_id);
  if (num(r.has_permit) === 1) {
    v.permit = {};
    if (r.permit_from != null) v.permit.validFrom = num(r.permit_from);
    if (r.permit_until != null) v.permit.validUntil = num(r.permit_until);
  }
  if (r.disinfected_at != null) v.disinfectedAt = num(r.disinfected_at);
  return v;
}

/** Every record, ordered by id (code for regions) so that exports are stable. */
export function readAllRecords(db: Db, withNames: boolean): RegistryRecords {
  const all = (sql: string) => db.prepare<[], Row>(sql).all();
  return {
    households: all('SELECT * FROM reg_households ORDER BY id').map(householdFromRow),
    persons: all('SELECT * FROM reg_persons ORDER BY id').map((r) => personFromRow(r, withNames)),
    credentials: all('SELECT * FROM reg_credentials ORDER BY id').map(credentialFromRow),
    visitors: all('SELECT * FROM reg_visitor_registrations ORDER BY id').map(visitorFromRow),
    quarantineOrders: all('SELECT * FROM reg_quarantine_orders ORDER BY id').map(orderFromRow),
    highRiskRegions: all('SELECT * FROM reg_high_risk_regions ORDER BY code').map(regionFromRow),
    vehicles: all('SELECT * FROM reg_vehicles ORDER BY id').map(vehicleFromRow),
  };
}

/** What a merge may refer to, answered by indexed point queries (no table is loaded whole). */
export class StoredRecords implements ExistingRecords {
  private readonly q: Record<
    'household' | 'person' | 'vehicle' | 'credential' | 'building' | 'unit',
    Statement<unknown[], Row>
  >;

  constructor(db: Db) {
    const p = (sql: string) => db.prepare<unknown[], Row>(sql);
    this.q = {
      household: p('SELECT 1 AS x FROM reg_households WHERE id = ?'),
      person: p('SELECT household_id FROM reg_persons WHERE id = ?'),
      vehicle: p('SELECT 1 AS x FROM reg_vehicles WHERE id = ?'),
      credential: p('SELECT id FROM reg_credentials WHERE kind = ? AND value = ?'),
      building: p('SELECT 1 AS x FROM reg_households WHERE building = ? LIMIT 1'),
      unit: p('SELECT 1 AS x FROM reg_households WHERE building = ? AND unit = ? LIMIT 1'),
    };
  }

  hasHousehold(id: string): boolean {
    return this.q.household.get(id) !== undefined;
  }

  person(id: string): { householdId?: string } | undefined {
    const row = this.q.person.get(id);
    if (!row) return undefined;
    return row.household_id == null ? {} : { householdId: str(row.household_id) };
  }

  hasVehicle(id: string): boolean {
    return this.q.vehicle.get(id) !== undefined;
  }

  credentialId(kind: CredentialKind, value: string): string | undefined {
    const row = this.q.credential.get(kind, value);
    return row ? str(row.id) : undefined;
  }

  hasBuilding(building: string): boolean {
    return this.q.building.get(building) !== undefined;
  }

  hasUnit(building: string, unit: string): boolean {
    return this.q.unit.get(building, unit) !== undefined;
  }
}

/**
 * Everything the rules need, as lean model entities: persons without names, ID hashes or masks
 * (the snapshot of a million persons should hold only what decisions read). Rows are streamed,
 * not loaded as a whole before conversion.
 *
 * Repeated strings are held once (see `interner`): every row read gives new strings, so without
 * it the same person id is held once as the person's, once per credential as its holder and
 * once in the household's designated members, and every row holds its own `resident` or `card`.
 * At 100,000 residents with a card and an ID card each that was about 16 MB of copies.
 */
export function readSnapshotInput(db: Db): RegistrySnapshotInput {
  const one = interner();
  const each = <T>(sql: string, convert: (r: Row) => T): T[] => {
    const out: T[] = [];
    for (const row of db.prepare<[], Row>(sql).iterate()) out.push(convert(row));
    return out;
  };
  return {
    households: each('SELECT * FROM reg_households', (r) => {
      const h = householdFromRow(r);
      h.id = one(h.id);
      h.building = one(h.building);
      h.unit = one(h.unit);
      h.designatedMemberIds = h.designatedMemberIds.map(one);
      return h;
    }),
    persons: each('SELECT id, kind, household_id, shifts FROM reg_persons', (r) => {
      const p = personFromRow(r, false);
      p.id = one(p.id);
      p.kind = one(p.kind);
      if (p.householdId !== undefined) p.householdId = one(p.householdId);
      return p;
    }),
    credentials: each('SELECT * FROM reg_credentials', (r) => {
      const c = credentialFromRow(r);
      c.kind = one(c.kind);
      c.holderId = one(c.holderId);
      return c;
    }),
    visitors: each('SELECT * FROM reg_visitor_registrations', visitorFromRow),
    quarantineOrders: each('SELECT * FROM reg_quarantine_orders', orderFromRow),
    highRiskRegions: each('SELECT code, since, until FROM reg_high_risk_regions', regionFromRow),
    vehicles: each('SELECT * FROM reg_vehicles', (r) => {
      const v = vehicleFromRow(r);
      v.id = one(v.id);
      return v;
    }),
  };
}

/** The first copy of each string passed in; the table is dropped with the function. */
function interner(): <T extends string>(s: T) => T {
  const first = new Map<string, string>();
  return <T extends string>(s: T): T => {
    const kept = first.get(s);
    if (kept !== undefined) return kept as T;
    first.set(s, s);
    return s;
  };
}
