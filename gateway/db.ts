import { chmodSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { GatewardenError } from './errors.js';

export type Db = Database.Database;

/**
 * Opens the gateway's SQLite database with the settings the journal's durability depends on:
 * WAL, `synchronous = FULL` (a committed append survives a power cut), foreign keys on.
 * Modules create their own tables with `CREATE TABLE IF NOT EXISTS` on first use.
 *
 * The database holds residents' names and the journal: its folder is made owner-only (0700)
 * and the file is kept owner-only (0600; SQLite gives its -wal and -shm files the same mode),
 * whatever the umask. A file this user does not own is left as it is.
 */
export function openDatabase(path: string): Db {
  try {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const db = new Database(path);
    if (path !== ':memory:') ownerOnly(path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    return db;
  } catch (cause) {
    throw new GatewardenError(
      'DATABASE_UNAVAILABLE',
      `cannot open database ${path}: ${(cause as Error).message}`,
      {
        cause,
      },
    );
  }
}

function ownerOnly(path: string): void {
  try {
    chmodSync(path, 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') throw err;
  }
}
