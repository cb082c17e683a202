/**
 * Sink cursors: each sink (InfluxDB, upstream MQTT, dashboard, ...) delivers the journal from
 * its own persisted position, so an outage only delays delivery and a crash loses nothing.
 *
 * Contract
 * - `position` is the last seq the sink has delivered and committed; 0 before the first commit.
 *   A cursor is registered (listed by `journal.cursors()`, at 0) the first time it is asked for.
 * - `pending(limit, types?)` returns up to `limit` entries after `position`, ascending. It does
 *   not move the cursor: calling it twice returns the same entries.
 * - `pendingBatch(limit, types?)` returns the same entries plus `throughSeq`, the seq up to which
 *   the journal was scanned. With a `types` filter this can be past the last returned entry (the
 *   skipped entries are of other types), so a filtering sink commits `throughSeq`, not the last
 *   entry's seq, or its lag would never reach 0.
 * - `commit(seq)` persists progress durably (same SQLite transaction guarantees as an append).
 *   Refused with a GatewardenError when `seq` is below the committed position (progress never
 *   goes backwards) or above the journal's last seq (nothing past it exists). Committing the
 *   current position again is a no-op, so a retried commit is harmless.
 * - `lag()` is `journal.lastSeq() - position`: entries not yet delivered (of any type).
 *
 * Delivery is at-least-once. A sink commits only after its upstream acknowledged the batch;
 * after a crash between the acknowledgement and the commit it re-reads from the committed
 * position and sends some entries again. Every payload it sends carries the entry's `seq` so the
 * upstream drops duplicates (InfluxDB points are keyed by tags and time; MQTT messages by seq).
 * A sink keeps at most one batch in flight per cursor: two overlapping drains would commit out
 * of order and the later, smaller commit is refused.
 *
 * Example (a sink that sends decisions and readings):
 *
 *   const cursor = journal.cursor('influx');
 *   async function drain(): Promise<void> {
 *     for (;;) {
 *       const { entries, throughSeq } = cursor.pendingBatch(500, ['decision', 'reading']);
 *       if (throughSeq === cursor.position) return;           // caught up
 *       if (entries.length > 0) await influx.write(entries);   // throws: retry later, same position
 *       cursor.commit(throughSeq);                             // only after the acknowledgement
 *     }
 *   }
 *   journal.on('append', () => scheduleDrain(), 'influx-sink'); // wake up on new entries
 */

import type { Db } from '../db.js';
import { GatewardenError } from '../errors.js';
import type { JournalEventType } from './events.js';
import type { AnyJournalEntry } from './journal.js';

/** What a cursor needs from the journal; `Journal` implements it. */
export interface CursorSource {
  lastSeq(): number;
  read<T extends JournalEventType = JournalEventType>(
    afterSeq: number,
    limit: number,
    types?: readonly T[],
  ): AnyJournalEntry<T>[];
}

export interface PendingBatch<T extends JournalEventType = JournalEventType> {
  entries: AnyJournalEntry<T>[];
  /** Commit this once `entries` are acknowledged: the journal was scanned up to here. */
  throughSeq: number;
}

export interface CursorStatus {
  name: string;
  position: number;
  lag: number;
  /** Epoch ms of the last commit (or of the registration). */
  updatedAt: number;
}

export const CURSOR_SCHEMA = `
  CREATE TABLE IF NOT EXISTS journal_cursor (
    name TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
`;

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/;

export class SinkCursor {
  private readonly selectSeq;
  private readonly upsertSeq;

  /** Use `journal.cursor(name)`; it creates the table and registers the cursor. */
  constructor(
    private readonly db: Db,
    private readonly source: CursorSource,
    readonly name: string,
    private readonly now: () => number,
  ) {
    if (!NAME_PATTERN.test(name)) {
      throw new GatewardenError('USAGE', `invalid sink cursor name "${name}"`, {
        problems: [{ field: 'name', message: 'letters, digits and . _ : - only, 1 to 100 characters' }],
      });
    }
    this.selectSeq = db.prepare<[string], { seq: number }>('SELECT seq FROM journal_cursor WHERE name = ?');
    this.upsertSeq = db.prepare<[string, number, number]>(
      `INSERT INTO journal_cursor (name, seq, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET seq = excluded.seq, updated_at = excluded.updated_at`,
    );
    db.prepare('INSERT OR IGNORE INTO journal_cursor (name, seq, updated_at) VALUES (?, 0, ?)').run(
      name,
      now(),
    );
  }

  /** The last delivered and committed seq; 0 before the first commit. Read from the database. */
  get position(): number {
    return this.selectSeq.get(this.name)?.seq ?? 0;
  }

  pending<T extends JournalEventType = JournalEventType>(
    limit: number,
    types?: readonly T[],
  ): AnyJournalEntry<T>[] {
    return this.source.read(this.position, limit, types);
  }

  pendingBatch<T extends JournalEventType = JournalEventType>(
    limit: number,
    types?: readonly T[],
  ): PendingBatch<T> {
    return this.batchAfter(this.position, limit, types);
  }

  /**
   * As `pendingBatch`, from `from` instead of the committed position: lets a sink read the
   * next batch while the previous one is in flight. Commit its `throughSeq` only after the
   * batches before it were committed (commits must not go backwards).
   */
  batchAfter<T extends JournalEventType = JournalEventType>(
    from: number,
    limit: number,
    types?: readonly T[],
  ): PendingBatch<T> {
    return readBatch(this.db, this.source, from, limit, types);
  }

  commit(seq: number): void {
    this.db
      .transaction(() => {
        const position = this.position;
        if (seq === position) return;
        const lastSeq = this.source.lastSeq();
        if (!Number.isSafeInteger(seq) || seq < position || seq > lastSeq) {
          throw new GatewardenError('USAGE', `sink cursor "${this.name}" cannot commit seq ${seq}`, {
            problems: [
              {
                field: 'seq',
                message: `must be an integer from ${position} (committed position) to ${lastSeq} (journal's last seq)`,
              },
            ],
          });
        }
        this.upsertSeq.run(this.name, seq, this.now());
      })
      .immediate();
  }

  lag(): number {
    return this.source.lastSeq() - this.position;
  }
}

/**
 * Up to `limit` entries after `from` (of `types`, if given) and the seq up to which the journal
 * was scanned, from one read snapshot. What `batchAfter` returns, for readers that have the
 * journal but not the cursor (a sink's worker thread with its own connection).
 */
export function readBatch<T extends JournalEventType = JournalEventType>(
  db: Db,
  source: CursorSource,
  from: number,
  limit: number,
  types?: readonly T[],
): PendingBatch<T> {
  return db.transaction((): PendingBatch<T> => {
    const lastSeq = source.lastSeq();
    const entries = source.read(from, limit, types);
    // Fewer than `limit` entries means the scan reached the end of the journal.
    const scannedToEnd = entries.length < limit;
    const throughSeq = scannedToEnd ? Math.max(from, lastSeq) : (entries.at(-1)?.seq ?? from);
    return { entries, throughSeq };
  })();
}

/** Every registered cursor, by name. */
export function listCursors(db: Db, lastSeq: number): CursorStatus[] {
  const rows = db
    .prepare<[], { name: string; seq: number; updated_at: number }>(
      'SELECT name, seq, updated_at FROM journal_cursor ORDER BY name',
    )
    .all();
  return rows.map((r) => ({ name: r.name, position: r.seq, lag: lastSeq - r.seq, updatedAt: r.updated_at }));
}
