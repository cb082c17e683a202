import type { Credential, CredentialKind, Household, Vehicle } from '../domain/model.js';
import type { Problem } from '../errors.js';
import { credentialKey } from './credential-value.js';
import { SECTIONS } from './document.js';
import { type DocumentPath, problemAt } from './fragment.js';
import type { ProblemCollector } from './problems.js';
import { type ConvertedFragment, emptyRecords, type PersonRecord, type RegistryRecords } from './records.js';

/**
 * What an import may refer to besides itself: the records already stored (merge mode) or
 * nothing (replace mode). Implemented by the store with indexed queries, so a small merge into
 * a large registry reads only what it refers to.
 */
export interface ExistingRecords {
  hasHousehold(id: string): boolean;
  person(id: string): { householdId?: string } | undefined;
  hasVehicle(id: string): boolean;
  /** The id of the stored credential with this kind and normalised value. */
  credentialId(kind: CredentialKind, value: string): string | undefined;
  hasBuilding(building: string): boolean;
  hasUnit(building: string, unit: string): boolean;
}

export const NO_EXISTING_RECORDS: ExistingRecords = {
  hasHousehold: () => false,
  person: () => undefined,
  hasVehicle: () => false,
  credentialId: () => undefined,
  hasBuilding: () => false,
  hasUnit: () => false,
};

interface Seen<T> {
  record: T;
  fragment: ConvertedFragment;
  path: DocumentPath;
}

/** Where a record was first seen, for "duplicate of …" messages. */
function describe(seen: Seen<unknown>): string {
  const p: Problem = problemAt(seen.fragment.fragment, seen.path, '');
  return [p.file, p.line !== undefined ? `line ${p.line}` : p.field].filter(Boolean).join(' ');
}

/**
 * Checks an import as a whole (duplicates within it, references to records in it or already
 * stored, credentials already held by someone else) and combines the fragments into one set of
 * records. A derived credential (a person's `idcard`, a vehicle's `plate`) gives way to an
 * explicit one with the same kind, value and holder.
 */
export function checkAndCombine(
  fragments: readonly ConvertedFragment[],
  existing: ExistingRecords,
  problems: ProblemCollector,
): RegistryRecords {
  const index = new IncomingIndex(problems);
  for (const f of fragments) index.addRecords(f);
  for (const f of fragments) {
    for (const [i, c] of f.records.credentials.entries())
      index.addCredential(c, f, ['credentials', i, 'value'], false);
  }
  const derived: Credential[] = [];
  for (const f of fragments) {
    for (const d of f.derived)
      if (index.addCredential(d.credential, f, d.path, true)) derived.push(d.credential);
  }
  const refs = new ReferenceChecker(index, existing, problems);
  for (const f of fragments) refs.check(f);
  refs.checkCredentialOwnership(existing);

  const all = emptyRecords();
  for (const f of fragments) {
    for (const section of SECTIONS) {
      const into = all[section] as unknown[];
      for (const record of f.records[section]) into.push(record);
    }
  }
  for (const c of derived) all.credentials.push(c);
  return all;
}

class IncomingIndex {
  readonly households = new Map<string, Seen<Household>>();
  readonly persons = new Map<string, Seen<PersonRecord>>();
  readonly vehicles = new Map<string, Seen<Vehicle>>();
  readonly credentialIds = new Map<string, Seen<Credential>>();
  readonly credentialKeys = new Map<string, Seen<Credential>>();
  readonly buildings = new Set<string>();
  readonly units = new Set<string>();
  private readonly others = new Map<string, Seen<unknown>>();

  constructor(private readonly problems: ProblemCollector) {}

  addRecords(f: ConvertedFragment): void {
    const r = f.records;
    for (const [i, h] of r.households.entries()) {
      this.unique(this.households, h.id, h, f, ['households', i, 'id'], 'household id');
      this.buildings.add(h.building);
      this.units.add(`${h.building}\u0000${h.unit}`);
    }
    for (const [i, p] of r.persons.entries())
      this.unique(this.persons, p.id, p, f, ['persons', i, 'id'], 'person id');
    for (const [i, v] of r.vehicles.entries()) {
      this.unique(this.vehicles, v.id, v, f, ['vehicles', i, 'id'], 'vehicle id');
    }
    for (const [i, v] of r.visitors.entries()) {
      this.unique(this.others, `v\u0000${v.id}`, v, f, ['visitors', i, 'id'], 'visitor id');
    }
    for (const [i, q] of r.quarantineOrders.entries()) {
      this.unique(this.others, `q\u0000${q.id}`, q, f, ['quarantineOrders', i, 'id'], 'quarantine order id');
    }
    for (const [i, g] of r.highRiskRegions.entries()) {
      this.unique(this.others, `r\u0000${g.code}`, g, f, ['highRiskRegions', i, 'code'], 'region code');
    }
  }

  /** Adds a credential; false when it is a duplicate (reported) or a derived one an explicit one covers. */
  addCredential(c: Credential, f: ConvertedFragment, path: DocumentPath, derived: boolean): boolean {
    const key = credentialKey(c.kind, c.value);
    const held = this.credentialKeys.get(key);
    if (held) {
      if (derived && held.record.holderId === c.holderId) return false;
      const what = c.kind === 'idcard' ? 'this ID number' : `${c.kind} ${c.value}`;
      this.problems.add(
        problemAt(
          f.fragment,
          path,
          `${what} is already given to ${held.record.holderId} (${describe(held)})`,
        ),
      );
      return false;
    }
    if (!this.unique(this.credentialIds, c.id, c, f, path, 'credential id')) return false;
    this.credentialKeys.set(key, { record: c, fragment: f, path });
    return true;
  }

  private unique<T>(
    map: Map<string, Seen<T>>,
    key: string,
    record: T,
    f: ConvertedFragment,
    path: DocumentPath,
    what: string,
  ): boolean {
    const first = map.get(key);
    if (first) {
      this.problems.add(problemAt(f.fragment, path, `duplicate ${what} (first at ${describe(first)})`));
      return false;
    }
    map.set(key, { record, fragment: f, path });
    return true;
  }
}

class ReferenceChecker {
  constructor(
    private readonly index: IncomingIndex,
    private readonly existing: ExistingRecords,
    private readonly problems: ProblemCollector,
  ) {}

  check(f: ConvertedFragment): void {
    const r = f.records;
    const report = (path: DocumentPath, message: string) =>
      this.problems.add(problemAt(f.fragment, path, message));
    r.households.forEach((h, i) => {
      h.designatedMemberIds.forEach((pid, j) => {
        const person = this.person(pid);
        if (!person) report(['households', i, 'designatedMembers', j], `no person ${pid}`);
        else if (person.householdId !== undefined && person.householdId !== h.id) {
          report(
            ['households', i, 'designatedMembers', j],
            `person ${pid} belongs to household ${person.householdId}`,
          );
        }
      });
    });
    r.persons.forEach((p, i) => {
      if (p.householdId !== undefined && !this.household(p.householdId)) {
        report(['persons', i, 'householdId'], `no household ${p.householdId}`);
      }
    });
    r.credentials.forEach((c, i) => {
      const known = c.kind === 'plate' ? this.vehicle(c.holderId) : this.person(c.holderId) !== undefined;
      if (!known)
        report(['credentials', i, 'holder'], `no ${c.kind === 'plate' ? 'vehicle' : 'person'} ${c.holderId}`);
    });
    r.visitors.forEach((v, i) => {
      if (!this.person(v.personId)) report(['visitors', i, 'personId'], `no person ${v.personId}`);
      v.escortIds.forEach((e, j) => {
        if (!this.person(e)) report(['visitors', i, 'escorts', j], `no person ${e}`);
      });
      if (v.hostHouseholdId !== undefined && !this.household(v.hostHouseholdId)) {
        report(['visitors', i, 'hostHouseholdId'], `no household ${v.hostHouseholdId}`);
      }
    });
    r.quarantineOrders.forEach((q, i) => {
      const problem = this.targetProblem(q.target);
      if (problem) report(['quarantineOrders', i, 'target'], problem);
    });
    r.vehicles.forEach((v, i) => {
      if (v.householdId !== undefined && !this.household(v.householdId)) {
        report(['vehicles', i, 'householdId'], `no household ${v.householdId}`);
      }
      if (v.ownerId !== undefined && !this.person(v.ownerId))
        report(['vehicles', i, 'ownerId'], `no person ${v.ownerId}`);
    });
  }

  /** A credential value already held in the store by another credential that this import leaves in place. */
  checkCredentialOwnership(existing: ExistingRecords): void {
    for (const seen of this.index.credentialKeys.values()) {
      const c = seen.record;
      const storedId = existing.credentialId(c.kind, c.value);
      if (storedId !== undefined && storedId !== c.id && !this.index.credentialIds.has(storedId)) {
        const what = c.kind === 'idcard' ? 'this ID number' : `${c.kind} ${c.value}`;
        this.problems.add(
          problemAt(seen.fragment.fragment, seen.path, `${what} is already registered as ${storedId}`),
        );
      }
    }
  }

  private targetProblem(t: { person?: string; household?: string; building?: string; unit?: string }) {
    if (t.person !== undefined) return this.person(t.person) ? undefined : `no person ${t.person}`;
    if (t.household !== undefined)
      return this.household(t.household) ? undefined : `no household ${t.household}`;
    if (t.building === undefined) return 'no target';
    if (t.unit === undefined) {
      const known = this.index.buildings.has(t.building) || this.existing.hasBuilding(t.building);
      return known ? undefined : `no household in building ${t.building}`;
    }
    const known =
      this.index.units.has(`${t.building}\u0000${t.unit}`) || this.existing.hasUnit(t.building, t.unit);
    return known ? undefined : `no household in building ${t.building} unit ${t.unit}`;
  }

  private person(id: string): { householdId?: string } | undefined {
    return this.index.persons.get(id)?.record ?? this.existing.person(id);
  }

  private household(id: string): boolean {
    return this.index.households.has(id) || this.existing.hasHousehold(id);
  }

  private vehicle(id: string): boolean {
    return this.index.vehicles.has(id) || this.existing.hasVehicle(id);
  }
}
