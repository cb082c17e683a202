import type { Db } from '../db.js';
import { DIGEST_CHAINED_TYPES, entryCanonical, entryCanonicalV2, payloadDigest } from './canonical.js';
import { chainHash, GENESIS_HASH } from './journal.js';
import { PURGEABLE_TYPES, type PurgeCutoffs, readPurgeCutoffs } from './purge-audit.js';

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
 * - `purge_unaccounted`: a purged row (retention.ts) that no later `retention` entry covers: its
 *   time is not before the cutoff of a retention run journaled after it, or its type is not one
 *   that retention purges. Someone dropped a payload outside retention.
 * Any problem means the journal was written by something other than `Journal` and retention.
 *
 * Chain formats: an entry of a digest-chained type (canonical.ts) is hashed over its payload's
 * digest (format 2) or, when written before that format, over its payload (format 1); either
 * verifies. A purged row keeps its time, its type (in the marker) and, in format 2, the digest,
 * so its hash is still checked; a format 1 row lost with its payload what its hash covered: its
 * link to its neighbours is checked, its content cannot be (counted in `purgedUnchecked`).
 *
 * Payload and type are hashed as the bytes stored: text that is not valid UTF-8 is a
 * `hash_mismatch` rather than being decoded lossily into something that might hash the same.
 */

export type JournalProblemKind =
  | 'hash_mismatch'
  | 'broken_link'
  | 'gap'
  | 'head_mismatch'
  | 'purge_unaccounted';

export interface JournalProblem {
  seq: number;
  kind: JournalProblemKind;
  message: string;
}

export interface VerifyResult {
  ok: boolean;
  /** Rows checked. */
  checked: number;
  /** The last row's seq (0 when there are none), and its hash (the genesis hash then). */
  lastSeq: number;
  lastHash: string;
  /** At most `maxProblems`; `ok` is false whenever there is at least one. */
  problems: JournalProblem[];
  /** Rows whose payload retention purged, their hash checked through the kept digest. */
  purged: number;
  /** Purged rows of chain format 1: linked, but their content can no longer be checked. */
  purgedUnchecked: number;
}

export interface VerifyOptions {
  /** Stop collecting (not checking) after this many problems; default 1000. */
  maxProblems?: number;
  /** Rows per page; default 1000. */
  pageSize?: number;
  /**
   * Start after this row, taken as verified (verified-mark.ts): only the rows after it and the
   * head are checked. A purged row without its digest after the mark is not told from one
   * before the digest format began.
   */
  after?: { seq: number; hash: string };
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
  if (!tableExists(db, 'journal'))
    return {
      ok: true,
      checked: 0,
      lastSeq: 0,
      lastHash: GENESIS_HASH,
      problems: [],
      purged: 0,
      purgedUnchecked: 0,
    };
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
    let previous = options.after ?? { seq: 0, hash: GENESIS_HASH };
    const tally: Tally = { purged: 0, purgedUnchecked: 0, digestFormatSeen: false };
    const cutoffs = readPurgeCutoffs(db);
    for (
      let rows = page.all(previous.seq, pageSize);
      rows.length > 0;
      rows = page.all(previous.seq, pageSize)
    ) {
      for (const row of rows) {
        checkRow(row, previous, report, cutoffs, tally);
        previous = { seq: row.seq, hash: row.hash };
        checked += 1;
      }
      if (rows.length < pageSize) break;
    }
    checkHead(readHead(db), previous, checked, report);
    const { purged, purgedUnchecked } = tally;
    return {
      ok: problems.length === 0,
      checked,
      lastSeq: previous.seq,
      lastHash: previous.hash,
      problems,
      purged,
      purgedUnchecked,
    };
  })();
}

type Report = (seq: number, kind: JournalProblemKind, message: string) => void;

function checkRow(
  row: RawRow,
  previous: { seq: number; hash: string },
  report: Report,
  cutoffs: PurgeCutoffs,
  tally: Tally,
): void {
  if (row.seq !== previous.seq + 1) {
    report(row.seq, 'gap', `seq ${row.seq} follows seq ${previous.seq}: expected ${previous.seq + 1}`);
  }
  if (row.prev_hash !== previous.hash) {
    const what = previous.seq === 0 ? 'the genesis hash' : `the hash of seq ${previous.seq}`;
    report(row.seq, 'broken_link', `prev_hash is not ${what}`);
  }
  const text = decodeRow(row);
  if (text === undefined) {
    report(row.seq, 'hash_mismatch', 'type or payload is not valid UTF-8 text');
  } else if (text.type === PURGED_TYPE) {
    checkPurged(row, text.payload, report, cutoffs, tally);
  } else {
    const format = contentFormat(row, text.type, text.payload);
    if (format === undefined)
      report(row.seq, 'hash_mismatch', 'stored hash does not match the entry content');
    else if (format === 2) tally.digestFormatSeen = true;
  }
}

interface Tally {
  purged: number;
  purgedUnchecked: number;
  /** A format 2 entry was met: every reading after it is format 2 too, so a purge keeps its digest. */
  digestFormatSeen: boolean;
}

const PURGED_TYPE = 'purged';

function decodeRow(row: RawRow): { type: string; payload: string } | undefined {
  try {
    return { type: strictUtf8.decode(row.type), payload: strictUtf8.decode(row.payload) };
  } catch {
    return undefined;
  }
}

/** The chain format the row's hash matches: format 2 first for the digest-chained types (canonical.ts). */
function contentFormat(row: RawRow, type: string, payloadJson: string): 1 | 2 | undefined {
  if (DIGEST_CHAINED_TYPES.has(type)) {
    const v2 = entryCanonicalV2(row.seq, row.at, type, payloadDigest(payloadJson));
    if (chainHash(row.prev_hash, v2) === row.hash) return 2;
  }
  return chainHash(row.prev_hash, entryCanonical(row.seq, row.at, type, payloadJson)) === row.hash
    ? 1
    : undefined;
}

function checkPurged(
  row: RawRow,
  markerJson: string,
  report: Report,
  cutoffs: PurgeCutoffs,
  tally: Tally,
): void {
  const marker = parseMarker(markerJson);
  if (marker === undefined) {
    report(row.seq, 'hash_mismatch', 'a purged entry whose marker is not {type, digest?}');
    return;
  }
  if (marker.digest === undefined && tally.digestFormatSeen) {
    // Retention keeps the digest of every format 2 entry, and every reading after one is format 2.
    report(row.seq, 'hash_mismatch', 'a purged entry without its digest, after the digest format began');
  } else if (marker.digest === undefined) {
    tally.purgedUnchecked += 1;
  } else if (
    chainHash(row.prev_hash, entryCanonicalV2(row.seq, row.at, marker.type, marker.digest)) === row.hash
  ) {
    tally.purged += 1;
    tally.digestFormatSeen = true;
  } else {
    report(row.seq, 'hash_mismatch', 'stored hash does not match the purged entry’s digest');
  }
  if (!PURGEABLE_TYPES.has(marker.type)) {
    report(
      row.seq,
      'purge_unaccounted',
      `a ${marker.type} entry was purged: retention never purges that type`,
    );
  } else if (!(row.at < cutoffs.cutoffAfter(row.seq, marker.type))) {
    report(row.seq, 'purge_unaccounted', 'purged, but no later retention run had a cutoff past its time');
  }
}

function parseMarker(json: string): { type: string; digest?: string } | undefined {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { type, digest } = value as Record<string, unknown>;
  if (typeof type !== 'string') return undefined;
  if (digest === undefined) return { type };
  return typeof digest === 'string' && /^[0-9a-f]{64}$/.test(digest) ? { type, digest } : undefined;
}

function checkHead(
  head: { seq: number; hash: string } | undefined,
  last: { seq: number; hash: string },
  checked: number,
  report: Report,
): void {
  if (head === undefined) {
    if (checked > 0 || last.seq > 0)
      report(last.seq, 'head_mismatch', 'journal_head is missing but the journal has rows');
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
