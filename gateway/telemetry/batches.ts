/**
 * Where the sink's batches come from: journal entries after a position, mapped to points and
 * rendered as lines. Reading, parsing and rendering cost some tens of µs per entry, so a
 * backlog of 5,000 entries is 100+ ms of CPU: done on the gateway's event loop it would stall
 * card reads for that long. `WorkerBatchSource` (batch-worker-source.ts) does it in a worker
 * thread with its own database connection; `InlineBatchSource` does it here (tests, in-memory
 * databases, and the fallback when a worker cannot start).
 *
 * Contract of `prepare`: the entries with seq > `from` (of `types`), at most `limit`, read from
 * one snapshot; `throughSeq` is where the scan ended (commit that, as `readBatch` in
 * journal/cursor.ts); entries up to `horizon` are marked `replayed`. An entry the mapper cannot
 * handle is returned in `unmappable`, not thrown.
 *
 * An entry whose journal row holds text prerendered under this mapper's stamp (prerender.ts) is
 * sent from that text, its payload not even read; any other is parsed, mapped and rendered here.
 */
import type { Statement } from 'better-sqlite3';
import type { Db } from '../db.js';
import type { JournalEventType } from '../journal/events.js';
import { type AnyJournalEntry, type Journal, toEntry } from '../journal/journal.js';
import { toLine } from './line-protocol.js';
import type { PointMapper } from './points.js';
import { lineFromPrerendered, prerenderStamp } from './prerender.js';

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

type RenderedEntries = Rendered & { unmappable: Rejected[] };

/** Maps and renders entries; entries up to `horizon` are marked replayed. */
export function renderEntries(
  mapper: PointMapper,
  entries: readonly AnyJournalEntry[],
  horizon: number,
): RenderedEntries {
  const out: RenderedEntries = { seqs: [], lines: [], unmappable: [] };
  for (const entry of entries) renderEntry(mapper, entry, horizon, out);
  return out;
}

function renderEntry(
  mapper: PointMapper,
  entry: AnyJournalEntry,
  horizon: number,
  out: RenderedEntries,
): void {
  try {
    // Rendered before anything is kept: an entry is all in or all out.
    const rendered = mapper.points(entry, entry.seq <= horizon).map(toLine);
    for (const line of rendered) {
      out.seqs.push(entry.seq);
      out.lines.push(line);
    }
  } catch (err) {
    out.unmappable.push({ seq: entry.seq, measurement: entry.type, line: '', error: (err as Error).message });
  }
}

const SELECT_TEXT = `SELECT seq, telemetry FROM journal
  WHERE seq > ? AND type IN (SELECT value FROM json_each(?)) ORDER BY seq LIMIT ?`;
const SELECT_ROWS = `SELECT seq, at, type, payload, prev_hash, hash FROM journal
  WHERE seq IN (SELECT value FROM json_each(?)) ORDER BY seq`;

type JournalRow = Parameters<typeof toEntry>[0];

interface BatchStatements {
  /** `[seq, telemetry]` of the batch's rows, as arrays (no object per row). */
  text: Statement<[number, string, number], [number, string | null]>;
  /** Whole rows of the given seqs, for those without usable text. */
  rows: Statement<[string], JournalRow>;
}

const statements = new WeakMap<Db, BatchStatements>();

function statementsOf(db: Db): BatchStatements {
  let prepared = statements.get(db);
  if (prepared === undefined) {
    prepared = {
      text: db.prepare<[number, string, number], [number, string | null]>(SELECT_TEXT).raw(true),
      rows: db.prepare<[string], JournalRow>(SELECT_ROWS),
    };
    statements.set(db, prepared);
  }
  return prepared;
}

/** The batch of `request`, read from `journal` over `db`. */
export function prepareBatch(
  db: Db,
  journal: Journal,
  mapper: PointMapper,
  request: BatchRequest,
): PreparedBatch {
  const select = statementsOf(db);
  const stamp = prerenderStamp(mapper);
  const { from, limit, horizon } = request;
  // One read snapshot for the head, the texts and the rows read whole.
  const { lastSeq, texts, whole } = db.transaction(() => {
    const texts = select.text.all(from, JSON.stringify(request.types), limit);
    const missing = texts.filter(([, text]) => text === null || !text.startsWith(stamp)).map(([seq]) => seq);
    const whole = missing.length === 0 ? [] : select.rows.all(JSON.stringify(missing));
    return { lastSeq: journal.lastSeq(), texts, whole };
  })();
  const out: RenderedEntries = { seqs: [], lines: [], unmappable: [] };
  let next = 0;
  for (const [seq, text] of texts) {
    if (text?.startsWith(stamp)) {
      out.seqs.push(seq);
      out.lines.push(lineFromPrerendered(text, stamp.length, seq <= horizon));
    } else {
      // `whole` holds these rows, in seq order.
      renderEntry(mapper, toEntry(whole[next++] as JournalRow), horizon, out);
    }
  }
  // Fewer rows than `limit`: the scan reached the end of the journal (as `readBatch`).
  const throughSeq = texts.length < limit ? Math.max(from, lastSeq) : (texts.at(-1)?.[0] ?? from);
  return { from, throughSeq, ...out };
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
