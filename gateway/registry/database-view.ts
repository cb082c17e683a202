import type { Statement } from 'better-sqlite3';
import type { Db } from '../db.js';
import type {
  BuildingEntrance,
  Credential,
  CredentialKind,
  HighRiskRegion,
  Household,
  Person,
  QuarantineOrder,
  Vehicle,
  VisitorRegistration,
} from '../domain/model.js';
import type { Holder, RegistryView } from '../rules/types.js';
import { HOUSEHOLD_IDS, SUBJECT_IDS } from './dense-ids.js';
import { OrderIndex, pushAll } from './order-index.js';
import {
  credentialFromRow,
  householdFromRow,
  orderFromRow,
  personFromRow,
  regionFromRow,
  vehicleFromRow,
  visitorFromRow,
} from './store-read.js';
import { HOUSEHOLD_COLUMNS, VEHICLE_COLUMNS } from './store-schema.js';

type Row = Record<string, string | number | null>;

const NONE: readonly never[] = Object.freeze([]);

/** Holders kept by the view: the people who pass often are answered without a query. */
export const HOLDER_CACHE_ENTRIES = 4096;

/**
 * The registry answered from SQLite, for registries too large to hold in memory whole
 * (docs/registry.md "Registry views"): every `RegistryView` question is one or a few point
 * queries on the registry's indexes, through statements prepared once. Quarantine orders and
 * high-risk regions, which are few and which seals and travel checks scan, are read into memory
 * when the view is made.
 *
 * It answers exactly as a `RegistrySnapshot` of the same tables does (the same entities, the
 * same orders in the same order; test/property/registry-views.test.ts), with one difference
 * that decisions do not see: the snapshot gives every person a dense index when it is built,
 * the view when a credential of theirs is first looked up.
 *
 * Like the snapshot, a view stands for the registry as it was when made: the last
 * `HOLDER_CACHE_ENTRIES` holders looked up and the orders are kept, so a registry change must
 * be followed by a new view (Site.reloadRegistry), which the journal's registry entries do.
 */
export class DatabaseRegistryView implements RegistryView {
  private readonly q: Record<
    'holder' | 'plate' | 'person' | 'household' | 'vehicle' | 'visitors' | 'workcerts',
    Statement<unknown[], Row>
  >;
  private readonly orders: OrderIndex;
  private readonly regions = new Map<string, HighRiskRegion>();
  /** Least recently used first (a Map keeps insertion order). Key: kind, NUL, value. */
  private readonly holders = new Map<string, Holder>();

  constructor(db: Db) {
    const p = (sql: string) => db.prepare<unknown[], Row>(sql);
    this.q = {
      // A credential with its holder and their household in one query: each is a point lookup
      // on a primary key. A plate's holder is a vehicle, whatever person has the same id.
      holder: p(
        `SELECT c.*, ${prefixed('p', PERSON_COLUMNS)}, ${prefixed('h', HOUSEHOLD_COLUMNS)}
         FROM reg_credentials c
         LEFT JOIN reg_persons p ON p.id = c.holder_id
         LEFT JOIN reg_households h ON h.id = p.household_id
         WHERE c.kind = ? AND c.value = ?`,
      ),
      plate: p(
        `SELECT c.*, ${prefixed('v', VEHICLE_COLUMNS)}
         FROM reg_credentials c LEFT JOIN reg_vehicles v ON v.id = c.holder_id
         WHERE c.kind = 'plate' AND c.value = ?`,
      ),
      person: p(`SELECT ${PERSON_COLUMNS.join(', ')} FROM reg_persons WHERE id = ?`),
      household: p('SELECT * FROM reg_households WHERE id = ?'),
      vehicle: p('SELECT * FROM reg_vehicles WHERE id = ?'),
      visitors: p('SELECT * FROM reg_visitor_registrations WHERE person_id = ? ORDER BY rowid'),
      workcerts: p(
        "SELECT valid_from, valid_until, revoked_at FROM reg_credentials WHERE holder_id = ? AND kind = 'workcert'",
      ),
    };
    const all = (sql: string) => db.prepare<[], Row>(sql).all();
    this.orders = new OrderIndex(all('SELECT * FROM reg_quarantine_orders ORDER BY rowid').map(orderFromRow));
    for (const r of all('SELECT code, since, until FROM reg_high_risk_regions')) {
      const region = regionFromRow(r);
      this.regions.set(region.code, region);
    }
  }

  credential(kind: CredentialKind, value: string): Credential | undefined {
    return this.holder(kind, value)?.credential;
  }

  holder(kind: CredentialKind, value: string): Holder | undefined {
    const key = `${kind}\u0000${value}`;
    const cached = this.holders.get(key);
    if (cached !== undefined) {
      this.holders.delete(key);
      this.holders.set(key, cached);
      return cached;
    }
    const row = kind === 'plate' ? this.q.plate.get(value) : this.q.holder.get(kind, value);
    if (row === undefined) return undefined;
    const holder = kind === 'plate' ? this.linkPlate(row) : this.linkPerson(row);
    if (this.holders.size >= HOLDER_CACHE_ENTRIES) {
      const oldest = this.holders.keys().next().value;
      if (oldest !== undefined) this.holders.delete(oldest);
    }
    this.holders.set(key, holder);
    return holder;
  }

  person(id: string): Person | undefined {
    const row = this.q.person.get(id);
    return row === undefined ? undefined : personFromRow(row, false);
  }

  household(id: string): Household | undefined {
    const row = this.q.household.get(id);
    return row === undefined ? undefined : householdFromRow(row);
  }

  vehicle(id: string): Vehicle | undefined {
    const row = this.q.vehicle.get(id);
    return row === undefined ? undefined : vehicleFromRow(row);
  }

  visitorRegistrations(personId: string): readonly VisitorRegistration[] {
    const rows = this.q.visitors.all(personId);
    return rows.length === 0 ? NONE : rows.map(visitorFromRow);
  }

  /** Any state (active, expired, lifted): the rules judge time. */
  quarantineOrders(person: Person): readonly QuarantineOrder[] {
    const own = this.orders.person(person.id);
    if (person.householdId === undefined) return own ?? NONE;
    const household = this.orders.noneShared ? undefined : this.household(person.householdId);
    return this.merge(
      own,
      household ? this.orders.shared(household) : this.orders.household(person.householdId),
    );
  }

  entranceOrders(entrance: BuildingEntrance): readonly QuarantineOrder[] {
    return this.orders.entrance(entrance);
  }

  highRiskRegion(code: string): HighRiskRegion | undefined {
    return this.regions.get(code);
  }

  /** Valid means `validFrom ≤ at < validUntil` (open bounds when absent) and not revoked at or before `at`. */
  hasValidWorkCertificate(personId: string, at: number): boolean {
    for (const c of this.q.workcerts.all(personId)) {
      if (c.valid_from != null && at < Number(c.valid_from)) continue;
      if (c.valid_until != null && at >= Number(c.valid_until)) continue;
      if (c.revoked_at != null && at >= Number(c.revoked_at)) continue;
      return true;
    }
    return false;
  }

  /** The same Holder the snapshot links for a plate (snapshot.ts `link`). */
  private linkPlate(row: Row): Holder {
    const vehicle = row.v_id === null ? undefined : vehicleFromRow(unprefixed(row, 'v', VEHICLE_COLUMNS));
    return {
      credential: credentialFromRow(row),
      person: undefined,
      household: undefined,
      vehicle,
      orders: NONE,
      subjectIndex: vehicle === undefined ? -1 : SUBJECT_IDS.indexOf(vehicle.id),
      householdIndex: -1,
    };
  }

  /** The same Holder the snapshot links for a person's credential (snapshot.ts `link`). */
  private linkPerson(row: Row): Holder {
    const person = row.p_id === null ? undefined : personFromRow(unprefixed(row, 'p', PERSON_COLUMNS), false);
    const household =
      row.h_id === null ? undefined : householdFromRow(unprefixed(row, 'h', HOUSEHOLD_COLUMNS));
    // As the snapshot: the orders reaching a household count only when the household exists.
    const orders =
      person === undefined
        ? NONE
        : this.merge(this.orders.person(person.id), household && this.orders.shared(household));
    return {
      credential: credentialFromRow(row),
      person,
      household,
      vehicle: undefined,
      orders,
      subjectIndex: person === undefined ? -1 : SUBJECT_IDS.indexOf(person.id),
      householdIndex: household === undefined ? -1 : HOUSEHOLD_IDS.indexOf(household.id),
    };
  }

  private merge(
    own: readonly QuarantineOrder[] | undefined,
    shared: readonly QuarantineOrder[] | undefined,
  ): readonly QuarantineOrder[] {
    if (own && shared) {
      const found: QuarantineOrder[] = [];
      pushAll(found, own);
      pushAll(found, shared);
      return found;
    }
    return own ?? shared ?? NONE;
  }
}

/** The columns the snapshot reads (store-read.ts readSnapshotInput): no names, no ID hashes. */
const PERSON_COLUMNS = ['id', 'kind', 'household_id', 'shifts'];

/** `p.id AS p_id, p.kind AS p_kind, …`: a joined table's columns under names of their own. */
function prefixed(table: string, columns: readonly string[]): string {
  return columns.map((c) => `${table}.${c} AS ${table}_${c}`).join(', ');
}

/** The joined table's row, under its own column names again. */
function unprefixed(row: Row, table: string, columns: readonly string[]): Row {
  const out: Row = {};
  for (const c of columns) out[c] = row[`${table}_${c}`] ?? null;
  return out;
}
