import type { Db } from '../../db.js';
import type { RequestReply } from './request-schema.js';

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS upstream_requests (
    issuer TEXT NOT NULL,
    transaction_id TEXT NOT NULL,
    type TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    reply TEXT NOT NULL,
    PRIMARY KEY (issuer, transaction_id)
  );
  CREATE INDEX IF NOT EXISTS upstream_requests_received ON upstream_requests (received_at);
`;

/**
 * The answers given to upstream requests, by issuer and transaction id, in the site database:
 * what makes a request idempotent. A transaction seen before is not applied again; its first
 * answer is sent again, byte for byte.
 *
 * Contract: `record` runs inside the transaction that applied the request, so a change and its
 * answer commit together (a crash between them cannot apply a request twice). Rows older than
 * `retentionMs` are forgotten; the caller keeps the retention longer than the freshness window,
 * so a request is refused as stale before its row can be gone.
 */
export class RequestLedger {
  private readonly find;
  private readonly insert;
  private readonly forget;

  constructor(
    db: Db,
    private readonly retentionMs: number,
  ) {
    db.exec(SCHEMA);
    this.find = db.prepare<[string, string, number], { reply: string }>(
      'SELECT reply FROM upstream_requests WHERE issuer = ? AND transaction_id = ? AND received_at >= ?',
    );
    this.insert = db.prepare(
      'INSERT INTO upstream_requests (issuer, transaction_id, type, received_at, reply) VALUES (?, ?, ?, ?, ?)',
    );
    this.forget = db.prepare('DELETE FROM upstream_requests WHERE received_at < ?');
  }

  /** The reply text given to this transaction, if it was answered within the retention. */
  answered(issuer: string, transactionId: string, now: number): string | undefined {
    return this.find.get(issuer, transactionId, now - this.retentionMs)?.reply;
  }

  /** Keeps the answer and forgets answers past the retention. Returns the reply text. */
  record(issuer: string, type: string, now: number, reply: RequestReply & { transactionId: string }): string {
    const text = JSON.stringify(reply);
    this.forget.run(now - this.retentionMs);
    this.insert.run(issuer, reply.transactionId, type, now, text);
    return text;
  }
}
