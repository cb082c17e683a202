import { GatewardenError } from '../errors.js';
import type { JournalEntry } from '../journal/events.js';
import type { AnyJournalEntry, AppendItem, Journal } from '../journal/journal.js';
import type { HeldSpill } from './held-spill.js';
import type { SpilledEntry } from './held-spill-codec.js';

/**
 * Entries held in memory while the journal cannot take appends (disk full, I/O error on the data
 * directory): docs/journal.md, "Disk full". The checkpoint writes through here; everything else
 * about the journal is unchanged.
 *
 * Contract
 * - `write` appends and returns the committed entry, as `Journal.append` does. When the append
 *   fails for lack of space (`outOfSpaceCause`), the entry is held instead and returned with
 *   `seq` 0 and empty hashes: it has no seq until it is appended, so nothing that reads seqs (the
 *   live feed, the sinks, the API, which all read the journal) can take it for journaled. Any
 *   other error is thrown as before.
 * - Order: once one entry is held, every later one is held behind it until all of them land
 *   together, oldest first, in one transaction (`flush`): the journal's order is the order in
 *   which they were decided. The first failure also holds a JOURNAL_UNAVAILABLE alarm at the
 *   head of the queue, so the journal shows the outage once it is over.
 * - Bound: from `maxEntries` held entries, or once the oldest waited `maxAgeMs`, `refusing()` is
 *   true and `write` refuses (GatewardenError JOURNAL_UNAVAILABLE) all but `force`d entries
 *   (fire changes, fire releases and overrides: life safety is never refused for want of disk).
 * - Exactly once: the checkpoint folded a held entry into its state when it was held; after it
 *   lands, `takeLanded(seq)` says so once, and the checkpoint's catch-up skips it.
 * - Durable when there is a spill (`useSpill`, held-spill.ts, the running gateway's): each held
 *   entry is flushed to it before `write` returns, so it survives a crash or power cut and lands
 *   at the next start (spill-recovery.ts). A spill that fills sets the bound too (it keeps
 *   `SPILL_RESERVE_BYTES` for forced entries); one that fails is told once (`spill-failed`) and
 *   the entries are held in memory only, as without one.
 * - At a stop, `beforeStop` tries to land them once more whatever the retry timer says, and says
 *   what could not land and how much of it the spill keeps.
 */

export interface HeldEntriesPolicy {
  /** Held entries (the outage alarm included) at which `refusing()` becomes true. */
  maxEntries: number;
  /** Age of the oldest held entry (by the clock when it was held) at which `refusing()` becomes true. */
  maxAgeMs: number;
  /** Wait between attempts to append the held entries. */
  retryMs: number;
}

export const DEFAULT_HELD_POLICY: HeldEntriesPolicy = { maxEntries: 1000, maxAgeMs: 600_000, retryMs: 5000 };

/** Room the spill keeps past the bound for forced entries (fire, overrides): ~30 decisions. */
export const SPILL_RESERVE_BYTES = 64 * 1024;
/** Spill bytes per held entry: a decision is 0.5–1 KB as spilled (its reasons, guards); twice that. */
const SPILL_BYTES_PER_ENTRY = 2048;

/** The size of the spill for a policy: its entries, the outage alarm, and the reserve. */
export function spillCapacity(policy: HeldEntriesPolicy): number {
  return (policy.maxEntries + 1) * SPILL_BYTES_PER_ENTRY + SPILL_RESERVE_BYTES;
}

/** Told to operators outside the journal, which cannot hear it (the log, metrics). */
export type OutageEvent =
  | { kind: 'unavailable'; cause: string; at: number }
  | { kind: 'refusing'; held: number; oldestHeldAt: number; at: number }
  | { kind: 'restored'; landed: number; firstSeq: number; lastSeq: number; outageMs: number; at: number }
  /** A retry failed for another reason than space (e.g. JOURNAL_CORRUPT): the entries stay held. */
  | { kind: 'retry-failed'; cause: string; held: number; at: number }
  /** The spill could not take a held entry (I/O error, or full past its reserve): in memory only. */
  | { kind: 'spill-failed'; cause: string; at: number };

/** What a stop could not land: counts and times only (payloads may name people). */
export interface HeldLoss {
  /** Held and not landed. */
  held: number;
  /** Of them, in memory only: lost with this process. The others are in the spill. */
  lost: number;
  byType: Record<string, number>;
  /** When the oldest and newest lost entries happened (their `at`). */
  firstAt: number;
  lastAt: number;
  cause: string | undefined;
}

export interface HeldStatus {
  held: number;
  /** Of `held`, those in memory only (no spill, or it failed): lost if the gateway crashes now. */
  volatile: number;
  /** When the first append failed; undefined: no outage. */
  since: number | undefined;
  cause: string | undefined;
  refusing: boolean;
  /** Refusals since start that could not be recorded because the bound was reached. */
  refusedUnrecorded: number;
}

export interface HeldEntriesOptions {
  journal: Pick<Journal, 'append' | 'appendMany'>;
  policy: HeldEntriesPolicy;
  /**
   * False: nothing is held, a failed append throws JOURNAL_UNAVAILABLE (a CLI command, which
   * would exit with its entry in memory). Default true (the running gateway).
   */
  hold?: boolean;
  /**
   * Called with each entry as it is held (the outage alarm too), in order, before `write`
   * returns: the checkpoint folds it in then, since it will not again when it lands.
   */
  onHold?: (entry: JournalEntry) => void;
  now: () => number;
}

/** SQLite result codes that mean the data directory cannot take the write now, but may later. */
const SPACE_CODES = /^SQLITE_(FULL|IOERR)/;

/** The SQLite code when `error` is a lack of space or an I/O error on the journal's file; else undefined. */
export function outOfSpaceCause(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && SPACE_CODES.test(code) ? code : undefined;
}

export class HeldEntries {
  private readonly queue: (SpilledEntry & { spilled: boolean })[] = [];
  private spill: HeldSpill | undefined;
  private spillTold = false;
  private readonly landed = new Set<number>();
  private readonly listeners: ((event: OutageEvent) => void)[] = [];
  private since: number | undefined;
  private cause: string | undefined;
  private nextRetryAt = 0;
  private refusingTold = false;
  private refused = 0;

  constructor(private readonly options: HeldEntriesOptions) {}

  get size(): number {
    return this.queue.length;
  }

  /** Held entries in memory only (no spill, or it failed): what a crash now would lose. */
  private get volatile(): number {
    return this.queue.filter((q) => !q.spilled).length;
  }

  /** From now on, held entries are flushed to `spill` before they are acted on. */
  useSpill(spill: HeldSpill): void {
    this.spill = spill;
  }

  /** Closes the spill's file (at a stop); what it keeps stays for the next start. */
  releaseSpill(): void {
    this.spill?.release();
    this.spill = undefined;
  }

  /**
   * After a restart: entries the spill kept that the journal still cannot take are held again,
   * in their order, as of when they were first held (the bound counts from then). The caller
   * folds them into its state.
   */
  resume(entries: readonly SpilledEntry[], cause: string, now = this.options.now()): void {
    const first = entries[0];
    if (first === undefined) return;
    this.queue.push(...entries.map((e) => ({ ...e, spilled: true })));
    this.since = first.heldAt;
    this.cause = cause;
    this.nextRetryAt = now + this.options.policy.retryMs;
  }

  onEvent(listener: (event: OutageEvent) => void): void {
    this.listeners.push(listener);
  }

  status(now = this.options.now()): HeldStatus {
    return {
      held: this.queue.length,
      volatile: this.volatile,
      since: this.since,
      cause: this.cause,
      refusing: this.refusing(now),
      refusedUnrecorded: this.refused,
    };
  }

  /** True during an outage whose held entries reached the bound: the lanes refuse. */
  refusing(now = this.options.now()): boolean {
    if (this.since === undefined) return false;
    const { maxEntries, maxAgeMs } = this.options.policy;
    const oldest = this.queue[0];
    const spillFull = this.spill !== undefined && this.spill.remaining < SPILL_RESERVE_BYTES;
    const over =
      this.queue.length >= maxEntries ||
      spillFull ||
      (oldest !== undefined && now - oldest.heldAt >= maxAgeMs);
    if (over && !this.refusingTold) {
      this.refusingTold = true;
      this.tell({ kind: 'refusing', held: this.queue.length, oldestHeldAt: oldest?.heldAt ?? now, at: now });
    }
    return over;
  }

  /** Counts a refusal that could not be recorded (the checkpoint refused for JOURNAL_UNAVAILABLE). */
  countRefusedUnrecorded(): void {
    this.refused++;
  }

  /** Appends `item`, or holds it during an outage (see the contract above). */
  write(item: AppendItem, force = false): { entry: JournalEntry; held: boolean } {
    const now = this.options.now();
    if (this.queue.length > 0) this.flush(now);
    if (this.queue.length === 0) {
      try {
        const entry = this.options.journal.append(item.type, item.at, item.payload);
        if (this.since !== undefined) this.end(now, entry.seq, entry.seq, 0);
        return { entry, held: false };
      } catch (error) {
        const cause = outOfSpaceCause(error);
        if (cause === undefined) throw error;
        if (this.options.hold === false) {
          throw new GatewardenError(
            'JOURNAL_UNAVAILABLE',
            `the journal cannot take appends (${cause}): nothing was recorded; free space in the data directory and try again`,
          );
        }
        this.begin(cause, now);
      }
    }
    if (!force && this.refusing(now)) {
      throw new GatewardenError(
        'JOURNAL_UNAVAILABLE',
        `the journal cannot take appends (${this.cause}) and ${this.queue.length} entries are held: not recorded`,
      );
    }
    return { entry: this.hold(item, now), held: true };
  }

  /**
   * Appends the held entries, oldest first, in one transaction, when the retry is due (`force`:
   * now). Returns how many landed. Never throws: a failure keeps them held for the next retry.
   */
  flush(now = this.options.now(), force = false): number {
    if (this.queue.length === 0) return 0;
    // A clock set back leaves nextRetryAt far ahead: never wait more than one retry period.
    if (!force && now < this.nextRetryAt && this.nextRetryAt - now <= this.options.policy.retryMs) return 0;
    this.nextRetryAt = now + this.options.policy.retryMs;
    let entries: AnyJournalEntry[];
    try {
      entries = this.options.journal.appendMany(this.queue.map((q) => q.item));
    } catch (error) {
      const cause = outOfSpaceCause(error);
      if (cause === undefined) {
        const message = error instanceof Error ? error.message : String(error);
        this.tell({ kind: 'retry-failed', cause: message, held: this.queue.length, at: now });
      }
      return 0;
    }
    this.queue.length = 0;
    for (const entry of entries) this.landed.add(entry.seq);
    this.end(now, entries[0]?.seq ?? 0, entries.at(-1)?.seq ?? 0, entries.length);
    return entries.length;
  }

  /**
   * At a stop: one more attempt to land the held entries, not waiting for the retry; what still
   * cannot land is described, so the operator learns what the journal is missing. It stays
   * held (so `settled` stays false and no snapshot takes in the state that folded it).
   */
  beforeStop(now = this.options.now()): HeldLoss | undefined {
    this.flush(now, true);
    if (this.queue.length === 0) return undefined;
    const byType: Record<string, number> = {};
    for (const { item } of this.queue) byType[item.type] = (byType[item.type] ?? 0) + 1;
    const times = this.queue.map((q) => q.item.at);
    return {
      held: this.queue.length,
      lost: this.volatile,
      byType,
      firstAt: Math.min(...times),
      lastAt: Math.max(...times),
      cause: this.cause,
    };
  }

  /** The entries held now, oldest first, as `write` returned them (seq 0). */
  entries(): JournalEntry[] {
    return this.queue.map(({ item }) => unjournaled(item));
  }

  /** Nothing held, and nothing landed that the catch-up has still to skip: the state is the journal's. */
  get settled(): boolean {
    return this.queue.length === 0 && this.landed.size === 0;
  }

  /** True, once, for the seq of an entry that was held (and so already folded) and has landed. */
  takeLanded(seq: number): boolean {
    return this.landed.delete(seq);
  }

  private begin(cause: string, now: number): void {
    this.cause = cause;
    this.nextRetryAt = now + this.options.policy.retryMs;
    if (this.since !== undefined) return;
    this.since = now;
    this.spillTold = false;
    this.hold(
      {
        type: 'alarm',
        at: now,
        payload: { code: 'JOURNAL_UNAVAILABLE', severity: 'critical', detail: { cause } },
      },
      now,
    );
    this.tell({ kind: 'unavailable', cause, at: now });
  }

  private end(now: number, firstSeq: number, lastSeq: number, landed: number): void {
    this.closeSpill(now);
    const outageMs = now - (this.since ?? now);
    this.since = undefined;
    this.cause = undefined;
    this.refusingTold = false;
    this.tell({ kind: 'restored', landed, firstSeq, lastSeq, outageMs, at: now });
  }

  private hold(item: AppendItem, now: number): JournalEntry {
    if (!Number.isSafeInteger(item.at) || item.at < 0) {
      // Held entries must all land: one the journal would refuse is refused here, as append would.
      throw new GatewardenError('USAGE', `journal entry time must be epoch milliseconds, got ${item.at}`, {
        problems: [{ field: 'at', message: 'a non-negative integer' }],
      });
    }
    this.queue.push({ item, heldAt: now, spilled: this.spillOne({ item, heldAt: now }, now) });
    const entry = unjournaled(item);
    this.options.onHold?.(entry);
    return entry;
  }

  /** Flushes one held entry to the spill; false (told once per outage) when it cannot. */
  private spillOne(entry: SpilledEntry, now: number): boolean {
    if (this.spill === undefined || this.spillTold) return false;
    let cause: string;
    try {
      if (this.spill.add(entry)) return true;
      cause = `the spill ${this.spill.path} is full (${this.spill.capacity} bytes)`;
    } catch (error) {
      cause = error instanceof Error ? error.message : String(error);
    }
    this.spillTold = true;
    this.tell({ kind: 'spill-failed', cause, at: now });
    return false;
  }

  /** The held entries landed: the spill's outage is over (a failure leaves it to the next start). */
  private closeSpill(now: number): void {
    try {
      this.spill?.close();
    } catch (error) {
      const cause = error instanceof Error ? error.message : String(error);
      this.tell({ kind: 'spill-failed', cause, at: now });
    }
  }

  private tell(event: OutageEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // An observer (the log) never stands between a decision and its gate.
      }
    }
  }
}

/** An entry as it will be journaled, without a seq or hashes: held, or never recorded (a dry run). */
export function unjournaled<T extends JournalEntry['type']>(item: {
  type: T;
  at: number;
  payload: JournalEntry<T>['payload'];
}): JournalEntry<T> {
  return { seq: 0, at: item.at, type: item.type, payload: item.payload, hash: '', prevHash: '' };
}
