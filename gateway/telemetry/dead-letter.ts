/**
 * Points a server refused for their content (HTTP 400) and entries that could not be turned
 * into points: kept with the server's message (`gatewarden telemetry refused` lists them), out
 * of the way of the points behind them, and never retried: what the server refused for its
 * content it would refuse again. Only ever appended to by the sink.
 */
import type { Db } from '../db.js';

export interface DeadLetter {
  id: number;
  sink: string;
  seq: number;
  measurement: string;
  /** The line as sent (empty when no line could be made). */
  line: string;
  error: string;
  at: number;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS telemetry_dead_letter (
    id INTEGER PRIMARY KEY,
    sink TEXT NOT NULL,
    seq INTEGER NOT NULL,
    measurement TEXT NOT NULL,
    line TEXT NOT NULL,
    error TEXT NOT NULL,
    at INTEGER NOT NULL
  );
`;

export class DeadLetters {
  private readonly insert;
  private readonly countStmt;

  constructor(private readonly db: Db) {
    db.exec(SCHEMA);
    this.insert = db.prepare<[string, number, string, string, string, number]>(
      'INSERT INTO telemetry_dead_letter (sink, seq, measurement, line, error, at) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.countStmt = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM telemetry_dead_letter');
  }

  add(letter: Omit<DeadLetter, 'id'>): void {
    this.insert.run(letter.sink, letter.seq, letter.measurement, letter.line, letter.error, letter.at);
  }

  count(): number {
    return this.countStmt.get()?.n ?? 0;
  }

  list(limit = 100): DeadLetter[] {
    return this.db
      .prepare<[number], DeadLetter>(
        'SELECT id, sink, seq, measurement, line, error, at FROM telemetry_dead_letter ORDER BY id LIMIT ?',
      )
      .all(limit);
  }
}
