import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Db } from '../db.js';
import { type SiteStateSnapshot, STATE_SNAPSHOT_FORMAT } from './state-snapshot.js';

/**
 * The checkpoint's state as of one journal entry, kept in the database so that a start need
 * not replay the whole journal (docs/journal.md "Start-up"): one row, replaced every
 * `SNAPSHOT_EVERY` entries and when the gateway stops.
 *
 * A snapshot is used only when everything that made it still holds, otherwise it is ignored
 * (and the journal replayed whole, as without one): the journal entry at its `seq` still has
 * its `hash` (a journal rebuilt, restored from a backup or cut short does not match); `fold`,
 * the settings the fold depends on (windows, memory spans, the initial mode) and the format,
 * is the same; and its MAC under the site's key verifies — the state is not covered by the
 * journal's hash chain, and a quota or an anti-passback state edited in the database would
 * otherwise be taken on trust.
 */
export const SNAPSHOT_EVERY = 10_000;
/** A due snapshot waits for this much quiet in the journal (checkpoint.ts `saveSnapshot`). */
export const SNAPSHOT_QUIET_MS = 2000;

export interface StoredSnapshot {
  seq: number;
  state: SiteStateSnapshot;
}

export type SnapshotLoad = { found: StoredSnapshot } | { ignored: string } | { none: true };

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS checkpoint_snapshot (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL,
    fold TEXT NOT NULL,
    state TEXT NOT NULL,
    mac TEXT NOT NULL,
    written_at INTEGER NOT NULL
  );
`;

interface Row {
  seq: number;
  hash: string;
  fold: string;
  state: string;
  mac: string;
}

export class SnapshotStore {
  /** `fold`: what the fold's result depends on besides the entries (see foldFingerprint). */
  private readonly macKey: Buffer;

  constructor(
    private readonly db: Db,
    key: Buffer,
    private readonly fold: string,
  ) {
    // A key of its own, derived from the site's (which also makes the pseudonyms).
    this.macKey = createHmac('sha256', key).update('gatewarden checkpoint snapshot MAC key').digest();
    db.exec(SCHEMA);
  }

  save(seq: number, hash: string, state: SiteStateSnapshot, at: number): void {
    const text = JSON.stringify(state);
    this.db
      .prepare(
        `INSERT INTO checkpoint_snapshot (id, seq, hash, fold, state, mac, written_at)
         VALUES (1, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, fold = excluded.fold,
           state = excluded.state, mac = excluded.mac, written_at = excluded.written_at`,
      )
      .run(seq, hash, this.fold, text, this.mac(seq, hash, this.fold, text), at);
  }

  load(): SnapshotLoad {
    const row = this.db
      .prepare<[], Row>('SELECT seq, hash, fold, state, mac FROM checkpoint_snapshot WHERE id = 1')
      .get();
    if (row === undefined) return { none: true };
    const expected = Buffer.from(this.mac(row.seq, row.hash, row.fold, row.state), 'hex');
    const given = Buffer.from(row.mac, 'hex');
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      return { ignored: 'its MAC does not verify (written with another key, or edited)' };
    if (row.fold !== this.fold) return { ignored: 'the settings of the fold or its format changed' };
    const entry = this.db
      .prepare<[number], { hash: string }>('SELECT hash FROM journal WHERE seq = ?')
      .get(row.seq);
    if (entry?.hash !== row.hash)
      return { ignored: `the journal entry #${row.seq} it was taken at is not the same any more` };
    try {
      const state = JSON.parse(row.state) as SiteStateSnapshot;
      if (state.format !== STATE_SNAPSHOT_FORMAT) return { ignored: `format ${String(state.format)}` };
      return { found: { seq: row.seq, state } };
    } catch (err) {
      return { ignored: `its state does not parse: ${(err as Error).message}` };
    }
  }

  private mac(seq: number, hash: string, fold: string, state: string): string {
    return createHmac('sha256', this.macKey).update(`${seq}\n${hash}\n${fold}\n`).update(state).digest('hex');
  }
}

/** The settings a SiteState's fold depends on, with the snapshot format, as one string. */
export function foldFingerprint(settings: Record<string, number | string | undefined>): string {
  const keys = Object.keys(settings).sort();
  return JSON.stringify([STATE_SNAPSHOT_FORMAT, ...keys.map((k) => [k, settings[k] ?? null])]);
}

/**
 * When the checkpoint saves (checkpoint.ts `saveSnapshot`): `every` entries after the last
 * snapshot, once the journal has been quiet for `quietMs` (saving serialises the whole state),
 * or five times `every` whatever the traffic; with `force`, after any new entry.
 */
export class SnapshotSchedule {
  private seq = 0;
  private foldedAt = Number.NEGATIVE_INFINITY;
  private readonly every: number;
  private readonly quietMs: number;

  constructor(
    readonly store: SnapshotStore,
    options: { every?: number | undefined; quietMs?: number | undefined } = {},
  ) {
    this.every = options.every ?? SNAPSHOT_EVERY;
    this.quietMs = options.quietMs ?? SNAPSHOT_QUIET_MS;
  }

  /** An entry was folded in at `now`. */
  folded(now: number): void {
    this.foldedAt = now;
  }

  /** A snapshot at `seq` is stored (saved, or restored at start). */
  saved(seq: number): void {
    this.seq = seq;
  }

  due(applied: number, now: number, force: boolean): boolean {
    const since = applied - this.seq;
    if (since <= 0) return false;
    if (force) return true;
    return since >= this.every && (now - this.foldedAt >= this.quietMs || since >= 5 * this.every);
  }
}
