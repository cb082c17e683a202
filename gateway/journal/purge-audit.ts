import type { Db } from '../db.js';
import type { JournalEventMap } from './events.js';

/**
 * What retention may purge from the journal, and the check `verifyJournal` makes of every purged
 * row: a `retention` entry appended after it (in the same transaction as the purge, see
 * retention.ts) with a cutoff past the row's time. A payload dropped by anything else is
 * reported as `purge_unaccounted` rather than passing as a purge.
 */

/** Journal entry types retention purges, with the class of the `retention` entry that counts them. */
const PURGEABLE: Readonly<Record<string, keyof JournalEventMap['retention']>> = { reading: 'readings' };

export const PURGEABLE_TYPES: ReadonlySet<string> = new Set(Object.keys(PURGEABLE));

export interface PurgeCutoffs {
  /** The latest cutoff of a `retention` entry with a seq above `seq` for `type`; -Infinity when none. */
  cutoffAfter(seq: number, type: string): number;
}

/** Reads every `retention` entry once (a few per day), for the verifier's walk. */
export function readPurgeCutoffs(db: Db): PurgeCutoffs {
  const rows = db
    .prepare<[], { seq: number; payload: string }>(
      "SELECT seq, payload FROM journal WHERE type = 'retention' ORDER BY seq",
    )
    .all();
  const byClass = new Map<string, { seqs: number[]; suffixMax: number[] }>();
  for (const cls of new Set(Object.values(PURGEABLE))) {
    const seqs: number[] = [];
    const cutoffs: number[] = [];
    for (const row of rows) {
      const cutoff = cutoffOf(row.payload, cls);
      if (cutoff === undefined) continue;
      seqs.push(row.seq);
      cutoffs.push(cutoff);
    }
    const suffixMax = cutoffs.slice();
    for (let i = suffixMax.length - 2; i >= 0; i--)
      suffixMax[i] = Math.max(suffixMax[i] as number, suffixMax[i + 1] as number);
    byClass.set(cls, { seqs, suffixMax });
  }
  return {
    cutoffAfter(seq, type) {
      const cls = PURGEABLE[type];
      const runs = cls === undefined ? undefined : byClass.get(cls);
      if (runs === undefined) return Number.NEGATIVE_INFINITY;
      const i = firstAbove(runs.seqs, seq);
      return i < runs.seqs.length ? (runs.suffixMax[i] as number) : Number.NEGATIVE_INFINITY;
    },
  };
}

function cutoffOf(payloadJson: string, cls: string): number | undefined {
  try {
    const payload = JSON.parse(payloadJson) as Record<string, { olderThan?: unknown } | undefined>;
    const cutoff = payload[cls]?.olderThan;
    return typeof cutoff === 'number' ? cutoff : undefined;
  } catch {
    return undefined; // a broken retention row is the chain walk's to report
  }
}

/** Index of the first element of ascending `sorted` greater than `value`. */
function firstAbove(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
