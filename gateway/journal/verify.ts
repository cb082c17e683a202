import type { Db } from '../db.js';
import { entryCanonical } from './canonical.js';
import { chainHash, GENESIS_HASH } from './journal.js';

/**
 * Checks the journal's hash chain from genesis to the head, a page of rows at a time (memory
 * stays flat however long the journal) inside one read transaction (a consistent snapshot even
 * while another process appends).
 *
 * Problem kinds, each reported at the seq of the row where it shows:
 * - `hash_mismatch`: the row's stored hash is not the hash of its content (seq, at, type,
 *   payload bytes) and its stored prev_hash: the row was edited.
 * - `broken_link`: the row's prev_hash is not the previous row's hash (genesis for the first):
 *   a row before it was deleted, inserted or replaced with a rehashed one.
 * - `gap`: the row's seq is not the previous seq + 1 (1 for the first): deleted or renumbered rows.
 * - `head_mismatch`: `journal_head` does not name the last row's seq and hash: the newest rows
 *   were deleted, or rows were added outside the journal (reported at the head's seq).
 * Any problem means the journal was written by something other than `Journal`.
 *
 * Payload and type are hashed as the bytes stored: text that is not valid UTF-8 is a
 * `hash_mismatch` rather than being decoded lossily into something that might hash the same.
 */

export type JournalProblemKind = 'hash_mismatch' | 'broken_link' | 'gap' | 'head_mismatch';

export interface JournalProblem {
  seq: number;
  kind: JournalProblemKind;
  message: string;
}

export interface VerifyResult {
  ok: boolean;
  /** Rows checked. */
  checked: number;
  /** The last row's seq (0 when there are none). */
  lastSeq: number;
  /** At most `maxProblems`; `ok` is false whenever there is at least one. */
  problems: JournalProblem[];
}

export interface VerifyOptions {
  /** Stop collecting (not checking) after this many problems; default 1000. */
  maxProblems?: number;
  /** Rows per page; default 1000. */
  pageSize?: number;
}

interface RawRow {
  seq: number;
  at: number;
  type: Buffer;
  payload: Buffer;
  prev_hash: string;
  hash: string;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function verifyJournal(db: Db, options: VerifyOptions = {}): VerifyResult {
  const maxProblems = options.maxProblems ?? 1000;
  const pageSize = options.pageSize ?? 1000;
  if (!tableExists(db, 'journal')) return { ok: true, checked: 0, lastSeq: 0, problems: [] };
  const problems: JournalProblem[] = [];
  const report = (seq: number, kind: JournalProblemKind, message: string) => {
    if (problems.length < maxProblems) problems.push({ seq, kind, message });
  };
  const page = db.prepare<[number, number], RawRow>(
    `SELECT seq, at, CAST(type AS BLOB) AS type, CAST(payload AS BLOB) AS payload, prev_hash, hash
     FROM journal WHERE seq > ? ORDER BY seq LIMIT ?`,
  );

  return db.transaction((): VerifyResult => {
    let checked = 0;
    let previous = { seq: 0, hash: GENESIS_HASH };
    for (let rows = page.all(0, pageSize); rows.length > 0; rows = page.all(previous.seq, pageSize)) {
      for (const row of rows) {
        checkRow(row, previous, report);
        previous = { seq: row.seq, hash: row.hash };
        checked += 1;
      }
      if (rows.length < pageSize) break;
    }
    checkHead(readHead(db), previous, checked, report);
    return { ok: problems.length === 0, checked, lastSeq: previous.seq, problems };
  })();
}

type Report = (seq: number, kind: JournalProblemKind, message: string) => void;

function checkRow(row: RawRow, previous: { seq: number; hash: string }, report: Report): void {
  if (row.seq !== previous.seq + 1) {
    report(row.seq, 'gap', `seq ${row.seq} follows seq ${previous.seq}: expected ${previous.seq + 1}`);
  }
  if (row.prev_hash !== previous.hash) {
    const what = previous.seq === 0 ? 'the genesis hash' : `the hash of seq ${previous.seq}`;
    report(row.seq, 'broken_link', `prev_hash is not ${what}`);
  }
  const content = contentHash(row);
  if (content === undefined) {
    report(row.seq, 'hash_mismatch', 'type or payload is not valid UTF-8 text');
  } else if (content !== row.hash) {
    report(row.seq, 'hash_mismatch', 'stored hash does not match the entry content');
  }
}

function contentHash(row: RawRow): string | undefined {
  try {
    const canonical = entryCanonical(
      row.seq,
      row.at,
      strictUtf8.decode(row.type),
      strictUtf8.decode(row.payload),
    );
    return chainHash(row.prev_hash, canonical);
  } catch {
    return undefined;
  }
}

function checkHead(
  head: { seq: number; hash: string } | undefined,
  last: { seq: number; hash: string },
  checked: number,
  report: Report,
): void {
  if (head === undefined) {
    if (checked > 0) report(last.seq, 'head_mismatch', 'journal_head is missing but the journal has rows');
    return;
  }
  if (head.seq !== last.seq) {
    report(
      head.seq,
      'head_mismatch',
      `journal_head names seq ${head.seq} but the last row is seq ${last.seq}`,
    );
  } else if (head.hash !== last.hash) {
    report(head.seq, 'head_mismatch', `journal_head hash differs from the hash of seq ${last.seq}`);
  }
}

function readHead(db: Db): { seq: number; hash: string } | undefined {
  if (!tableExists(db, 'journal_head')) return undefined;
  return db
    .prepare<[], { seq: number; hash: string }>('SELECT seq, hash FROM journal_head WHERE id = 1')
    .get();
}

function tableExists(db: Db, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
}
