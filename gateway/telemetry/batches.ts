/**
 * Where the sink's batches come from: journal entries after a position, mapped to points and
 * rendered as lines. Reading, parsing and rendering cost some tens of µs per entry, so a
 * backlog of 5,000 entries is 100+ ms of CPU: done on the gateway's event loop it would stall
 * card reads for that long. `WorkerBatchSource` (batch-worker-source.ts) does it in a worker
 * thread with its own database connection; `InlineBatchSource` does it here (tests, in-memory
 * databases, and the fallback when a worker cannot start).
 *
 * Contract of `prepare`: the entries with seq > `from` (of `types`), at most `limit`, read from
 * one snapshot; `throughSeq` is where the scan ended (commit that); entries up to `horizon` are
 * marked `replayed`. An entry the mapper cannot handle is returned in `unmappable`, not thrown.
 */
import type { Db } from '../db.js';
import { readBatch } from '../journal/cursor.js';
import type { JournalEventType } from '../journal/events.js';
import type { AnyJournalEntry, Journal } from '../journal/journal.js';
import { toLine } from './line-protocol.js';
import type { PointMapper } from './points.js';

/**
 * Points ready to send: their lines, and beside them the seq of each one's entry (0 for a
 * sample). Two flat arrays rather than an object per point: a batch crosses from the worker
 * thread by structured clone, which copies flat arrays several times faster.
 */
export interface Rendered {
  seqs: number[];
  lines: string[];
}

/** A point the server refused, or an entry that could not be made a point. */
export interface Rejected {
  seq: number;
  measurement: string;
  /** The line as sent; empty when none could be made. */
  line: string;
  error: string;
}

export interface BatchRequest {
  types: readonly JournalEventType[];
  from: number;
  limit: number;
  horizon: number;
}

export interface PreparedBatch extends Rendered {
  from: number;
  throughSeq: number;
  unmappable: Rejected[];
}

export interface BatchSource {
  prepare(request: BatchRequest): Promise<PreparedBatch>;
  close(): Promise<void>;
}

/** Maps and renders entries; entries up to `horizon` are marked replayed. */
export function renderEntries(
  mapper: PointMapper,
  entries: readonly AnyJournalEntry[],
  horizon: number,
): Rendered & { unmappable: Rejected[] } {
  const seqs: number[] = [];
  const lines: string[] = [];
  const unmappable: Rejected[] = [];
  for (const entry of entries) {
    try {
      // Rendered before anything is kept: an entry is all in or all out.
      const rendered = mapper.points(entry, entry.seq <= horizon).map(toLine);
      for (const line of rendered) {
        seqs.push(entry.seq);
        lines.push(line);
      }
    } catch (err) {
      unmappable.push({ seq: entry.seq, measurement: entry.type, line: '', error: (err as Error).message });
    }
  }
  return { seqs, lines, unmappable };
}

/** The batch of `request`, read from `journal` over `db`. */
export function prepareBatch(
  db: Db,
  journal: Journal,
  mapper: PointMapper,
  request: BatchRequest,
): PreparedBatch {
  const { entries, throughSeq } = readBatch(db, journal, request.from, request.limit, request.types);
  return { from: request.from, throughSeq, ...renderEntries(mapper, entries, request.horizon) };
}

export class InlineBatchSource implements BatchSource {
  constructor(
    private readonly db: Db,
    private readonly journal: Journal,
    private readonly mapper: PointMapper,
  ) {}

  async prepare(request: BatchRequest): Promise<PreparedBatch> {
    return prepareBatch(this.db, this.journal, this.mapper, request);
  }

  async close(): Promise<void> {}
}

/** The measurement of a rendered line (our measurement names need no escaping). */
export function measurementOf(line: string): string {
  const end = line.search(/[, ]/);
  return end < 0 ? line : line.slice(0, end);
}
