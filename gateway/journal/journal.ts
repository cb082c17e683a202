import { createHash } from 'node:crypto';
import type { Db } from '../db.js';
import { GatewardenError } from '../errors.js';
import { canonicalJson, entryContent } from './canonical.js';
import { CURSOR_SCHEMA, type CursorStatus, listCursors, SinkCursor } from './cursor.js';
import type { JournalEntry, JournalEventMap, JournalEventType } from './events.js';

/**
 * The journal: every event, once, in order, durably, hash-chained. It is the outbox that every
 * sink delivers from (see cursor.ts) and the log that site state is rebuilt from on start.
 *
 * Durability contract: `append` and `appendMany` are synchronous and return only after the
 * SQLite transaction committed (WAL with `synchronous = FULL`, see `openDatabase`), so a caller
 * that actuates a gate after `append` returned never opens it for an unrecorded pass.
 *
 * Integrity: `hash = sha256(prevHash + canonical({seq, at, type, payload}))`, hex, with a
 * genesis prevHash of 64 zeros (readings: over their payload's digest instead, `entryContent` in
 * canonical.ts, so that retention can drop the payload and keep the chain); `journal_head` holds the newest (seq, hash) and is written in
 * the same transaction, so deleting the newest rows is detectable as well (`verifyJournal`).
 * The chain detects edits, not a forger who rewrites the whole chain and the head: anchor the
 * head hash elsewhere (upstream) for that.
 *
 * Sequence numbers start at 1 and have no gaps. `at` is the event's epoch ms (not the append
 * time) and need not be monotonic. One process writes; others may read (WAL).
 *
 * Derived text (`telemetry` column): a renderer installed with `setTelemetryRenderer` is called
 * with each entry inside its append transaction, and what it returns is stored beside the
 * payload (NULL when none is installed, it returns undefined, or it throws: the append never
 * fails for it). The column is NOT part of the hash chain: it is derived from the chained
 * content, may be recomputed or cleared (`UPDATE journal SET telemetry = NULL`) at any time, and
 * whoever drops or rewrites a payload (retention) clears it too. The sink's reader decides when
 * it may use it (gateway/telemetry/prerender.ts).
 */

/** A journal entry typed by its `type`: narrowing on `entry.type` narrows `entry.payload`. */
export type AnyJournalEntry<T extends JournalEventType = JournalEventType> = { [K in T]: JournalEntry<K> }[T];

/** One item of `appendMany`. */
export type AppendItem = {
  [K in JournalEventType]: { type: K; at: number; payload: JournalEventMap[K] };
}[JournalEventType];

/** Half-open window of event time: `fromAt <= at < toAt`. */
export interface AtRange<T extends JournalEventType = JournalEventType> {
  fromAt: number;
  toAt: number;
  types?: readonly T[];
}

export interface JournalListenerMap {
  /** After the entry committed. Listeners run synchronously, in registration order. */
  append: (entry: AnyJournalEntry) => void;
}

export interface JournalOptions {
  /** A listener threw (or its promise rejected); the append itself succeeded. Default: a process warning. */
  onListenerError?: (error: unknown, entry: AnyJournalEntry) => void;
  /** Clock for cursor `updated_at`; default `Date.now`. Entries take their time from the caller. */
  now?: () => number;
  /** Rows fetched per page by the generators; default 500. */
  pageSize?: number;
}

export const GENESIS_HASH = '0'.repeat(64);

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS journal (
    seq INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    type TEXT NOT NULL,
    payload TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    telemetry TEXT
  );
  CREATE INDEX IF NOT EXISTS journal_at ON journal (at);
  CREATE TABLE IF NOT EXISTS journal_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL
  );
`;

interface Row {
  seq: number;
  at: number;
  type: string;
  payload: string;
  prev_hash: string;
  hash: string;
}

const COLUMNS = 'seq, at, type, payload, prev_hash, hash';
const TYPE_FILTER = 'type IN (SELECT value FROM json_each(?))';

type Listener = JournalListenerMap['append'];

/** Text derived from an entry at append time, stored unchained; see "Derived text" above. */
export type TelemetryRenderer = (entry: AnyJournalEntry) => string | undefined;

export class Journal {
  private readonly listeners: { event: keyof JournalListenerMap; listener: Listener; owner: unknown }[] = [];
  private readonly now: () => number;
  private readonly pageSize: number;
  private readonly onListenerError: NonNullable<JournalOptions['onListenerError']>;
  private readonly stmt: ReturnType<typeof prepareStatements>;
  private telemetryRenderer: TelemetryRenderer | undefined;
  /** The head's seq as last read, and the database's data_version then (see lastSeq). */
  private head: { version: number; seq: number } | undefined;

  /** Creates the tables if needed (and the `telemetry` column of older journals) and returns the journal over `db`. */
  static open(db: Db, options: JournalOptions = {}): Journal {
    db.exec(SCHEMA + CURSOR_SCHEMA);
    addTelemetryColumn(db);
    return new Journal(db, options);
  }

  private constructor(
    private readonly db: Db,
    options: JournalOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.pageSize = options.pageSize ?? 500;
    this.onListenerError = options.onListenerError ?? defaultListenerError;
    this.stmt = prepareStatements(db);
  }

  /** Installs (or with undefined removes) the renderer of the `telemetry` column for later appends. */
  setTelemetryRenderer(renderer: TelemetryRenderer | undefined): void {
    this.telemetryRenderer = renderer;
  }

  /** Appends one entry and returns it once committed. Throws (nothing written) on an invalid payload. */
  append<T extends JournalEventType>(type: T, at: number, payload: JournalEventMap[T]): JournalEntry<T> {
    const [entry] = this.appendMany([{ type, at, payload } as AppendItem]);
    return entry as JournalEntry<T>;
  }

  /** Appends a batch in one transaction: all or none. Entries are returned in order. */
  appendMany(items: readonly AppendItem[]): AnyJournalEntry[] {
    const prepared = items.map((item) => ({ ...item, payloadJson: serialise(item) }));
    const rows = this.writeRows((): Row[] => {
      const head = this.stmt.head.get() ?? { seq: 0, hash: GENESIS_HASH };
      let { seq, hash } = head;
      const written: Row[] = [];
      for (const item of prepared) {
        seq += 1;
        const prevHash = hash;
        hash = chainHash(prevHash, entryContent(seq, item.at, item.type, item.payloadJson));
        const derived = this.telemetryText(seq, item, hash, prevHash);
        this.stmt.insert.run(seq, item.at, item.type, item.payloadJson, prevHash, hash, derived);
        written.push({
          seq,
          at: item.at,
          type: item.type,
          payload: item.payloadJson,
          prev_hash: prevHash,
          hash,
        });
      }
      if (written.length > 0) this.stmt.setHead.run(seq, hash);
      return written;
    });
    const newest = rows.at(-1);
    // Our own commits leave data_version as it was: the cached head follows them here.
    if (newest !== undefined && this.head !== undefined) this.head.seq = newest.seq;
    const entries = rows.map(toEntry);
    for (const entry of entries) this.emit(entry);
    return entries;
  }

  /** The renderer's text for the `telemetry` column; null without one, or when it fails. */
  private telemetryText(seq: number, item: AppendItem, hash: string, prevHash: string): string | null {
    const render = this.telemetryRenderer;
    if (render === undefined) return null;
    try {
      return (
        render({
          seq,
          at: item.at,
          type: item.type,
          payload: item.payload,
          hash,
          prevHash,
        } as AnyJournalEntry) ?? null
      );
    } catch {
      return null;
    }
  }

  /** BEGIN IMMEDIATE: the head read and the writes cannot interleave with another writer. */
  private writeRows(write: () => Row[]): Row[] {
    try {
      return this.db.transaction(write).immediate();
    } catch (cause) {
      if ((cause as { code?: unknown }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
        throw new GatewardenError(
          'JOURNAL_CORRUPT',
          'journal head is behind its newest row (rows were added or the head was edited outside the journal); run verify',
          { cause },
        );
      }
      throw cause;
    }
  }

  get(seq: number): AnyJournalEntry | undefined {
    const row = this.stmt.get.get(seq);
    return row && toEntry(row);
  }

  /** Up to `limit` entries with seq > `afterSeq`, ascending; `types` absent = every type. */
  read<T extends JournalEventType = JournalEventType>(
    afterSeq: number,
    limit: number,
    types?: readonly T[],
  ): AnyJournalEntry<T>[] {
    checkLimit(limit);
    const rows =
      types === undefined
        ? this.stmt.after.all(afterSeq, limit)
        : this.stmt.afterTyped.all(afterSeq, JSON.stringify(types), limit);
    return rows.map((row) => toEntry(row) as AnyJournalEntry<T>);
  }

  /**
   * Every entry with seq > `afterSeq`, ascending, fetched a page at a time: memory stays flat
   * over 100k+ entries and the connection is free between pages, so the consumer may append
   * while iterating. It ends when a read finds nothing more, so entries appended meanwhile
   * are yielded too.
   */
  *iterate<T extends JournalEventType = JournalEventType>(
    afterSeq = 0,
    types?: readonly T[],
  ): Generator<AnyJournalEntry<T>, void, undefined> {
    let after = afterSeq;
    for (;;) {
      const page = this.read(after, this.pageSize, types);
      yield* page;
      // Stop only on an empty page: a short page may have grown while it was being consumed.
      const last = page.at(-1);
      if (last === undefined) return;
      after = last.seq;
    }
  }

  /** Entries with `fromAt <= at < toAt`, ordered by (at, seq). For reports; see `iterateRange` for large windows. */
  readRange<T extends JournalEventType = JournalEventType>(range: AtRange<T>): AnyJournalEntry<T>[] {
    return [...this.iterateRange(range)];
  }

  *iterateRange<T extends JournalEventType = JournalEventType>(
    range: AtRange<T>,
  ): Generator<AnyJournalEntry<T>, void, undefined> {
    const types = range.types === undefined ? undefined : JSON.stringify(range.types);
    let cursor = { at: range.fromAt, seq: 0 };
    for (;;) {
      const args = [range.fromAt, cursor.at, cursor.seq, range.toAt] as const;
      const rows =
        types === undefined
          ? this.stmt.range.all(...args, this.pageSize)
          : this.stmt.rangeTyped.all(...args, types, this.pageSize);
      for (const row of rows) yield toEntry(row) as AnyJournalEntry<T>;
      const last = rows.at(-1);
      if (last === undefined) return;
      cursor = { at: last.at, seq: last.seq };
    }
  }

  /** The newest `n` entries, ascending. */
  tail(n: number): AnyJournalEntry[] {
    checkLimit(n);
    return this.stmt.tail.all(n).reverse().map(toEntry);
  }

  /**
   * The newest seq, 0 when empty. The head row is read again only when another connection (a
   * CLI, another process) has committed since it was last read, which `PRAGMA data_version`
   * tells in a fraction of a read; this connection's appends update it as they commit. The
   * checkpoint asks before every decision whether there is anything to catch up on.
   */
  lastSeq(): number {
    const version = this.stmt.dataVersion.get() as number;
    if (this.head?.version !== version) this.head = { version, seq: this.stmt.head.get()?.seq ?? 0 };
    return this.head.seq;
  }

  /** The cursor of one sink, registered at position 0 the first time. See cursor.ts for the contract. */
  cursor(name: string): SinkCursor {
    return new SinkCursor(this.db, this, name, this.now);
  }

  cursors(): CursorStatus[] {
    return listCursors(this.db, this.lastSeq());
  }

  /**
   * Registers a listener; returns a function that removes it. `owner` (any value, e.g. the
   * module instance) lets `removeListeners(owner)` drop all of a module's listeners at stop().
   */
  on<E extends keyof JournalListenerMap>(
    event: E,
    listener: JournalListenerMap[E],
    owner?: unknown,
  ): () => void {
    const registration = { event, listener, owner };
    this.listeners.push(registration);
    return () => {
      const i = this.listeners.indexOf(registration);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  removeListeners(owner: unknown): void {
    for (let i = this.listeners.length - 1; i >= 0; i--) {
      if (this.listeners[i]?.owner === owner) this.listeners.splice(i, 1);
    }
  }

  private emit(entry: AnyJournalEntry): void {
    // A copy: a listener that unsubscribes itself must not make the next one skip.
    for (const { event, listener } of [...this.listeners]) {
      if (event !== 'append') continue;
      try {
        const result: unknown = listener(entry);
        if (result instanceof Promise)
          result.catch((error: unknown) => this.reportListenerError(error, entry));
      } catch (error) {
        this.reportListenerError(error, entry);
      }
    }
  }

  private reportListenerError(error: unknown, entry: AnyJournalEntry): void {
    try {
      this.onListenerError(error, entry);
    } catch {
      // The error reporter itself failed: nothing sensible is left to do, and append must not fail.
    }
  }
}

function prepareStatements(db: Db) {
  return {
    head: db.prepare<[], { seq: number; hash: string }>('SELECT seq, hash FROM journal_head WHERE id = 1'),
    dataVersion: db.prepare<[], number>('PRAGMA data_version').pluck(),
    insert: db.prepare<[number, number, string, string, string, string, string | null]>(
      `INSERT INTO journal (${COLUMNS}, telemetry) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ),
    setHead: db.prepare<[number, string]>(
      `INSERT INTO journal_head (id, seq, hash) VALUES (1, ?, ?)
       ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash`,
    ),
    get: db.prepare<[number], Row>(`SELECT ${COLUMNS} FROM journal WHERE seq = ?`),
    after: db.prepare<[number, number], Row>(
      `SELECT ${COLUMNS} FROM journal WHERE seq > ? ORDER BY seq LIMIT ?`,
    ),
    afterTyped: db.prepare<[number, string, number], Row>(
      `SELECT ${COLUMNS} FROM journal WHERE seq > ? AND ${TYPE_FILTER} ORDER BY seq LIMIT ?`,
    ),
    // (at, seq) > (?, ?) is keyset paging over the `at` index; seq breaks ties between equal `at`.
    range: db.prepare<[number, number, number, number, number], Row>(
      `SELECT ${COLUMNS} FROM journal WHERE at >= ? AND (at, seq) > (?, ?) AND at < ? ORDER BY at, seq LIMIT ?`,
    ),
    rangeTyped: db.prepare<[number, number, number, number, string, number], Row>(
      `SELECT ${COLUMNS} FROM journal WHERE at >= ? AND (at, seq) > (?, ?) AND at < ? AND ${TYPE_FILTER}
       ORDER BY at, seq LIMIT ?`,
    ),
    tail: db.prepare<[number], Row>(`SELECT ${COLUMNS} FROM journal ORDER BY seq DESC LIMIT ?`),
  };
}

/** Hex SHA-256 of the previous hash followed by the entry's canonical JSON (UTF-8). */
export function chainHash(prevHash: string, canonicalEntry: string): string {
  return createHash('sha256').update(prevHash).update(canonicalEntry).digest('hex');
}

function serialise(item: AppendItem): string {
  if (!Number.isSafeInteger(item.at) || item.at < 0) {
    throw new GatewardenError('USAGE', `journal entry time must be epoch milliseconds, got ${item.at}`, {
      problems: [{ field: 'at', message: 'a non-negative integer' }],
    });
  }
  return canonicalJson(item.payload);
}

/** The entry of a stored row (its payload parsed); JOURNAL_CORRUPT when the payload is not JSON. */
export function toEntry(row: Row): AnyJournalEntry {
  let payload: unknown;
  try {
    payload = JSON.parse(row.payload);
  } catch (cause) {
    throw new GatewardenError('JOURNAL_CORRUPT', `journal entry ${row.seq} has a payload that is not JSON`, {
      cause,
    });
  }
  return {
    seq: row.seq,
    at: row.at,
    type: row.type,
    payload,
    hash: row.hash,
    prevHash: row.prev_hash,
  } as AnyJournalEntry;
}

/** Journals made before the column get it (NULL in every old row); a concurrent opener may have added it first. */
function addTelemetryColumn(db: Db): void {
  const columns = db.prepare<[], { name: string }>('PRAGMA table_info(journal)').all();
  if (columns.some((c) => c.name === 'telemetry')) return;
  try {
    db.exec('ALTER TABLE journal ADD COLUMN telemetry TEXT');
  } catch (err) {
    if (!/duplicate column/i.test((err as Error).message)) throw err;
  }
}

function checkLimit(limit: number): void {
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new GatewardenError('USAGE', `journal read limit must be a positive integer, got ${limit}`);
  }
}

function defaultListenerError(error: unknown, entry: AnyJournalEntry): void {
  const message = error instanceof Error ? error.message : String(error);
  process.emitWarning(`journal append listener failed on seq ${entry.seq}: ${message}`, 'GatewardenJournal');
}
