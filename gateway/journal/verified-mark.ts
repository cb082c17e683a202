import type { Db } from '../db.js';

/**
 * How far the journal's hash chain was verified at a start (gateway/cli/commands/start.ts): the
 * next start checks only the rows after it before it decides, and the whole chain in the
 * background (verify-worker.ts), so that start-up does not grow with the journal. The mark is
 * trusted only while the row it names still has its hash: a journal rebuilt or cut short is
 * verified whole again.
 */
const SCHEMA = `
  CREATE TABLE IF NOT EXISTS journal_verified (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL,
    verified_at INTEGER NOT NULL
  );
`;

export interface VerifiedMark {
  seq: number;
  hash: string;
}

/** The mark, if there is one and its row still has its hash. */
export function readVerifiedMark(db: Db): VerifiedMark | undefined {
  db.exec(SCHEMA);
  const mark = db.prepare<[], VerifiedMark>('SELECT seq, hash FROM journal_verified WHERE id = 1').get();
  if (mark === undefined) return undefined;
  const row = db.prepare<[number], { hash: string }>('SELECT hash FROM journal WHERE seq = ?').get(mark.seq);
  return row?.hash === mark.hash ? mark : undefined;
}

export function writeVerifiedMark(db: Db, mark: VerifiedMark, at: number): void {
  db.exec(SCHEMA);
  db.prepare(
    `INSERT INTO journal_verified (id, seq, hash, verified_at) VALUES (1, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, verified_at = excluded.verified_at`,
  ).run(mark.seq, mark.hash, at);
}
