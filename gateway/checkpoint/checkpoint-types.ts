import type { Db } from '../db.js';
import type { SiteMode } from '../domain/model.js';
import type { JournalEntry } from '../journal/events.js';
import type { Journal } from '../journal/journal.js';
import type { Decision, PassRequest, Policy, RegistryView } from '../rules/types.js';
import type { HeldEntriesPolicy } from './held-entries.js';
import type { SiteLayout } from './site-layout.js';
import type { SpillStart } from './spill-recovery.js';

/** The checkpoint's options and what its calls return (checkpoint.ts). */

export interface CheckpointOptions {
  journal: Journal;
  layout: SiteLayout;
  /** The registry snapshot to decide against; called per decision so a reload takes effect at once. */
  registry: () => RegistryView;
  /** The policy for a mode, from the configuration. */
  policy: (mode: SiteMode) => Policy;
  initialMode: SiteMode;
  timezone: string;
  returnWithinMs: number;
  now: () => number;
  /**
   * What-if mode for `gatewarden decide`: entries change the in-memory state only and are never
   * journaled. Never set on a checkpoint that drives a gate.
   */
  dryRun?: boolean;
  /**
   * Called for every entry the state takes in, in order, whoever appended it: once each, a held
   * entry when it is held (with seq 0), not again when it lands.
   */
  onEntry?: (entry: JournalEntry) => void;
  /** The guards on duty now (ids), journaled with every decision; absent: not journaled. */
  onDuty?: () => readonly string[];
  /**
   * How long to decide from memory when the journal cannot take appends (held-entries.ts), for
   * the running gateway. Absent: nothing is held, and a write on a full disk throws
   * JOURNAL_UNAVAILABLE (a CLI command must fail, not exit with its entry in memory).
   */
  journalOutage?: HeldEntriesPolicy;
  /**
   * Keeps snapshots of the state in the journal's database (snapshot-store.ts), MACed with
   * this key, so that `start()` replays only the entries after the last one. Absent: none.
   */
  snapshots?: {
    db: Db;
    key: Buffer;
    /** Entries between snapshots (default SNAPSHOT_EVERY). */
    every?: number;
    /** How long the journal must have been quiet for a due snapshot (default SNAPSHOT_QUIET_MS). */
    quietMs?: number;
  };
  /**
   * After `start()` restored a snapshot taken at `seq`: entries up to it were not replayed,
   * so `onEntry` did not see them; folds kept outside the state read what they need here.
   */
  onRestore?: (seq: number) => void;
}

/** How `start()` rebuilt the state: entries replayed, and the snapshot it began from, if any. */
export interface StartResult {
  replayed: number;
  fromSnapshot?: number;
  /** Why a snapshot there was not used. */
  snapshotIgnored?: string;
  /** With `spillFile`: what the held-entries spill had kept, and what became of it. */
  spill?: SpillStart;
}

/** A request as a device or operator hands it in: time and shift are stamped here when absent. */
export type IncomingRequest = Omit<PassRequest, 'at' | 'shift'> & Partial<Pick<PassRequest, 'at' | 'shift'>>;

export interface Passed {
  decision: Decision;
  /** With `seq` 0 unless `journal` is `appended`. */
  entry: JournalEntry<'decision'>;
  /**
   * `appended`: committed to the journal. `held`: the journal is out of space; held in memory
   * and appended when it has room again (held-entries.ts): act on it, never call it journaled.
   * `unrecorded`: a JOURNAL_UNAVAILABLE refusal past the bound, or a dry run.
   */
  journal: 'appended' | 'held' | 'unrecorded';
}
