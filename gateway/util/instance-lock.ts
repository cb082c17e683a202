import Database from 'better-sqlite3';
import { GatewardenError } from '../errors.js';

/**
 * One running gateway per database. Two `gatewarden start` on one data directory would both
 * drive the gate, both answer the same readers, and both land (twice) what the held-entries
 * spill keeps; a restart that overlaps the old process's stop would do the same for seconds.
 *
 * How: an exclusive SQLite transaction on a small lock database beside the journal
 * (`<database>.lock`), held open for the life of the process. SQLite's lock is the operating
 * system's, released when the process ends however it ends (crash, kill -9, power cut): there is
 * no stale lock file to clean up. CLI commands do not take it: they share the journal with the
 * running gateway, as designed.
 */
export class InstanceLock {
  private constructor(private readonly db: Database.Database) {}

  /** Takes the lock at `path`, or throws GATEWAY_RUNNING when another process holds it. */
  static acquire(path: string): InstanceLock {
    const db = new Database(path, { timeout: 0 });
    try {
      db.pragma('locking_mode = EXCLUSIVE');
      db.exec('BEGIN EXCLUSIVE');
      return new InstanceLock(db);
    } catch (cause) {
      db.close();
      if ((cause as { code?: string }).code !== 'SQLITE_BUSY') throw cause;
      throw new GatewardenError(
        'GATEWAY_RUNNING',
        `another gateway is running on this database (its lock ${path} is held): stop it before starting this one`,
        { cause },
      );
    }
  }

  release(): void {
    if (this.db.open) this.db.close();
  }
}
