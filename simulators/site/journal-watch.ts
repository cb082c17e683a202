import Database from 'better-sqlite3';
import type { JournalEventMap, JournalEventType } from '../../gateway/journal/events.js';

/**
 * Follows the running gateway's journal, read-only, from this process: what the console prints
 * after each action (the decision, the alarm, the reading) comes from the same record the
 * dashboard and the upstream sinks read. Polling a read-only connection keeps the launcher out
 * of the gateway's write path entirely; a WAL database allows it while the gateway writes.
 */
export interface WatchedEntry<T extends JournalEventType = JournalEventType> {
  seq: number;
  at: number;
  type: T;
  payload: JournalEventMap[T];
}

const POLL_MS = 100;

interface Waiter {
  match: (entry: WatchedEntry) => boolean;
  done: (entry: WatchedEntry | undefined) => void;
  timer: NodeJS.Timeout;
}

export class JournalWatch {
  private db: Database.Database | undefined;
  private select:
    | Database.Statement<[number], { seq: number; at: number; type: string; payload: string }>
    | undefined;
  private lastSeq = 0;
  private timer: NodeJS.Timeout | undefined;
  private waiters: Waiter[] = [];

  constructor(
    private readonly databaseFile: string,
    private readonly onEntry: (entry: WatchedEntry) => void,
  ) {}

  /** Opens the database; entries appended from now on are reported. */
  start(): void {
    const db = new Database(this.databaseFile, { readonly: true, fileMustExist: true });
    this.db = db;
    this.lastSeq =
      (db.prepare('SELECT max(seq) AS seq FROM journal').get() as { seq: number | null }).seq ?? 0;
    this.select = db.prepare(
      'SELECT seq, at, type, payload FROM journal WHERE seq > ? ORDER BY seq LIMIT 500',
    );
    this.timer = setInterval(() => this.poll(), POLL_MS);
  }

  /** The first entry from now on that `match` accepts, or undefined after `timeoutMs`. */
  next(match: (entry: WatchedEntry) => boolean, timeoutMs: number): Promise<WatchedEntry | undefined> {
    return new Promise((done) => {
      const waiter: Waiter = {
        match,
        done,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          done(undefined);
        }, timeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.done(undefined);
    }
    this.db?.close();
    this.db = undefined;
  }

  private poll(): void {
    if (this.select === undefined) return;
    for (const row of this.select.all(this.lastSeq)) {
      this.lastSeq = row.seq;
      const entry = {
        seq: row.seq,
        at: row.at,
        type: row.type,
        payload: JSON.parse(row.payload),
      } as WatchedEntry;
      this.onEntry(entry);
      for (const w of this.waiters.filter((x) => x.match(entry))) {
        clearTimeout(w.timer);
        this.waiters = this.waiters.filter((x) => x !== w);
        w.done(entry);
      }
    }
  }
}

/** One line per entry for the console; journal payloads hold ids and pseudonyms only, never names. */
export function describeEntry(entry: WatchedEntry): string | undefined {
  switch (entry.type) {
    case 'decision': {
      const { request, decision } = (entry as WatchedEntry<'decision'>).payload;
      const who =
        decision.subject.kind === 'unknown' ? 'unknown' : `${decision.subject.kind} ${decision.subject.id}`;
      const codes = decision.reasons.map((r) => (r.effect === 'notice' ? `+${r.code}` : r.code)).join(', ');
      return `pass  ${request.laneId} ${decision.direction} ${decision.allow ? 'ALLOW 放行' : 'DENY 拒绝'} ${who}: ${codes}`;
    }
    case 'alarm': {
      const a = (entry as WatchedEntry<'alarm'>).payload;
      return `alarm ${a.code} ${a.severity}${a.laneId ? ` ${a.laneId}` : ''}`;
    }
    case 'reading': {
      const { laneId, reading } = (entry as WatchedEntry<'reading'>).payload;
      const mask = reading.mask === null ? '' : reading.mask ? ' mask' : ' no mask';
      const remeasure = reading.remeasure === undefined ? '' : ` (re-measure ${reading.remeasure})`;
      return `temp  ${laneId} ${reading.celsius.toFixed(1)} °C ${reading.instrument ?? 'camera'}${mask}${remeasure}`;
    }
    case 'device': {
      const d = (entry as WatchedEntry<'device'>).payload;
      return `device ${d.deviceId} ${d.state}${d.detail ? ` (${d.detail})` : ''}`;
    }
    case 'mode': {
      const m = (entry as WatchedEntry<'mode'>).payload;
      return `mode  ${m.from} → ${m.to} by ${m.operator}`;
    }
    case 'fire': {
      const f = (entry as WatchedEntry<'fire'>).payload;
      return `fire  ${f.active ? 'ACTIVE' : 'cleared'} (${f.source})`;
    }
    default:
      return undefined;
  }
}
