import type { CredentialKind } from '../domain/model.js';
import { credentialKey, isCardUid, normaliseCredentialValue } from './credential-value.js';
import { parseShifts, parseVehicleKind, parseYesNo, rosterColumnOf } from './csv-columns.js';
import {
  type CredentialEntry,
  type HouseholdEntry,
  ID_PATTERN,
  type PersonEntry,
  type RegistryDocument,
  type VehicleEntry,
} from './document.js';
import type { RegistryFragment } from './fragment.js';
import { checkIdNumber, hashIdNumber, maskIdNumber } from './id-number.js';
import { parseInstant } from './instant.js';
import { personIdFromIdHash, personIdFromName } from './person-id.js';
import { defaultCredentialId } from './records.js';

/** One data row of a roster, as the builder sees it. */
export interface RosterRow {
  /** 1-based line where the row starts. */
  line: number;
  /** The trimmed cell of a column (canonical name); '' when the column is absent or empty. */
  get(column: string): string;
  /** Reports a problem at this row and column. */
  report(column: string, message: string): void;
}

export interface RosterContext {
  key: Buffer;
  timeZone: string;
  now: number;
}

type BuiltSection = 'households' | 'persons' | 'credentials' | 'vehicles';

/**
 * Turns roster rows into a registry document fragment. Checks what a single file can know
 * (values, ID numbers, duplicates within the file, naming the line of the first occurrence);
 * references across files are checked by the import. Raw ID numbers stop here: the fragment
 * carries their keyed hash and masked form.
 */
export class RosterBuilder {
  private readonly doc = {
    households: [] as HouseholdEntry[],
    persons: [] as PersonEntry[],
    credentials: [] as CredentialEntry[],
    vehicles: [] as VehicleEntry[],
  };
  private readonly lines: Record<BuiltSection, number[]> = {
    households: [],
    persons: [],
    credentials: [],
    vehicles: [],
  };
  private readonly households = new Map<string, HouseholdEntry>();
  private readonly personLines = new Map<string, number>();
  private readonly credentialLines = new Map<string, number>();
  private readonly vehicleLines = new Map<string, number>();

  constructor(private readonly context: RosterContext) {}

  addResident(row: RosterRow): void {
    const place = [this.required(row, 'building'), this.required(row, 'unit'), this.required(row, 'room')];
    const [building, unit, room] = place as [string, string, string];
    const householdId = place.every(Boolean) ? place.join('-') : undefined;
    const person = this.identify(row, 'resident', householdId);
    const designated = parseYesNo(row.get('designated'));
    if (designated === undefined) row.report('designated', 'expected yes/no (是/否)');
    const holder = householdId && person ? this.addPerson(row, person) : undefined;
    this.addCredential(row, 'card', holder);
    this.addCredential(row, 'qr', holder);
    const plate = row.get('plate');
    if (plate && holder && householdId) {
      this.addVehicleEntry(row, {
        id: '',
        plate,
        kind: 'resident',
        householdId,
        ownerId: holder,
        permit: {},
      });
    }
    if (!householdId || !holder) return;
    let household = this.households.get(householdId);
    if (!household) {
      household = { id: householdId, building, unit, room, designatedMembers: [] };
      this.households.set(householdId, household);
      this.push('households', household, row.line);
    }
    if (designated) household.designatedMembers?.push(holder);
  }

  addStaff(row: RosterRow): void {
    const person = this.identify(row, 'staff', undefined);
    const workcert = this.required(row, 'workcert');
    const until = this.instant(row, 'workcert_until');
    const shiftsText = row.get('shifts');
    const shifts = shiftsText ? parseShifts(shiftsText) : undefined;
    if (shiftsText && !shifts)
      row.report('shifts', 'expected shifts like day;night (白班;夜班) or all (全部)');
    if (person && shifts) person.shifts = shifts;
    const holder = person ? this.addPerson(row, person) : undefined;
    this.addCredential(row, 'card', holder);
    if (workcert) this.addCredential(row, 'workcert', holder, until);
  }

  addVehicle(row: RosterRow): void {
    const plate = this.required(row, 'plate');
    const kindText = this.required(row, 'kind');
    const kind = kindText ? parseVehicleKind(kindText) : undefined;
    if (kindText && !kind)
      row.report('kind', 'expected resident, staff, work or outside (住户, 工作人员, 工作车, 外来)');
    const place = ['building', 'unit', 'room'].map((c) => row.get(c));
    if (place.some(Boolean) && !place.every(Boolean)) {
      row.report('room', 'give building, unit and room together (or none)');
    }
    if (!plate || !kind) return;
    const vehicle: VehicleEntry = { id: '', plate, kind };
    if (place.every(Boolean)) vehicle.householdId = place.join('-');
    const owner = row.get('owner_id');
    if (owner && !ID_PATTERN.test(owner)) row.report('owner_id', 'ids are 1–128 characters without spaces');
    else if (owner) vehicle.ownerId = owner;
    const validFrom = this.instant(row, 'permit_from');
    const validUntil = this.instant(row, 'permit_until');
    // Outside vehicles get a permit only when the roster gives one; every other listed vehicle has one.
    if (kind !== 'outside' || validFrom || validUntil) {
      vehicle.permit = {};
      if (validFrom) vehicle.permit.validFrom = validFrom;
      if (validUntil) vehicle.permit.validUntil = validUntil;
    }
    const disinfected = this.instant(row, 'disinfected_at');
    if (disinfected) vehicle.disinfectedAt = disinfected;
    this.addVehicleEntry(row, vehicle);
  }

  toFragment(file: string): RegistryFragment {
    const document: RegistryDocument = { version: 1, ...this.doc };
    const lines = this.lines as Record<string, number[] | undefined>;
    return {
      document,
      file,
      lineOf: (path) =>
        typeof path[0] === 'string' && typeof path[1] === 'number' ? lines[path[0]]?.[path[1]] : undefined,
      fieldOf: (path) => rosterColumnOf(path, (i) => this.doc.credentials[i]?.kind),
    };
  }

  /**
   * The row's person, with its id (given, derived from the ID number's hash, or from the name
   * within its household), or undefined when the row cannot name one (reported).
   */
  private identify(
    row: RosterRow,
    kind: 'resident' | 'staff',
    householdId: string | undefined,
  ): PersonEntry | undefined {
    const idNumber = row.get('id_number');
    let id = row.get('person_id');
    if (id && !ID_PATTERN.test(id)) {
      row.report('person_id', 'ids are 1–128 characters without spaces');
      return undefined;
    }
    let idHash: string | undefined;
    if (idNumber) {
      const check = checkIdNumber(idNumber, this.context.now);
      if (!check.ok) {
        row.report('id_number', `ID number ${check.problem}`);
        return undefined;
      }
      idHash = hashIdNumber(this.context.key, idNumber);
      if (!id) id = personIdFromIdHash(idHash);
    }
    const name = row.get('name');
    if (!id && name) {
      if (kind === 'resident' && householdId === undefined) return undefined;
      id = personIdFromName(this.context.key, householdId ?? kind, name);
    }
    if (!id) {
      row.report('person_id', 'give person_id, id_number or name to identify the person');
      return undefined;
    }
    const person: PersonEntry = { id, kind };
    if (householdId !== undefined) person.householdId = householdId;
    if (name) person.name = name;
    if (idHash !== undefined) {
      person.idHash = idHash;
      person.idMasked = maskIdNumber(idNumber);
    }
    return person;
  }

  /** Adds the person unless the file already has it (reported); returns its id when added. */
  private addPerson(row: RosterRow, person: PersonEntry): string | undefined {
    const first = this.personLines.get(person.id);
    if (first !== undefined) {
      const column = row.get('person_id') ? 'person_id' : row.get('id_number') ? 'id_number' : 'name';
      row.report(column, `same person as line ${first}`);
      return undefined;
    }
    this.personLines.set(person.id, row.line);
    this.push('persons', person, row.line);
    return person.id;
  }

  /** Checks the cell's value and, when there is a holder, adds the credential. */
  private addCredential(
    row: RosterRow,
    column: 'card' | 'qr' | 'workcert',
    holder: string | undefined,
    validUntil?: string,
  ): void {
    const raw = row.get(column);
    if (!raw) return;
    const kind: CredentialKind = column;
    const value = normaliseCredentialValue(kind, raw);
    if (kind === 'card' && !isCardUid(value)) {
      row.report(column, 'card UIDs are 4–32 hex digits');
      return;
    }
    if (holder === undefined) return;
    const key = credentialKey(kind, value);
    const first = this.credentialLines.get(key);
    if (first !== undefined) {
      row.report(column, `already given to someone on line ${first}`);
      return;
    }
    this.credentialLines.set(key, row.line);
    const credential: CredentialEntry = { id: defaultCredentialId(kind, value), kind, value, holder };
    if (validUntil) credential.validUntil = validUntil;
    this.push('credentials', credential, row.line);
  }

  private addVehicleEntry(row: RosterRow, vehicle: VehicleEntry): void {
    vehicle.plate = normaliseCredentialValue('plate', vehicle.plate);
    vehicle.id = `v-${vehicle.plate}`;
    const first = this.vehicleLines.get(vehicle.id);
    if (first !== undefined) {
      row.report('plate', `plate already listed on line ${first}`);
      return;
    }
    this.vehicleLines.set(vehicle.id, row.line);
    this.push('vehicles', vehicle, row.line);
  }

  private required(row: RosterRow, column: string): string {
    const value = row.get(column);
    if (!value) row.report(column, 'is required');
    return value;
  }

  /** The cell if it is a valid instant (kept as written: the import parses it again), else '' (reported). */
  private instant(row: RosterRow, column: string): string {
    const text = row.get(column);
    if (text && parseInstant(text, this.context.timeZone) === undefined) {
      row.report(column, 'expected a date like 2022-04-30 or a time like 2022-04-30T08:00+08:00');
      return '';
    }
    return text;
  }

  private push<S extends BuiltSection>(section: S, entry: (typeof this.doc)[S][number], line: number): void {
    (this.doc[section] as unknown[]).push(entry);
    this.lines[section].push(line);
  }
}
