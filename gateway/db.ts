import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { GatewardenError } from './errors.js';

export type Db = Database.Database;

/**
 * Opens the gateway's SQLite database with the settings the journal's durability depends on:
 * WAL, `synchronous = FULL` (a committed append survives a power cut), foreign keys on.
 * Modules create their own tables with `CREATE TABLE IF NOT EXISTS` on first use.
 */
export function openDatabase(path: string): Db {
  try {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const db = new Database(path);
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
