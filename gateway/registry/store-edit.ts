import type { Db } from '../db.js';
import type { Credential, CredentialKind } from '../domain/model.js';
import { GatewardenError, type Problem } from '../errors.js';
import type {
  CredentialEntry,
  HouseholdEntry,
  PersonEntry,
  RegistryDocument,
  VehicleEntry,
} from './document.js';
import { type DocumentPath, pathToField, type RegistryFragment } from './fragment.js';
import { prepareImport } from './import.js';
import { derivedIdcardId, derivedPlateId, type RegistryRecords } from './records.js';
import type { ExistingRecords } from './references.js';
import { credentialFromRow, StoredRecords } from './store-read.js';
import {
  designatingHouseholds,
  householdReferrers,
  impliedBy,
  personReferrers,
  placeOrdersLeftEmpty,
} from './store-referrers.js';
import type { RegistryWriter } from './store-write.js';

/**
 * Single-record changes of the registry (the admin API's registry editing): create or replace
 * one household, person, credential or vehicle, revoke a credential, remove a record.
 *
 * A put is a one-record merge import: the record goes through `prepareImport` (the document
 * schema, ID-number checks and hashing, instants, references and duplicates against the store)
 * and the `RegistryWriter`, so it is checked exactly as an imported one. On top of that, a change
 * or removal is refused while another record still refers to what it would change away
 * (`store-referrers.ts`): the registry stays a document that exports and imports again.
 *
 * Every function runs inside the store's write transaction and throws a GatewardenError before
 * writing anything: `REGISTRY_IMPORT_INVALID` (the record is wrong), `REGISTRY_NOT_FOUND`,
 * `REGISTRY_IN_USE` (still referred to). Problem fields are paths inside the record (`householdId`,
 * `quota.exits`); `id` is the record's id.
 */

export const EDITABLE_SECTIONS = ['households', 'persons', 'credentials', 'vehicles'] as const;
export type EditableSection = (typeof EDITABLE_SECTIONS)[number];

/** One record as a registry document writes it; a credential's id is required here. */
export type RecordPut =
  | { section: 'households'; entry: HouseholdEntry }
  | { section: 'persons'; entry: PersonEntry }
  | { section: 'credentials'; entry: CredentialEntry & { id: string } }
  | { section: 'vehicles'; entry: VehicleEntry };

export interface PutResult {
  id: string;
  /** False when a stored record was replaced. */
  created: boolean;
}

export interface RemoveResult {
  id: string;
  /** Credentials removed with the record: a person's ID cards, a vehicle's plates. */
  credentials: number;
}

export interface RevokeResult {
  credential: Credential;
  /** False when it was already revoked at or before the instant asked for (that instant stays). */
  changed: boolean;
}

/** What the functions here need of the store. */
export interface EditContext {
  db: Db;
  writer: RegistryWriter;
  key: Buffer;
  timeZone: string;
  now: number;
}

const TABLE: Record<EditableSection, string> = {
  households: 'reg_households',
  persons: 'reg_persons',
  credentials: 'reg_credentials',
  vehicles: 'reg_vehicles',
};

/** What one record of a section is called in messages and journal actions. */
export const RECORD_NOUN = {
  households: 'household',
  persons: 'person',
  credentials: 'credential',
  vehicles: 'vehicle',
} as const satisfies Record<EditableSection, string>;

/** The credential a person's ID number or a vehicle's plate implies (see `records.ts`). */
const OWN_KIND: Partial<Record<EditableSection, CredentialKind>> = { persons: 'idcard', vehicles: 'plate' };
const DERIVED_ID = /#(?:idcard|plate)$/;

function exists(db: Db, section: EditableSection, id: string): boolean {
  return db.prepare(`SELECT 1 FROM ${TABLE[section]} WHERE id = ?`).get(id) !== undefined;
}

function notFound(section: EditableSection, id: string): never {
  throw new GatewardenError('REGISTRY_NOT_FOUND', `no ${RECORD_NOUN[section]} ${id}`, {
    problems: [{ field: 'id', message: 'not in the registry' }],
  });
}

function refuse(what: string, problems: Problem[]): never {
  throw new GatewardenError('REGISTRY_IMPORT_INVALID', `${what} refused, nothing written`, { problems });
}

/** Creates or replaces one record. See the file comment for what is checked. */
export function putRecord(ctx: EditContext, change: RecordPut): PutResult {
  const { section } = change;
  const id = change.entry.id;
  const what = `${RECORD_NOUN[section]} ${id}`;
  const created = !exists(ctx.db, section, id);
  if (section === 'credentials' && DERIVED_ID.test(id)) {
    refuse(what, [
      {
        field: 'id',
        message:
          'ids ending in #idcard or #plate are the credentials a person ID number or a vehicle plate implies: change that person or vehicle, or revoke the credential',
      },
    ]);
  }
  const entry = section === 'persons' ? keepPersonalData(ctx.db, change.entry) : change.entry;
  const ownKind = OWN_KIND[section];
  const held = (kind: CredentialKind, value: string) =>
    kind === ownKind &&
    ctx.db
      .prepare('SELECT 1 FROM reg_credentials WHERE kind = ? AND value = ? AND holder_id = ?')
      .get(kind, value, id) !== undefined;
  const records = prepareOne(ctx, { version: 1, [section]: [entry] }, withOwnCredentials(ctx.db, held), what);
  const problems = section === 'persons' || section === 'households' ? referrersOfChange(ctx.db, change) : [];
  if (problems.length > 0) refuse(what, problems);
  // The credential the ID number or plate implies stays as stored when the holder already has it,
  // with its validity and revocation (editing a person must not bring back a revoked ID card).
  records.credentials = records.credentials.filter((c) => !held(c.kind, c.value));
  ctx.writer.write(records, 'merge');
  return { id, created };
}

/**
 * A person's name and ID number are never handed out (the ID number is not even kept), so a
 * client cannot send them back: a change without them keeps the stored ones.
 */
function keepPersonalData(db: Db, entry: PersonEntry): PersonEntry {
  const stored = db
    .prepare<[string], { name: string | null; id_hash: string | null; id_masked: string | null }>(
      'SELECT name, id_hash, id_masked FROM reg_persons WHERE id = ?',
    )
    .get(entry.id);
  if (stored === undefined) return entry;
  const kept = { ...entry };
  if (kept.name === undefined && stored.name !== null) kept.name = stored.name;
  const given = kept.idNumber !== undefined || kept.idHash !== undefined;
  if (!given && stored.id_hash !== null && stored.id_masked !== null) {
    kept.idHash = stored.id_hash;
    kept.idMasked = stored.id_masked;
  }
  return kept;
}

/** Referrers that the changed fields of a stored person or household would leave dangling. */
function referrersOfChange(db: Db, change: RecordPut): Problem[] {
  if (change.section === 'persons') {
    // A designated member without a household is allowed (references.ts); one in another is not.
    const p = change.entry;
    if (p.householdId === undefined) return [];
    const designating = designatingHouseholds(db, p.id, p.householdId);
    if (designating.length === 0) return [];
    const list = designating.join(', ');
    return [{ field: 'householdId', message: `households ${list} designate this person: change them first` }];
  }
  if (change.section === 'households') {
    const h = change.entry;
    const stored = db
      .prepare<[string], { building: string; unit: string }>(
        'SELECT building, unit FROM reg_households WHERE id = ?',
      )
      .get(h.id);
    if (stored === undefined || (stored.building === h.building && stored.unit === h.unit)) return [];
    const field = stored.building === h.building ? 'unit' : 'building';
    return placeOrdersLeftEmpty(db, h.id, stored.building, stored.unit).map((message) => ({
      field,
      message,
    }));
  }
  return [];
}

/** The import machinery on one record: its problems named by their path inside the record. */
function prepareOne(
  ctx: EditContext,
  document: RegistryDocument,
  existing: ExistingRecords,
  what: string,
): RegistryRecords {
  const fragment: RegistryFragment = {
    document,
    fieldOf: (path: DocumentPath) => (path.length > 2 ? pathToField(path.slice(2)) : pathToField(path)),
  };
  try {
    return prepareImport(fragment, { key: ctx.key, timeZone: ctx.timeZone, now: ctx.now, existing });
  } catch (err) {
    if (!(err instanceof GatewardenError) || err.code !== 'REGISTRY_IMPORT_INVALID') throw err;
    throw new GatewardenError(err.code, `${what} refused, nothing written`, {
      problems: err.problems,
      cause: err,
    });
  }
}

/**
 * The store as the change of one holder sees it: a value that holder already holds (its ID card,
 * its plate, under any id) is not "already registered", as an explicit credential in the same
 * import would not be (`checkAndCombine`); `putRecord` then keeps the stored credential.
 */
function withOwnCredentials(db: Db, held: (kind: CredentialKind, value: string) => boolean): ExistingRecords {
  const stored = new StoredRecords(db);
  return {
    hasHousehold: (id) => stored.hasHousehold(id),
    person: (id) => stored.person(id),
    hasVehicle: (id) => stored.hasVehicle(id),
    credentialId: (kind, value) => (held(kind, value) ? undefined : stored.credentialId(kind, value)),
    hasBuilding: (building) => stored.hasBuilding(building),
    hasUnit: (building, unit) => stored.hasUnit(building, unit),
  };
}

/** Sets `revokedAt`; a credential already revoked at or before `at` keeps its instant. */
export function revokeCredential(ctx: EditContext, id: string, at: number): RevokeResult {
  const row = ctx.db
    .prepare<[string], Record<string, string | number | null>>('SELECT * FROM reg_credentials WHERE id = ?')
    .get(id);
  if (row === undefined) notFound('credentials', id);
  const credential = credentialFromRow(row);
  if (credential.revokedAt !== undefined && credential.revokedAt <= at) return { credential, changed: false };
  const revoked = { ...credential, revokedAt: at };
  ctx.writer.writeCredential(revoked);
  return { credential: revoked, changed: true };
}

/**
 * Removes one record, refused (`REGISTRY_IN_USE`, one problem per kind of referrer) while
 * anything refers to it. A person's `idcard` credentials and a vehicle's `plate` credentials
 * are part of it and go with it.
 */
export function removeRecord(ctx: EditContext, section: EditableSection, id: string): RemoveResult {
  const { db } = ctx;
  if (!exists(db, section, id)) notFound(section, id);
  const referrers = referrersOf(db, section, id);
  if (referrers.length > 0) {
    throw new GatewardenError(
      'REGISTRY_IN_USE',
      `${RECORD_NOUN[section]} ${id} is still referred to, nothing removed`,
      {
        problems: referrers.map((message) => ({ field: 'id', message })),
      },
    );
  }
  const ownKind = OWN_KIND[section];
  const credentials =
    ownKind === undefined
      ? 0
      : db.prepare('DELETE FROM reg_credentials WHERE holder_id = ? AND kind = ?').run(id, ownKind).changes;
  db.prepare(`DELETE FROM ${TABLE[section]} WHERE id = ?`).run(id);
  return { id, credentials };
}

function referrersOf(db: Db, section: EditableSection, id: string): string[] {
  switch (section) {
    case 'households':
      return householdReferrers(db, id);
    case 'persons':
      return personReferrers(db, id);
    case 'vehicles':
      return [];
    case 'credentials': {
      const row = db
        .prepare<[string], Record<string, string | number | null>>(
          'SELECT * FROM reg_credentials WHERE id = ?',
        )
        .get(id);
      const implied = row === undefined ? undefined : impliedBy(db, credentialFromRow(row));
      return implied === undefined ? [] : [implied];
    }
  }
}

/**
 * A merge import's credentials without the derived ones (a person's ID card, a vehicle's plate)
 * that the holder already has in the store with the same value: those stay as stored, with
 * their validity and revocation. Re-importing a roster must not bring back a revoked ID card.
 */
export function keepStoredDerived(db: Db, records: RegistryRecords): RegistryRecords {
  const stored = db.prepare<[string, string, string, string], 1>(
    'SELECT 1 FROM reg_credentials WHERE id = ? AND kind = ? AND value = ? AND holder_id = ?',
  );
  const isDerived = (c: Credential) =>
    c.id === derivedIdcardId(c.holderId) || c.id === derivedPlateId(c.holderId);
  return {
    ...records,
    credentials: records.credentials.filter(
      (c) => !(isDerived(c) && stored.get(c.id, c.kind, c.value, c.holderId) !== undefined),
    ),
  };
}
