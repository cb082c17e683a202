import type { Db } from '../db.js';
import type { PersonKind, QuarantineOrder, VisitorRegistration } from '../domain/model.js';
import { PERSON_KINDS } from '../domain/model.js';
import { GatewardenError } from '../errors.js';
import type { RegistryView } from '../rules/types.js';
import { DatabaseRegistryView } from './database-view.js';
import type { RegistryDocument, Section } from './document.js';
import { recordsToDocument } from './export-document.js';
import { prepareImport, type RegistryImportInput } from './import.js';
import { assertTimeZone, DEFAULT_TIME_ZONE } from './instant.js';
import { NO_EXISTING_RECORDS } from './references.js';
import { RegistrySnapshot } from './snapshot.js';
import {
  checkNewQuarantine,
  liftQuarantineOrder,
  prepareVisitor,
  type VisitorRequest,
} from './store-changes.js';
import {
  type EditableSection,
  keepStoredDerived,
  type PutResult,
  putRecord,
  type RecordPut,
  type RemoveResult,
  type RevokeResult,
  removeRecord,
  revokeCredential,
} from './store-edit.js';
import { type ListedRow, listRow, listSection, type Page } from './store-list.js';
import { orderFromRow, readAllRecords, readSnapshotInput, StoredRecords } from './store-read.js';
import { createRegistryTables } from './store-schema.js';
import { RegistryWriter } from './store-write.js';
import { DATABASE_VIEW_ABOVE_PERSONS, type RegistryViewChoice, viewFor } from './view-choice.js';

export type { VisitorRequest } from './store-changes.js';
export {
  EDITABLE_SECTIONS,
  type EditableSection,
  type PutResult,
  RECORD_NOUN,
  type RecordPut,
  type RemoveResult,
  type RevokeResult,
} from './store-edit.js';
export type { ListedRow, Page } from './store-list.js';

export interface RegistryStoreOptions {
  /** The site's pseudonym key (`pseudonymKey(path)`): ID numbers are stored only as its HMAC. */
  key: Buffer;
  /** IANA zone for instants written without an offset, and for exports. Default Asia/Shanghai. */
  timeZone?: string;
  /** The clock, for ID birth-date checks. */
  now?: () => number;
}

export interface ImportOptions {
  /**
   * `merge`: records with a known id replace the stored one, others are added, nothing is
   * removed. `replace`: the registry becomes exactly the import; everything else, including
   * quarantine orders and visitor registrations not in it, is removed.
   */
  mode: 'merge' | 'replace';
  /** Called during the write phase every 10,000 records and at the end. */
  onProgress?: (done: number, total: number) => void;
  /** Problems reported in detail before the rest are only counted (default 100). */
  maxProblems?: number;
}

export type RegistryCounts = Record<Section, number> & { personsByKind: Record<PersonKind, number> };

/**
 * The registry in SQLite (`reg_*` tables). Every change is checked in full before anything is
 * written and then written in one transaction: an import either lands whole or not at all.
 * ID numbers never reach the database: persons keep the keyed hash and the masked form.
 *
 * Synchronous (better-sqlite3): a large import blocks the event loop for its duration, so the
 * gateway should run imports from the CLI process and reload its snapshot afterwards.
 */
export class RegistryStore {
  private readonly writer: RegistryWriter;
  private readonly timeZone: string;
  private readonly now: () => number;

  constructor(
    private readonly db: Db,
    private readonly options: RegistryStoreOptions,
  ) {
    this.timeZone = options.timeZone ?? DEFAULT_TIME_ZONE;
    assertTimeZone(this.timeZone);
    this.now = options.now ?? Date.now;
    createRegistryTables(db);
    this.writer = new RegistryWriter(db);
  }

  /** Throws GatewardenError `REGISTRY_IMPORT_INVALID` with every problem; then nothing is written. */
  import(input: RegistryImportInput, options: ImportOptions): RegistryCounts {
    const existing = options.mode === 'merge' ? new StoredRecords(this.db) : NO_EXISTING_RECORDS;
    const importOptions = { key: this.options.key, timeZone: this.timeZone, now: this.now(), existing };
    const records = prepareImport(
      input,
      options.maxProblems === undefined
        ? importOptions
        : { ...importOptions, maxProblems: options.maxProblems },
    );
    this.transaction(() =>
      this.writer.write(
        options.mode === 'merge' ? keepStoredDerived(this.db, records) : records,
        options.mode,
        options.onProgress,
      ),
    );
    return this.counts();
  }

  /** The whole registry as a document; names only when `includeNames`. Never raw ID numbers. */
  export(options: { includeNames?: boolean } = {}): RegistryDocument {
    const includeNames = options.includeNames ?? false;
    return recordsToDocument(readAllRecords(this.db, includeNames), {
      timeZone: this.timeZone,
      includeNames,
    });
  }

  /** A page of one section, masked for display. */
  list(section: Section, page: Page = {}): ListedRow[] {
    return listSection(this.db, section, page, this.timeZone);
  }

  /** One row by id (code for regions), masked as `list` shows it. */
  row(section: Section, id: string): ListedRow | undefined {
    return listRow(this.db, section, id, this.timeZone);
  }

  /**
   * Creates or replaces one household, person, credential or vehicle, checked as a one-record
   * merge import (store-edit.ts). A person's name and ID number, when left out, are kept.
   */
  put(change: RecordPut): PutResult {
    return this.transaction(() => putRecord(this.editContext(), change));
  }

  /** Removes one record; refused (`REGISTRY_IN_USE`) while another still refers to it. */
  remove(section: EditableSection, id: string): RemoveResult {
    return this.transaction(() => removeRecord(this.editContext(), section, id));
  }

  /** Revokes a credential from `at` (epoch ms); an earlier revocation stays. */
  revokeCredential(id: string, at: number): RevokeResult {
    return this.transaction(() => revokeCredential(this.editContext(), id, at));
  }

  addQuarantine(order: QuarantineOrder): void {
    checkNewQuarantine(this.db, order, new StoredRecords(this.db));
    this.transaction(() => this.writer.writeOrder(order));
  }

  /** All orders, or those in force at `activeAt` (from ≤ t < until, not lifted at t). */
  listQuarantines(filter: { activeAt?: number } = {}): QuarantineOrder[] {
    const rows = this.db
      .prepare<[], Record<string, string | number | null>>('SELECT * FROM reg_quarantine_orders ORDER BY id')
      .all();
    const orders = rows.map(orderFromRow);
    const t = filter.activeAt;
    if (t === undefined) return orders;
    return orders.filter((q) => q.from <= t && t < q.until && (q.liftedAt === undefined || t < q.liftedAt));
  }

  /** Throws `REGISTRY_NOT_FOUND` for an unknown id. Lifting twice keeps the first instant. */
  liftQuarantine(id: string, at: number): QuarantineOrder {
    return this.transaction(() => liftQuarantineOrder(this.db, id, at));
  }

  /** Registers a visitor (a new person with an `idcard` credential when the ID number is new). */
  registerVisitor(request: VisitorRequest): VisitorRegistration {
    const context = { key: this.options.key, now: this.now(), existing: new StoredRecords(this.db) };
    const change = prepareVisitor(this.db, request, context);
    this.transaction(() => {
      if (change.person) this.writer.writePerson(change.person);
      if (change.credential) this.writer.writeCredential(change.credential);
      this.writer.writeVisitor(change.registration);
    });
    return change.registration;
  }

  /** Everything the rules read, in memory. */
  loadSnapshot(): RegistrySnapshot {
    return new RegistrySnapshot(readSnapshotInput(this.db));
  }

  /** What the rules read, as `registry.view` chooses (view-choice.ts): a snapshot or a database view. */
  loadView(choice: RegistryViewChoice): RegistryView {
    // Counted only as far as the threshold: a whole COUNT(*) scans every person's index entry.
    const persons =
      choice === 'auto'
        ? (
            this.db
              .prepare('SELECT COUNT(*) AS n FROM (SELECT 1 FROM reg_persons LIMIT ?)')
              .get(DATABASE_VIEW_ABOVE_PERSONS + 1) as { n: number }
          ).n
        : 0;
    return viewFor(choice, persons) === 'database' ? new DatabaseRegistryView(this.db) : this.loadSnapshot();
  }

  counts(): RegistryCounts {
    const count = (table: string) =>
      (this.db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
    const personsByKind = Object.fromEntries(PERSON_KINDS.map((k) => [k, 0])) as Record<PersonKind, number>;
    for (const row of this.db
      .prepare<[], { kind: PersonKind; n: number }>(
        'SELECT kind, COUNT(*) AS n FROM reg_persons GROUP BY kind',
      )
      .all()) {
      personsByKind[row.kind] = row.n;
    }
    return {
      households: count('reg_households'),
      persons: count('reg_persons'),
      credentials: count('reg_credentials'),
      visitors: count('reg_visitor_registrations'),
      quarantineOrders: count('reg_quarantine_orders'),
      highRiskRegions: count('reg_high_risk_regions'),
      vehicles: count('reg_vehicles'),
      personsByKind,
    };
  }

  private editContext() {
    return {
      db: this.db,
      writer: this.writer,
      key: this.options.key,
      timeZone: this.timeZone,
      now: this.now(),
    };
  }

  /**
   * Runs `write` in one IMMEDIATE transaction (the write lock is taken up front, so no other
   * writer can slip in between its statements). A constraint failure rolls everything back and
   * is reported as a refused change.
   */
  private transaction<T>(write: () => T): T {
    try {
      return this.db.transaction(write).immediate();
    } catch (cause) {
      const code = (cause as { code?: unknown }).code;
      if (typeof code === 'string' && code.startsWith('SQLITE_CONSTRAINT')) {
        throw new GatewardenError(
          'REGISTRY_IMPORT_INVALID',
          `registry change refused, nothing written: ${(cause as Error).message}`,
          { cause },
        );
      }
      throw cause;
    }
  }
}
