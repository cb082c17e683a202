import type { Statement } from 'better-sqlite3';
import type { Db } from '../db.js';
import type {
  Credential,
  Household,
  QuarantineOrder,
  Vehicle,
  VisitorRegistration,
} from '../domain/model.js';
import type { PersonRecord, RegionRecord, RegistryRecords } from './records.js';
import { HOUSEHOLD_COLUMNS, orNull, REGISTRY_TABLES, VEHICLE_COLUMNS } from './store-schema.js';

type Row = Record<string, string | number | null>;

/** `INSERT … ON CONFLICT (key) DO UPDATE` for every column: a record with a known id replaces it. */
function upsert(db: Db, table: string, key: string, columns: readonly string[]): Statement<Row> {
  const updates = columns.filter((c) => c !== key).map((c) => `${c} = excluded.${c}`);
  return db.prepare(
    `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')})
     ON CONFLICT (${key}) DO UPDATE SET ${updates.join(', ')}`,
  );
}

/**
 * Prepared writers, one per table. Every write goes through `RegistryWriter.write` (an import)
 * or one of the single-record methods, always inside a transaction opened by the store.
 */
export class RegistryWriter {
  private readonly household: Statement<Row>;
  private readonly person: Statement<Row>;
  private readonly credential: Statement<Row>;
  private readonly visitor: Statement<Row>;
  private readonly order: Statement<Row>;
  private readonly region: Statement<Row>;
  private readonly vehicle: Statement<Row>;

  constructor(private readonly db: Db) {
    this.household = upsert(db, 'reg_households', 'id', HOUSEHOLD_COLUMNS);
    this.person = upsert(db, 'reg_persons', 'id', [
      'id',
      'kind',
      'household_id',
      'name',
      'id_hash',
      'id_masked',
      'shifts',
    ]);
    this.credential = upsert(db, 'reg_credentials', 'id', [
      'id',
      'kind',
      'value',
      'holder_id',
      'valid_from',
      'valid_until',
      'revoked_at',
    ]);
    this.visitor = upsert(db, 'reg_visitor_registrations', 'id', [
      'id',
      'person_id',
      'escort_ids',
      'host_household_id',
      'purpose',
      'valid_from',
      'valid_until',
      'travel',
    ]);
    this.order = upsert(db, 'reg_quarantine_orders', 'id', [
      'id',
      'kind',
      'target_person',
      'target_household',
      'target_building',
      'target_unit',
      'from_ms',
      'until_ms',
      'lifted_at',
    ]);
    this.region = upsert(db, 'reg_high_risk_regions', 'code', ['code', 'name', 'since', 'until']);
    this.vehicle = upsert(db, 'reg_vehicles', 'id', VEHICLE_COLUMNS);
  }

  /** Writes checked records; `replace` first empties every registry table. Call inside a transaction. */
  write(
    records: RegistryRecords,
    mode: 'merge' | 'replace',
    onProgress?: (done: number, total: number) => void,
  ): void {
    if (mode === 'replace') for (const table of REGISTRY_TABLES) this.db.exec(`DELETE FROM ${table}`);
    const total =
      records.households.length +
      records.persons.length +
      records.credentials.length +
      records.visitors.length +
      records.quarantineOrders.length +
      records.highRiskRegions.length +
      records.vehicles.length;
    let done = 0;
    const step = <T>(items: readonly T[], write: (item: T) => void) => {
      for (const item of items) {
        write(item);
        if (++done % 10_000 === 0) onProgress?.(done, total);
      }
    };
    step(records.households, (h) => this.writeHousehold(h));
    step(records.persons, (p) => this.writePerson(p));
    step(records.vehicles, (v) => this.writeVehicle(v));
    step(records.credentials, (c) => this.writeCredential(c));
    step(records.visitors, (v) => this.writeVisitor(v));
    step(records.quarantineOrders, (q) => this.writeOrder(q));
    step(records.highRiskRegions, (r) => this.writeRegion(r));
    onProgress?.(done, total);
  }

  writeHousehold(h: Household): void {
    this.household.run({
      id: h.id,
      building: h.building,
      unit: h.unit,
      room: h.room,
      designated_member_ids: JSON.stringify(h.designatedMemberIds),
      quota_exits: orNull(h.quota?.exits),
      quota_period_ms: orNull(h.quota?.periodMs),
    });
  }

  writePerson(p: PersonRecord): void {
    this.person.run({
      id: p.id,
      kind: p.kind,
      household_id: orNull(p.householdId),
      name: orNull(p.name),
      id_hash: orNull(p.idHash),
      id_masked: orNull(p.idMasked),
      shifts: p.shifts === undefined ? null : JSON.stringify(p.shifts),
    });
  }

  writeCredential(c: Credential): void {
    this.credential.run({
      id: c.id,
      kind: c.kind,
      value: c.value,
      holder_id: c.holderId,
      valid_from: orNull(c.validFrom),
      valid_until: orNull(c.validUntil),
      revoked_at: orNull(c.revokedAt),
    });
  }

  writeVisitor(v: VisitorRegistration): void {
    this.visitor.run({
      id: v.id,
      person_id: v.personId,
      escort_ids: JSON.stringify(v.escortIds),
      host_household_id: orNull(v.hostHouseholdId),
      purpose: orNull(v.purpose),
      valid_from: orNull(v.validFrom),
      valid_until: orNull(v.validUntil),
      travel: JSON.stringify(v.travel),
    });
  }

  writeOrder(q: QuarantineOrder): void {
    const t = q.target;
    this.order.run({
      id: q.id,
      kind: q.kind,
      target_person: 'person' in t ? t.person : null,
      target_household: 'household' in t ? t.household : null,
      target_building: 'building' in t ? t.building : null,
      target_unit: 'unit' in t ? t.unit : null,
      from_ms: q.from,
      until_ms: q.until,
      lifted_at: orNull(q.liftedAt),
    });
  }

  writeRegion(r: RegionRecord): void {
    this.region.run({ code: r.code, name: orNull(r.name), since: orNull(r.since), until: orNull(r.until) });
  }

  writeVehicle(v: Vehicle): void {
    this.vehicle.run({
      id: v.id,
      plate: v.plate,
      kind: v.kind,
      household_id: orNull(v.householdId),
      owner_id: orNull(v.ownerId),
      has_permit: v.permit ? 1 : 0,
      permit_from: orNull(v.permit?.validFrom),
      permit_until: orNull(v.permit?.validUntil),
      disinfected_at: orNull(v.disinfectedAt),
    });
  }
}
