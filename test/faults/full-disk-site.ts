/**
 * A checkpoint over a journal whose disk can be made full (failing-journal.ts), on the perimeter
 * layout, on a clock the test moves; `open()` builds another checkpoint on the same journal, as a
 * restart would (with `spillFile`, the running gateway's held-entries spill).
 */
import { Checkpoint } from '../../gateway/checkpoint/checkpoint.js';
import type { JournalEntry } from '../../gateway/journal/events.js';
import type { Decision } from '../../gateway/rules/types.js';
import { buildingRegistries, PERIMETER_LAYOUT } from '../helpers/building-world.js';
import { cardValue, NOW, policy } from '../helpers/world.js';
import { failingJournal } from './failing-journal.js';

const S = 1000;

export interface FullDiskSiteOptions {
  maxEntries?: number;
  withSnapshots?: boolean;
  spillFile?: string;
}

export function fullDiskSite({
  maxEntries = 20,
  withSnapshots = false,
  spillFile,
}: FullDiskSiteOptions = {}) {
  const { db, journal, disk } = failingJournal();
  const { exact } = buildingRegistries([]);
  const clock = { now: NOW };
  const seen: number[] = [];
  const open = () => {
    const cp = new Checkpoint({
      journal,
      layout: PERIMETER_LAYOUT,
      registry: () => exact,
      // Three exits per household: a held exit folded twice would use the last one.
      policy: (mode) => policy(mode, { householdQuota: { exits: 3, periodMs: 48 * 3600 * S } }),
      initialMode: 'closed',
      timezone: 'Asia/Shanghai',
      returnWithinMs: 4 * 3600 * S,
      now: () => clock.now,
      journalOutage: { maxEntries, maxAgeMs: 600 * S, retryMs: 5 * S },
      onEntry: (e: JournalEntry) => seen.push(e.seq),
      ...(withSnapshots ? { snapshots: { db, key: Buffer.alloc(32, 1) } } : {}),
    });
    const started = cp.start(spillFile === undefined ? {} : { spillFile });
    return Object.assign(cp, { started });
  };
  let cp = open();
  const pass = (laneId: string, card: string) => {
    clock.now += 60 * S;
    cp.reading(laneId, { at: clock.now - S, celsius: 36.5, mask: true }, 'cam');
    return cp.present({ laneId, credential: { kind: 'card', value: cardValue(card) } });
  };
  /** A crash and a start: the old checkpoint is dropped without a stop (its spill file closed, as the OS would). */
  const restart = () => {
    cp.close();
    cp = open();
    return cp;
  };
  return {
    db,
    journal,
    disk,
    clock,
    get cp() {
      return cp;
    },
    open,
    pass,
    restart,
    seen,
  };
}

export const codes = (d: Decision) => d.reasons.map((r) => r.code);
