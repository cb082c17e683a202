import type {
  Credential,
  Household,
  QuarantineOrder,
  Validity,
  Vehicle,
  VisitorRegistration,
} from '../domain/model.js';
import { isCardUid, normaliseCredentialValue } from './credential-value.js';
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
import { type DocumentPath, problemAt, type RegistryFragment } from './fragment.js';
import { checkIdNumber, hashIdNumber, maskIdNumber } from './id-number.js';
import { parseInstant } from './instant.js';
import type { ProblemCollector } from './problems.js';
import {
  type ConvertedFragment,
  type ConvertOptions,
  type DerivedCredential,
  defaultCredentialId,
  derivedIdcardId,
  derivedPlateId,
  emptyRecords,
  type PersonRecord,
  type RegionRecord,
} from './records.js';

/**
 * Converts a schema-valid document into records: instants to epoch ms, ID numbers to keyed
 * hashes (checked first), credential values to their normal form, and the credentials a
 * person's ID number or a vehicle's plate implies. Problems go to `problems` with their path;
 * records with problems are still returned, so that the caller can report everything at once,
 * but must not be written.
 */
export function convertDocument(
  fragment: RegistryFragment,
  doc: RegistryDocument,
  options: ConvertOptions,
  problems: ProblemCollector,
): ConvertedFragment {
  const c = new DocumentConverter(fragment, options, problems);
  const records = emptyRecords();
  for (const h of doc.households ?? []) records.households.push(c.household(h));
  for (const [i, p] of (doc.persons ?? []).entries()) records.persons.push(c.person(p, ['persons', i]));
  for (const [i, x] of (doc.credentials ?? []).entries())
    records.credentials.push(c.credential(x, ['credentials', i]));
  for (const [i, v] of (doc.visitors ?? []).entries()) records.visitors.push(c.visitor(v, ['visitors', i]));
  for (const [i, q] of (doc.quarantineOrders ?? []).entries()) {
    records.quarantineOrders.push(c.order(q, ['quarantineOrders', i]));
  }
  for (const [i, r] of (doc.highRiskRegions ?? []).entries()) {
    records.highRiskRegions.push(c.region(r, ['highRiskRegions', i]));
  }
  for (const [i, v] of (doc.vehicles ?? []).entries()) records.vehicles.push(c.vehicle(v, ['vehicles', i]));
  return { fragment, records, derived: c.derived };
}

/** `a < b`, and true when either is NaN (an unreadable instant, already reported). */
function before(a: number, b: number): boolean {
  return Number.isNaN(a) || Number.isNaN(b) || a < b;
}

class DocumentConverter {
  readonly derived: DerivedCredential[] = [];

  constructor(
    private readonly fragment: RegistryFragment,
    private readonly options: ConvertOptions,
    private readonly problems: ProblemCollector,
  ) {}

  household(h: HouseholdEntry): Household {
    const household: Household = {
      id: h.id,
      building: h.building,
      unit: h.unit,
      room: h.room,
      designatedMemberIds: h.designatedMembers ?? [],
    };
    if (h.quota)
      household.quota = { exits: h.quota.exits, periodMs: Math.round(h.quota.periodHours * 3_600_000) };
    return household;
  }

  person(p: PersonEntry, path: DocumentPath): PersonRecord {
    const person: PersonRecord = { id: p.id, kind: p.kind };
    if (p.householdId !== undefined) person.householdId = p.householdId;
    if (p.shifts !== undefined) person.shifts = p.shifts;
    if (p.name !== undefined) person.name = p.name;
    if (p.idNumber !== undefined) {
      const check = checkIdNumber(p.idNumber, this.options.now);
      if (check.ok) {
        person.idHash = hashIdNumber(this.options.key, p.idNumber);
        person.idMasked = maskIdNumber(p.idNumber);
      } else {
        this.report([...path, 'idNumber'], `ID number ${check.problem}`);
      }
    } else if (p.idHash !== undefined && p.idMasked !== undefined) {
      person.idHash = p.idHash;
      person.idMasked = p.idMasked;
    }
    if (person.idHash !== undefined) {
      this.derived.push({
        credential: {
          id: derivedIdcardId(person.id),
          kind: 'idcard',
          value: person.idHash,
          holderId: person.id,
        },
        path: [...path, p.idNumber !== undefined ? 'idNumber' : 'idHash'],
      });
    }
    return person;
  }

  credential(c: CredentialEntry, path: DocumentPath): Credential {
    const value = normaliseCredentialValue(c.kind, c.value);
    if (value === '') this.report([...path, 'value'], 'is empty once normalised');
    else if (c.kind === 'card' && !isCardUid(value))
      this.report([...path, 'value'], 'card UIDs are 4–32 hex digits');
    else if (c.kind === 'idcard' && !/^[0-9a-f]{64}$/.test(value)) {
      this.report([...path, 'value'], 'idcard values are keyed hashes: give the person an idNumber instead');
    }
    const credential: Credential = {
      id: c.id ?? defaultCredentialId(c.kind, value),
      kind: c.kind,
      value,
      holderId: c.holder,
      ...this.validity(c, path),
    };
    if (c.revokedAt !== undefined) credential.revokedAt = this.at(c.revokedAt, [...path, 'revokedAt']);
    return credential;
  }

  visitor(v: VisitorEntry, path: DocumentPath): VisitorRegistration {
    const registration: VisitorRegistration = {
      id: v.id,
      personId: v.personId,
      escortIds: v.escorts ?? [],
      travel: (v.travel ?? []).map((t, j) => ({
        region: t.region,
        at: this.at(t.date, [...path, 'travel', j, 'date']),
      })),
      ...this.validity(v, path),
    };
    if (v.hostHouseholdId !== undefined) registration.hostHouseholdId = v.hostHouseholdId;
    if (v.purpose !== undefined) registration.purpose = v.purpose;
    return registration;
  }

  order(q: QuarantineEntry, path: DocumentPath): QuarantineOrder {
    const order: QuarantineOrder = {
      id: q.id,
      kind: q.kind,
      target: { ...q.target },
      from: this.at(q.from, [...path, 'from']),
      until: this.at(q.until, [...path, 'until']),
    };
    if (!before(order.from, order.until)) this.report([...path, 'until'], 'must be after from');
    if (q.liftedAt !== undefined) order.liftedAt = this.at(q.liftedAt, [...path, 'liftedAt']);
    return order;
  }

  region(r: RegionEntry, path: DocumentPath): RegionRecord {
    const region: RegionRecord = { code: r.code };
    if (r.name !== undefined) region.name = r.name;
    if (r.since !== undefined) region.since = this.at(r.since, [...path, 'since']);
    if (r.until !== undefined) region.until = this.at(r.until, [...path, 'until']);
    return region;
  }

  vehicle(v: VehicleEntry, path: DocumentPath): Vehicle {
    const plate = normaliseCredentialValue('plate', v.plate);
    if (plate === '') this.report([...path, 'plate'], 'is empty once normalised');
    const vehicle: Vehicle = { id: v.id, plate, kind: v.kind };
    if (v.householdId !== undefined) vehicle.householdId = v.householdId;
    if (v.ownerId !== undefined) vehicle.ownerId = v.ownerId;
    if (v.permit) vehicle.permit = this.validity(v.permit, [...path, 'permit']);
    if (v.disinfectedAt !== undefined)
      vehicle.disinfectedAt = this.at(v.disinfectedAt, [...path, 'disinfectedAt']);
    this.derived.push({
      credential: { id: derivedPlateId(v.id), kind: 'plate', value: plate, holderId: v.id },
      path: [...path, 'plate'],
    });
    return vehicle;
  }

  private report(path: DocumentPath, message: string): void {
    this.problems.add(problemAt(this.fragment, path, message));
  }

  /** Epoch ms, or NaN (reported) when the text is not a real instant. */
  private at(text: string, path: DocumentPath): number {
    const ms = parseInstant(text, this.options.timeZone);
    if (ms === undefined) this.report(path, 'not a real date or time');
    return ms ?? Number.NaN;
  }

  private validity(v: { validFrom?: string; validUntil?: string }, path: DocumentPath): Validity {
    const out: Validity = {};
    if (v.validFrom !== undefined) out.validFrom = this.at(v.validFrom, [...path, 'validFrom']);
    if (v.validUntil !== undefined) out.validUntil = this.at(v.validUntil, [...path, 'validUntil']);
    if (
      out.validFrom !== undefined &&
      out.validUntil !== undefined &&
      !before(out.validFrom, out.validUntil)
    ) {
      this.report([...path, 'validUntil'], 'must be after validFrom');
    }
    return out;
  }
}
