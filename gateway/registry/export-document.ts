import type { Credential, Validity } from '../domain/model.js';
import type {
  CredentialEntry,
  HouseholdEntry,
  PersonEntry,
  QuarantineEntry,
  RegionEntry,
  RegistryDocument,
  VehicleEntry,
  VisitorEntry,
} from './document.js';
import { formatInstant } from './instant.js';
import { derivedIdcardId, derivedPlateId, type RegistryRecords } from './records.js';

export interface ExportOptions {
  timeZone: string;
  /** Persons' names are left out unless asked for (they are personal data). */
  includeNames: boolean;
}

/**
 * Records → document, the inverse of `convertDocument`: importing the result (with the same
 * key and time zone) yields the same records. Persons carry `idHash` + `idMasked`, never a raw
 * number. Credentials that the import derives again on its own (a person's unrestricted
 * `idcard`, a vehicle's unrestricted `plate`) are left out.
 */
export function recordsToDocument(records: RegistryRecords, options: ExportOptions): RegistryDocument {
  const at = (ms: number) => formatInstant(ms, options.timeZone);
  const validity = (v: Validity) => ({
    ...(v.validFrom !== undefined && { validFrom: at(v.validFrom) }),
    ...(v.validUntil !== undefined && { validUntil: at(v.validUntil) }),
  });
  const derived = derivedCredentialIds(records);

  const households = records.households.map(
    (h): HouseholdEntry => ({
      id: h.id,
      building: h.building,
      unit: h.unit,
      room: h.room,
      designatedMembers: [...h.designatedMemberIds],
      ...(h.quota && { quota: { exits: h.quota.exits, periodHours: h.quota.periodMs / 3_600_000 } }),
    }),
  );
  const persons = records.persons.map(
    (p): PersonEntry => ({
      id: p.id,
      kind: p.kind,
      ...(p.householdId !== undefined && { householdId: p.householdId }),
      ...(options.includeNames && p.name !== undefined && { name: p.name }),
      ...(p.idHash !== undefined && p.idMasked !== undefined && { idHash: p.idHash, idMasked: p.idMasked }),
      ...(p.shifts !== undefined && { shifts: [...p.shifts] }),
    }),
  );
  const credentials = records.credentials
    .filter((c) => !derived.has(c))
    .map(
      (c): CredentialEntry => ({
        id: c.id,
        kind: c.kind,
        value: c.value,
        holder: c.holderId,
        ...validity(c),
        ...(c.revokedAt !== undefined && { revokedAt: at(c.revokedAt) }),
      }),
    );
  const visitors = records.visitors.map(
    (v): VisitorEntry => ({
      id: v.id,
      personId: v.personId,
      escorts: [...v.escortIds],
      ...(v.hostHouseholdId !== undefined && { hostHouseholdId: v.hostHouseholdId }),
      ...(v.purpose !== undefined && { purpose: v.purpose }),
      validFrom: at(v.validFrom ?? 0),
      validUntil: at(v.validUntil ?? 0),
      travel: v.travel.map((t) => ({ region: t.region, date: at(t.at) })),
    }),
  );
  const quarantineOrders = records.quarantineOrders.map(
    (q): QuarantineEntry => ({
      id: q.id,
      kind: q.kind,
      target: { ...q.target },
      from: at(q.from),
      until: at(q.until),
      ...(q.liftedAt !== undefined && { liftedAt: at(q.liftedAt) }),
    }),
  );
  const highRiskRegions = records.highRiskRegions.map(
    (r): RegionEntry => ({
      code: r.code,
      ...(r.name !== undefined && { name: r.name }),
      ...(r.since !== undefined && { since: at(r.since) }),
      ...(r.until !== undefined && { until: at(r.until) }),
    }),
  );
  const vehicles = records.vehicles.map(
    (v): VehicleEntry => ({
      id: v.id,
      plate: v.plate,
      kind: v.kind,
      ...(v.householdId !== undefined && { householdId: v.householdId }),
      ...(v.ownerId !== undefined && { ownerId: v.ownerId }),
      ...(v.permit && { permit: validity(v.permit) }),
      ...(v.disinfectedAt !== undefined && { disinfectedAt: at(v.disinfectedAt) }),
    }),
  );
  return {
    version: 1,
    households,
    persons,
    credentials,
    visitors,
    quarantineOrders,
    highRiskRegions,
    vehicles,
  };
}

/** The stored credentials that are exactly what the import would derive again. */
function derivedCredentialIds(records: RegistryRecords): Set<Credential> {
  const expected = new Map<string, { holder: string; value: string }>();
  for (const p of records.persons) {
    if (p.idHash !== undefined) expected.set(derivedIdcardId(p.id), { holder: p.id, value: p.idHash });
  }
  for (const v of records.vehicles) expected.set(derivedPlateId(v.id), { holder: v.id, value: v.plate });
  const out = new Set<Credential>();
  for (const c of records.credentials) {
    const e = expected.get(c.id);
    const unrestricted = c.validFrom === undefined && c.validUntil === undefined && c.revokedAt === undefined;
    if (e && unrestricted && e.holder === c.holderId && e.value === c.value) out.add(c);
  }
  return out;
}
