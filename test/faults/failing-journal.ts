/**
 * A real journal over an in-memory SQLite whose appends fail while `disk.full` is set, the way
 * better-sqlite3 reports a full data directory (an Error with `code` SQLITE_FULL, nothing
 * written). `disk.code` changes the code, to try other errors. The databases are closed by
 * `closeFailingJournals()` (afterEach).
 */
import { type Db, openDatabase } from '../../gateway/db.js';
import { type AppendItem, Journal } from '../../gateway/journal/journal.js';

const open: Db[] = [];

export function failingJournal(): { db: Db; journal: Journal; disk: { full: boolean; code: string } } {
  const db = openDatabase(':memory:');
  open.push(db);
  const journal = Journal.open(db);
  const disk = { full: false, code: 'SQLITE_FULL' };
  const appendMany = journal.appendMany.bind(journal);
  // `append` goes through `appendMany`, so both fail.
  Object.assign(journal, {
    appendMany: (items: readonly AppendItem[]) => {
      if (disk.full) throw Object.assign(new Error('database or disk is full'), { code: disk.code });
      return appendMany(items);
    },
  });
  return { db, journal, disk };
}

export function closeFailingJournals(): void {
  for (const db of open.splice(0)) if (db.open) db.close();
}
