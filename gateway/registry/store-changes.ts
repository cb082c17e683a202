import { randomUUID } from 'node:crypto';
import type { Db } from '../db.js';
import type {
  Credential,
  PersonKind,
  QuarantineOrder,
  TravelRecord,
  VisitorRegistration,
} from '../domain/model.js';
import { QUARANTINE_KINDS } from '../domain/model.js';
import { GatewardenError, type Problem } from '../errors.js';
import { checkIdNumber, hashIdNumber, maskIdNumber } from './id-number.js';
import { personIdFromIdHash } from './person-id.js';
import { ProblemCollector } from './problems.js';
import { derivedIdcardId, emptyRecords, type PersonRecord, type RegistryRecords } from './records.js';
import { checkAndCombine, type ExistingRecords } from './references.js';
import { orderFromRow } from './store-read.js';

/** What an operator enters at the gate to register a visitor or a repair worker. */
export interface VisitorRequest {
  /** Registration id; a random `v-…` when absent. */
  id?: string;
  /** The visitor's ID number (read from the card or typed); give this or `personId`. */
  idNumber?: string;
  /** A person already in the registry. */
  personId?: string;
  /** For a new person: `visitor` (default) or `repair`. */
  kind?: Extract<PersonKind, 'visitor' | 'repair'>;
  /** For a new person; stored, never logged. */
  name?: string;
  escorts: readonly string[];
  validFrom: number;
  validUntil: number;
  travel?: readonly TravelRecord[];
  purpose?: string;
  hostHouseholdId?: string;
}

/** The records a change adds, checked against the store as a one-off merge. */
function checkChange(records: Partial<RegistryRecords>, existing: ExistingRecords, what: string): void {
  const problems = new ProblemCollector();
  checkAndCombine(
    [{ fragment: { document: null }, records: { ...emptyRecords(), ...records }, derived: [] }],
    existing,
    problems,
  );
  problems.throwIfAny(what);
}

function refuse(what: string, problems: Problem[]): never {
  throw new GatewardenError('REGISTRY_IMPORT_INVALID', `${what} refused`, { problems });
}

/** Checks an order (shape, times, target exists, id unused); the caller writes it. */
export function checkNewQuarantine(db: Db, order: QuarantineOrder, existing: ExistingRecords): void {
  const problems: Problem[] = [];
  if (!(QUARANTINE_KINDS as readonly string[]).includes(order.kind)) {
    problems.push({ field: 'kind', message: `must be one of ${QUARANTINE_KINDS.join(', ')}` });
  }
  if (!(order.from < order.until)) problems.push({ field: 'until', message: 'must be after from' });
  if (db.prepare('SELECT 1 FROM reg_quarantine_orders WHERE id = ?').get(order.id) !== undefined) {
    problems.push({ field: 'id', message: `quarantine order ${order.id} already exists` });
  }
  if (problems.length > 0) refuse('quarantine order', problems);
  checkChange({ quarantineOrders: [order] }, existing, 'quarantine order');
}

/** Sets `liftedAt` (the first lift counts; lifting again changes nothing) and returns the order. */
export function liftQuarantineOrder(db: Db, id: string, at: number): QuarantineOrder {
  db.prepare('UPDATE reg_quarantine_orders SET lifted_at = ? WHERE id = ? AND lifted_at IS NULL').run(at, id);
  const row = db
    .prepare<[string], Record<string, string | number | null>>(
      'SELECT * FROM reg_quarantine_orders WHERE id = ?',
    )
    .get(id);
  if (!row) throw new GatewardenError('REGISTRY_NOT_FOUND', `no quarantine order ${id}`);
  return orderFromRow(row);
}

export interface VisitorChange {
  registration: VisitorRegistration;
  /** Present when the visitor is new to the registry. */
  person?: PersonRecord;
  credential?: Credential;
}

/**
 * Resolves the visitor (an existing holder of this ID number, an existing person, or a new
 * person with an `idcard` credential) and checks the registration. Writes nothing.
 */
export function prepareVisitor(
  db: Db,
  request: VisitorRequest,
  context: { key: Buffer; now: number; existing: ExistingRecords },
): VisitorChange {
  if ((request.idNumber === undefined) === (request.personId === undefined)) {
    refuse('visitor registration', [
      { field: 'idNumber', message: 'give an idNumber or a personId (one of them)' },
    ]);
  }
  const registration: VisitorRegistration = {
    id: request.id ?? `v-${randomUUID()}`,
    personId: request.personId ?? '',
    escortIds: [...request.escorts],
    validFrom: request.validFrom,
    validUntil: request.validUntil,
    travel: [...(request.travel ?? [])],
  };
  if (request.hostHouseholdId !== undefined) registration.hostHouseholdId = request.hostHouseholdId;
  if (request.purpose !== undefined) registration.purpose = request.purpose;
  if (!(request.validFrom < request.validUntil)) {
    refuse('visitor registration', [{ field: 'validUntil', message: 'must be after validFrom' }]);
  }
  if (db.prepare('SELECT 1 FROM reg_visitor_registrations WHERE id = ?').get(registration.id) !== undefined) {
    refuse('visitor registration', [
      { field: 'id', message: `registration ${registration.id} already exists` },
    ]);
  }
  const change: VisitorChange = { registration };
  if (request.idNumber !== undefined) {
    const check = checkIdNumber(request.idNumber, context.now);
    if (!check.ok)
      refuse('visitor registration', [{ field: 'idNumber', message: `ID number ${check.problem}` }]);
    const idHash = hashIdNumber(context.key, request.idNumber);
    const holder = context.existing.credentialId('idcard', idHash);
    if (holder !== undefined) {
      registration.personId = holderOf(db, holder);
      const kind = db
        .prepare<[string], { kind: string }>('SELECT kind FROM reg_persons WHERE id = ?')
        .get(registration.personId)?.kind;
      if (kind === 'resident' || kind === 'staff') {
        refuse('visitor registration', [
          { field: 'idNumber', message: `this ID number belongs to ${kind} ${registration.personId}` },
        ]);
      }
    } else {
      const person: PersonRecord = {
        id: personIdFromIdHash(idHash),
        kind: request.kind ?? 'visitor',
        idHash,
        idMasked: maskIdNumber(request.idNumber),
      };
      if (request.name !== undefined) person.name = request.name;
      registration.personId = person.id;
      change.person = person;
      change.credential = {
        id: derivedIdcardId(person.id),
        kind: 'idcard',
        value: idHash,
        holderId: person.id,
      };
    }
  }
  checkChange(
    {
      persons: change.person ? [change.person] : [],
      credentials: change.credential ? [change.credential] : [],
      visitors: [registration],
    },
    context.existing,
    'visitor registration',
  );
  return change;
}

function holderOf(db: Db, credentialId: string): string {
  const row = db
    .prepare<[string], { holder_id: string }>('SELECT holder_id FROM reg_credentials WHERE id = ?')
    .get(credentialId);
  return row?.holder_id ?? '';
}
