import type { Db } from '../db.js';

/**
 * The registry's tables. Instants are epoch ms (INTEGER), lists are JSON text. Persons keep the
 * keyed hash and the masked form of their ID number, never the number. References between
 * tables are checked by the import (`references.ts`), not by foreign keys, so that a replace can
 * empty and refill the tables in any order inside its one transaction.
 */
const DDL = `
CREATE TABLE IF NOT EXISTS reg_households (
  id TEXT PRIMARY KEY,
  building TEXT NOT NULL,
  unit TEXT NOT NULL,
  room TEXT NOT NULL,
  designated_member_ids TEXT NOT NULL DEFAULT '[]',
  quota_exits INTEGER,
  quota_period_ms INTEGER
);
CREATE INDEX IF NOT EXISTS reg_households_unit ON reg_households (building, unit);
CREATE TABLE IF NOT EXISTS reg_persons (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  household_id TEXT,
  name TEXT,
  id_hash TEXT,
  id_masked TEXT,
  shifts TEXT
);
-- Who refers to a household or a person: checked before a removal (store-referrers.ts).
CREATE INDEX IF NOT EXISTS reg_persons_household ON reg_persons (household_id);
CREATE TABLE IF NOT EXISTS reg_credentials (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  value TEXT NOT NULL,
  holder_id TEXT NOT NULL,
  valid_from INTEGER,
  valid_until INTEGER,
  revoked_at INTEGER,
  UNIQUE (kind, value)
);
CREATE INDEX IF NOT EXISTS reg_credentials_holder ON reg_credentials (holder_id);
CREATE TABLE IF NOT EXISTS reg_visitor_registrations (
  id TEXT PRIMARY KEY,
  person_id TEXT NOT NULL,
  escort_ids TEXT NOT NULL DEFAULT '[]',
  host_household_id TEXT,
  purpose TEXT,
  valid_from INTEGER,
  valid_until INTEGER,
  travel TEXT NOT NULL DEFAULT '[]'
);
-- A person's registrations, for the database view (database-view.ts).
CREATE INDEX IF NOT EXISTS reg_visitor_registrations_person ON reg_visitor_registrations (person_id);
CREATE TABLE IF NOT EXISTS reg_quarantine_orders (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  target_person TEXT,
  target_household TEXT,
  target_building TEXT,
  target_unit TEXT,
  from_ms INTEGER NOT NULL,
  until_ms INTEGER NOT NULL,
  lifted_at INTEGER
);
CREATE TABLE IF NOT EXISTS reg_high_risk_regions (
  code TEXT PRIMARY KEY,
  name TEXT,
  since INTEGER,
  until INTEGER
);
CREATE TABLE IF NOT EXISTS reg_vehicles (
  id TEXT PRIMARY KEY,
  plate TEXT NOT NULL,
  kind TEXT NOT NULL,
  household_id TEXT,
  owner_id TEXT,
  has_permit INTEGER NOT NULL DEFAULT 0,
  permit_from INTEGER,
  permit_until INTEGER,
  disinfected_at INTEGER
);
CREATE INDEX IF NOT EXISTS reg_vehicles_household ON reg_vehicles (household_id);
`;

/** Table names in the order a replace empties them. */
export const REGISTRY_TABLES = [
  'reg_households',
  'reg_persons',
  'reg_credentials',
  'reg_visitor_registrations',
  'reg_quarantine_orders',
  'reg_high_risk_regions',
  'reg_vehicles',
] as const;

export function createRegistryTables(db: Db): void {
  db.exec(DDL);
}

/** Columns of reg_households and reg_vehicles, as written (store-write.ts) and joined (database-view.ts). */
export const HOUSEHOLD_COLUMNS = [
  'id',
  'building',
  'unit',
  'room',
  'designated_member_ids',
  'quota_exits',
  'quota_period_ms',
] as const;
export const VEHICLE_COLUMNS = [
  'id',
  'plate',
  'kind',
  'household_id',
  'owner_id',
  'has_permit',
  'permit_from',
  'permit_until',
  'disinfected_at',
] as const;

/** SQLite NULL for an absent optional value. */
export function orNull<T>(value: T | undefined): T | null {
  return value === undefined ? null : value;
}
