import type { Db } from '../db.js';
import type { Section } from './document.js';
import { formatInstant } from './instant.js';
import {
  credentialFromRow,
  householdFromRow,
  orderFromRow,
  personFromRow,
  regionFromRow,
  vehicleFromRow,
  visitorFromRow,
} from './store-read.js';

/** One row for a screen or the CLI: flat, masked, instants in the site time zone. */
export type ListedRow = Readonly<Record<string, string | number | null>>;

export interface Page {
  /** Default 50, at most 1000. */
  limit?: number;
  offset?: number;
}

const TABLES: Record<Section, { table: string; order: string }> = {
  households: { table: 'reg_households', order: 'id' },
  persons: { table: 'reg_persons', order: 'id' },
  credentials: { table: 'reg_credentials', order: 'id' },
  visitors: { table: 'reg_visitor_registrations', order: 'id' },
  quarantineOrders: { table: 'reg_quarantine_orders', order: 'id' },
  highRiskRegions: { table: 'reg_high_risk_regions', order: 'code' },
  vehicles: { table: 'reg_vehicles', order: 'id' },
};

/** `张三丰` → `张**`: the first character, the rest masked (names are personal data). */
export function maskName(name: string): string {
  const chars = [...name.trim()];
  return chars.length === 0 ? '' : `${chars[0]}${'*'.repeat(chars.length - 1)}`;
}

/**
 * A page of one section, for display. Names are masked, ID numbers appear only masked, and
 * `idcard` values (keyed hashes) are shortened: enough to tell rows apart, nothing to copy.
 */
export function listSection(db: Db, section: Section, page: Page, timeZone: string): ListedRow[] {
  const { table, order } = TABLES[section];
  const limit = Math.min(Math.max(Math.trunc(page.limit ?? 50), 0), 1000);
  const offset = Math.max(Math.trunc(page.offset ?? 0), 0);
  const rows = db
    .prepare<[number, number], Row>(`SELECT * FROM ${table} ORDER BY ${order} LIMIT ? OFFSET ?`)
    .all(limit, offset);
  const at = (ms: number | undefined) => (ms === undefined ? null : formatInstant(ms, timeZone));
  return rows.map((row) => LIST_ROW[section](row, at));
}

/** One row by its id (code for regions), as `listSection` shows it; undefined when there is none. */
export function listRow(db: Db, section: Section, id: string, timeZone: string): ListedRow | undefined {
  const { table, order: key } = TABLES[section];
  const row = db.prepare<[string], Row>(`SELECT * FROM ${table} WHERE ${key} = ?`).get(id);
  const at = (ms: number | undefined) => (ms === undefined ? null : formatInstant(ms, timeZone));
  return row === undefined ? undefined : LIST_ROW[section](row, at);
}

type Row = Record<string, string | number | null>;
type At = (ms: number | undefined) => string | null;
const list = (xs: readonly string[]) => xs.join(',');

/** One formatter per section: what a screen may show of a row. */
const LIST_ROW: Record<Section, (row: Row, at: At) => ListedRow> = {
  households: (row) => {
    const h = householdFromRow(row);
    return {
      id: h.id,
      building: h.building,
      unit: h.unit,
      room: h.room,
      designated: list(h.designatedMemberIds),
    };
  },
  persons: (row) => {
    const p = personFromRow(row, true);
    return {
      id: p.id,
      kind: p.kind,
      household: p.householdId ?? null,
      name: p.name === undefined ? null : maskName(p.name),
      idNumber: p.idMasked ?? null,
      shifts: p.shifts ? list(p.shifts) : null,
    };
  },
  credentials: (row, at) => {
    const c = credentialFromRow(row);
    return {
      id: c.id,
      kind: c.kind,
      value: c.kind === 'idcard' ? `${c.value.slice(0, 8)}…` : c.value,
      holder: c.holderId,
      validFrom: at(c.validFrom),
      validUntil: at(c.validUntil),
      revokedAt: at(c.revokedAt),
    };
  },
  visitors: (row, at) => {
    const v = visitorFromRow(row);
    return {
      id: v.id,
      person: v.personId,
      escorts: list(v.escortIds),
      host: v.hostHouseholdId ?? null,
      validFrom: at(v.validFrom),
      validUntil: at(v.validUntil),
      travel: list(v.travel.map((t) => t.region)),
    };
  },
  quarantineOrders: (row, at) => {
    const q = orderFromRow(row);
    const target = Object.entries(q.target)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    return { id: q.id, kind: q.kind, target, from: at(q.from), until: at(q.until), liftedAt: at(q.liftedAt) };
  },
  highRiskRegions: (row, at) => {
    const r = regionFromRow(row);
    return { code: r.code, name: r.name ?? null, since: at(r.since), until: at(r.until) };
  },
  vehicles: (row, at) => {
    const v = vehicleFromRow(row);
    return {
      id: v.id,
      plate: v.plate,
      kind: v.kind,
      household: v.householdId ?? null,
      owner: v.ownerId ?? null,
      permit: v.permit ? `${at(v.permit.validFrom) ?? '…'} – ${at(v.permit.validUntil) ?? '…'}` : null,
      disinfectedAt: at(v.disinfectedAt),
    };
  },
};
