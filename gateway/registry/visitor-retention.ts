import type { Db } from '../db.js';

/**
 * Retention of visitors' identity data (docs/journal.md, Retention). A visitor whose every
 * registration ended before `olderThan` loses what identifies the person: the name, the keyed
 * hash and the masked form of the ID number, the travel record and purpose of the registrations,
 * and the ID-card credentials (their value is the keyed hash of the ID number). The person row,
 * the registrations' ids and times and the other credentials stay, so journal entries that name
 * the person id still resolve to "a visitor".
 *
 * Kept: a visitor with no registration (nothing dates the data) or with a registration without
 * an end (`valid_until` absent) or ending at or after `olderThan`.
 */
const PURGEABLE_VISITORS = `
  SELECT p.id AS id FROM reg_persons p
  WHERE p.kind = 'visitor'
    AND (p.name IS NOT NULL OR p.id_hash IS NOT NULL OR p.id_masked IS NOT NULL
         OR EXISTS (SELECT 1 FROM reg_credentials c WHERE c.holder_id = p.id AND c.kind = 'idcard'))
    AND EXISTS (SELECT 1 FROM reg_visitor_registrations r WHERE r.person_id = p.id)
    AND NOT EXISTS (SELECT 1 FROM reg_visitor_registrations r
                    WHERE r.person_id = p.id AND (r.valid_until IS NULL OR r.valid_until >= ?))`;

/** Purges the identity data of visitors whose registrations all ended before `olderThan`; returns how many. */
export function purgeVisitorIdentities(db: Db, olderThan: number): number {
  if (!tableExists(db, 'reg_persons')) return 0;
  const ids = db
    .prepare<[number], { id: string }>(PURGEABLE_VISITORS)
    .all(olderThan)
    .map((row) => row.id);
  const person = db.prepare(
    'UPDATE reg_persons SET name = NULL, id_hash = NULL, id_masked = NULL WHERE id = ?',
  );
  const registrations = db.prepare(
    "UPDATE reg_visitor_registrations SET travel = '[]', purpose = NULL WHERE person_id = ?",
  );
  const idCards = db.prepare("DELETE FROM reg_credentials WHERE holder_id = ? AND kind = 'idcard'");
  db.transaction(() => {
    for (const id of ids) {
      person.run(id);
      registrations.run(id);
      idCards.run(id);
    }
  })();
  return ids.length;
}

function tableExists(db: Db, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
}
