import type { Db } from '../db.js';
import type { Credential } from '../domain/model.js';

/**
 * Who in the store still refers to a record: the reverse of the import's reference checks
 * (`references.ts`). A single-record change or removal must leave a registry whose export
 * imports again, so each referrer found here is a reason to refuse it. Every answer is a list of
 * messages naming the referring records by id (never a name or an ID number), empty when none.
 */

/** How many referring ids a message names before it only counts the rest. */
const NAMED = 10;

function ids(db: Db, sql: string, ...params: string[]): string[] {
  return db
    .prepare<string[], { id: string }>(sql)
    .all(...params)
    .map((r) => r.id);
}

/** `what: a, b, c` or `what: a, b … and 12 more`, or nothing when `found` is empty. */
function named(what: string, found: readonly string[]): string[] {
  if (found.length === 0) return [];
  const more = found.length > NAMED ? ` … and ${found.length - NAMED} more` : '';
  return [`${what}: ${found.slice(0, NAMED).join(', ')}${more}`];
}

/**
 * Quarantine orders on a building, or on a unit of it, that would target no household once
 * household `id` is gone from (`building`, `unit`): the import refuses such targets.
 */
export function placeOrdersLeftEmpty(db: Db, id: string, building: string, unit: string): string[] {
  const others = (sql: string, ...params: string[]) =>
    db.prepare(`SELECT 1 FROM reg_households WHERE ${sql} AND id <> ? LIMIT 1`).get(...params, id) !==
    undefined;
  const orders: string[] = [];
  if (!others('building = ?', building)) {
    orders.push(
      ...ids(
        db,
        'SELECT id FROM reg_quarantine_orders WHERE target_building = ? AND target_unit IS NULL ORDER BY id',
        building,
      ),
    );
  }
  if (!others('building = ? AND unit = ?', building, unit)) {
    orders.push(
      ...ids(
        db,
        'SELECT id FROM reg_quarantine_orders WHERE target_building = ? AND target_unit = ? ORDER BY id',
        building,
        unit,
      ),
    );
  }
  return named(`quarantine orders on its building or unit, which would have no household left`, orders);
}

/** Who refers to household `id`: members, vehicles, visits it hosts, orders on it or on its place. */
export function householdReferrers(db: Db, id: string): string[] {
  const place = db
    .prepare<[string], { building: string; unit: string }>(
      'SELECT building, unit FROM reg_households WHERE id = ?',
    )
    .get(id);
  return [
    ...named('its members', ids(db, 'SELECT id FROM reg_persons WHERE household_id = ? ORDER BY id', id)),
    ...named('its vehicles', ids(db, 'SELECT id FROM reg_vehicles WHERE household_id = ? ORDER BY id', id)),
    ...named(
      'visitor registrations it hosts',
      ids(db, 'SELECT id FROM reg_visitor_registrations WHERE host_household_id = ? ORDER BY id', id),
    ),
    ...named(
      'quarantine orders on it',
      ids(db, 'SELECT id FROM reg_quarantine_orders WHERE target_household = ? ORDER BY id', id),
    ),
    ...(place === undefined ? [] : placeOrdersLeftEmpty(db, id, place.building, place.unit)),
  ];
}

/** Households that name person `id` a designated member, except `except` (its new household). */
export function designatingHouseholds(db: Db, id: string, except?: string): string[] {
  return ids(
    db,
    `SELECT DISTINCT h.id AS id FROM reg_households h, json_each(h.designated_member_ids) j
     WHERE j.value = ? AND h.id <> ? ORDER BY h.id`,
    id,
    except ?? '',
  );
}

/**
 * Who refers to person `id`. Its `idcard` credentials are not referrers: they are the keyed
 * hash of its own ID number and go with it.
 */
export function personReferrers(db: Db, id: string): string[] {
  return [
    ...named('households that designate it', designatingHouseholds(db, id)),
    ...named(
      'credentials it holds',
      ids(
        db,
        `SELECT id FROM reg_credentials WHERE holder_id = ? AND kind NOT IN ('idcard', 'plate') ORDER BY id`,
        id,
      ),
    ),
    ...named(
      'its visitor registrations',
      ids(db, 'SELECT id FROM reg_visitor_registrations WHERE person_id = ? ORDER BY id', id),
    ),
    ...named(
      'visitor registrations it escorts',
      ids(
        db,
        `SELECT DISTINCT v.id AS id FROM reg_visitor_registrations v, json_each(v.escort_ids) j
         WHERE j.value = ? ORDER BY v.id`,
        id,
      ),
    ),
    ...named('vehicles it owns', ids(db, 'SELECT id FROM reg_vehicles WHERE owner_id = ? ORDER BY id', id)),
    ...named(
      'quarantine orders on it',
      ids(db, 'SELECT id FROM reg_quarantine_orders WHERE target_person = ? ORDER BY id', id),
    ),
  ];
}

/**
 * Why credential `c` cannot go on its own: it is what its holder's ID number (an `idcard` with
 * the person's hash) or plate (a `plate` equal to the vehicle's) implies, and the next import or
 * change of that holder would bring it back. Undefined when it is a credential of its own.
 */
export function impliedBy(db: Db, c: Credential): string | undefined {
  if (c.kind === 'idcard') {
    const person = db
      .prepare('SELECT 1 FROM reg_persons WHERE id = ? AND id_hash = ?')
      .get(c.holderId, c.value);
    if (person !== undefined)
      return `it is the ID card of person ${c.holderId}: revoke it, or remove or change the person`;
  }
  if (c.kind === 'plate') {
    const vehicle = db
      .prepare('SELECT 1 FROM reg_vehicles WHERE id = ? AND plate = ?')
      .get(c.holderId, c.value);
    if (vehicle !== undefined)
      return `it is the plate of vehicle ${c.holderId}: revoke it, or remove or change the vehicle`;
  }
  return undefined;
}
