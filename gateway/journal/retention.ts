import type { RetentionConfig } from '../../config/retention-schema.js';
import type { Db } from '../db.js';
import { purgeVisitorIdentities } from '../registry/visitor-retention.js';
import { entryCanonical, entryCanonicalV2, payloadDigest } from './canonical.js';
import type { JournalEventMap } from './events.js';
import { chainHash, type Journal } from './journal.js';

/**
 * Retention: temperature readings in the journal and visitors' identity data in the registry
 * are purged once older than their configured period (docs/journal.md, Retention).
 *
 * A purged reading keeps its row, its seq, its time and its place in the hash chain: the row's
 * type becomes `purged` and its payload a marker `{type, digest}` holding the SHA-256 of the
 * payload that the chain committed to (chain format 2, canonical.ts), so `verifyJournal` still
 * checks its hash. A reading chained before format 2 keeps only `{type}`: its neighbours' links
 * are checked, its content cannot be (the verifier counts it apart). A row whose hash matches
 * neither format is left alone for the verifier to report.
 *
 * Never purged: a reading that some sink has not yet delivered (seq above the lowest sink
 * cursor, or any seq while a required sink has no cursor yet): it is counted as kept.
 *
 * Each batch of the purge and its `retention` entry (counts and cutoffs only) commit in one
 * transaction, so every purged row is covered by a retention entry after it (verify checks it).
 */

const DAY_MS = 86_400_000;
const DEFAULT_BATCH = 5000;

export interface RetentionPeriods {
  /** Readings older than this are purged; absent: kept. */
  readingsMs?: number;
  /** Visitors whose registrations ended longer ago than this lose their identity data; absent: kept. */
  visitorsMs?: number;
}

export function retentionPeriods(config: RetentionConfig): RetentionPeriods {
  const periods: RetentionPeriods = {};
  if (config.readingsDays !== undefined) periods.readingsMs = Math.round(config.readingsDays * DAY_MS);
  if (config.visitorsDays !== undefined) periods.visitorsMs = Math.round(config.visitorsDays * DAY_MS);
  return periods;
}

export interface RetentionRunOptions {
  db: Db;
  journal: Journal;
  periods: RetentionPeriods;
  /** Epoch ms of the run; the cutoffs are `now - period`. */
  now: number;
  /** Sinks that deliver readings: until such a cursor exists, nothing is delivered (configured, not yet run). */
  requiredCursors?: readonly string[];
  /** Readings purged per transaction (default 5000): bounds how long one batch blocks. */
  batchSize?: number;
}

export interface RetentionRunResult {
  /** The `retention` entries appended (one per batch; none when no period is configured). */
  seqs: number[];
  readings?: { olderThan: number; purged: number; keptUndelivered: number };
  visitors?: { olderThan: number; purged: number };
  /** Old readings whose hash matched neither chain format: left for `journal verify` to report. */
  skippedTampered: number;
}

type RetentionPayload = JournalEventMap['retention'];

/** One retention run, synchronous. Journaled only when a period is configured. */
export function runRetention(options: RetentionRunOptions): RetentionRunResult {
  const { db, journal, periods, now } = options;
  const batchSize = options.batchSize ?? DEFAULT_BATCH;
  const result: RetentionRunResult = { seqs: [], skippedTampered: 0 };
  if (periods.readingsMs === undefined && periods.visitorsMs === undefined) return result;
  const readingsCutoff = periods.readingsMs === undefined ? undefined : now - periods.readingsMs;
  const visitorsCutoff = periods.visitorsMs === undefined ? undefined : now - periods.visitorsMs;
  const purger = new ReadingPurger(db);
  // Purged bytes must not linger in free pages or the WAL: zeroed on write, WAL folded in after.
  const secureDelete = db.pragma('secure_delete', { simple: true });
  db.pragma('secure_delete = ON');
  try {
    purgeInBatches();
  } finally {
    db.pragma(`secure_delete = ${Number(secureDelete)}`);
  }
  if (result.seqs.length > 0) db.pragma('wal_checkpoint(TRUNCATE)');
  return result;

  function purgeInBatches(): void {
    for (let first = true; ; first = false) {
      let full = false;
      db.transaction(() => {
        const payload: RetentionPayload = {};
        if (readingsCutoff !== undefined) {
          const delivered = deliveredThrough(db, journal, options.requiredCursors ?? []);
          const batch = purger.purge(readingsCutoff, delivered, batchSize);
          full = batch.examined === batchSize;
          result.skippedTampered += batch.skipped;
          const keptUndelivered = purger.countUndelivered(readingsCutoff, delivered);
          payload.readings = { olderThan: readingsCutoff, purged: batch.purged, keptUndelivered };
          result.readings = {
            olderThan: readingsCutoff,
            purged: (result.readings?.purged ?? 0) + batch.purged,
            keptUndelivered,
          };
        }
        if (visitorsCutoff !== undefined && first) {
          const purged = purgeVisitorIdentities(db, visitorsCutoff);
          payload.visitors = { olderThan: visitorsCutoff, purged };
          result.visitors = { olderThan: visitorsCutoff, purged };
        }
        // Last in the transaction: nothing after the append can fail and leave purged rows unaccounted.
        result.seqs.push(journal.append('retention', now, payload).seq);
      })();
      if (!full) return;
    }
  }
}

/**
 * The highest seq every sink has delivered: the lowest cursor position, 0 while a required sink
 * has no cursor yet, the newest seq when no sink exists at all.
 */
export function deliveredThrough(db: Db, journal: Journal, requiredCursors: readonly string[]): number {
  const cursors = db.prepare<[], { name: string; seq: number }>('SELECT name, seq FROM journal_cursor').all();
  const known = new Set(cursors.map((c) => c.name));
  if (requiredCursors.some((name) => !known.has(name))) return 0;
  return cursors.reduce((lowest, c) => Math.min(lowest, c.seq), journal.lastSeq());
}

interface StoredReading {
  seq: number;
  at: number;
  payload: string;
  prev_hash: string;
  hash: string;
}

class ReadingPurger {
  private readonly select;
  private readonly mark;
  private readonly undelivered;

  constructor(db: Db) {
    this.select = db.prepare<[number, number, number], StoredReading>(
      `SELECT seq, at, payload, prev_hash, hash FROM journal
       WHERE type = 'reading' AND at < ? AND seq <= ? ORDER BY seq LIMIT ?`,
    );
    // The unchained `telemetry` text (journal.ts) is derived from the payload: it goes with it.
    this.mark = db.prepare<[string, number]>(
      "UPDATE journal SET type = 'purged', payload = ?, telemetry = NULL WHERE seq = ?",
    );
    this.undelivered = db.prepare<[number, number], { n: number }>(
      "SELECT count(*) AS n FROM journal WHERE type = 'reading' AND at < ? AND seq > ?",
    );
  }

  /** Purges up to `limit` readings; `examined` tells whether more may be left. */
  purge(olderThan: number, deliveredThrough: number, limit: number) {
    const rows = this.select.all(olderThan, deliveredThrough, limit);
    let purged = 0;
    let skipped = 0;
    for (const row of rows) {
      const marker = purgedMarker(row);
      if (marker === undefined) {
        skipped += 1;
        continue;
      }
      this.mark.run(marker, row.seq);
      purged += 1;
    }
    return { examined: rows.length, purged, skipped };
  }

  countUndelivered(olderThan: number, deliveredThrough: number): number {
    return this.undelivered.get(olderThan, deliveredThrough)?.n ?? 0;
  }
}

/** The marker that replaces a reading's payload, or undefined when its hash matches neither format. */
function purgedMarker(row: StoredReading): string | undefined {
  const digest = payloadDigest(row.payload);
  if (chainHash(row.prev_hash, entryCanonicalV2(row.seq, row.at, 'reading', digest)) === row.hash)
    return `{"digest":"${digest}","type":"reading"}`;
  if (chainHash(row.prev_hash, entryCanonical(row.seq, row.at, 'reading', row.payload)) === row.hash)
    return '{"type":"reading"}';
  return undefined;
}
