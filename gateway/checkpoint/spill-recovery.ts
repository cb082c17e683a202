import { canonicalJson } from '../journal/canonical.js';
import type { AnyJournalEntry, AppendItem, Journal } from '../journal/journal.js';
import { type HeldEntries, type HeldEntriesPolicy, outOfSpaceCause, spillCapacity } from './held-entries.js';
import { HeldSpill } from './held-spill.js';
import type { SpilledEntry } from './held-spill-codec.js';

/** What a start found in the spill, and did with it: for the log (counts and seqs only). */
export type SpillStart = { file: string; problem?: string } & (
  | { state: 'empty' }
  /** Appended now, in their order, behind what the journal had. */
  | { state: 'landed'; count: number; firstSeq: number; lastSeq: number }
  /** They had landed before the stop, which came before the spill was told: not appended again. */
  | { state: 'already-landed'; count: number; firstSeq: number; lastSeq: number }
  /** The journal still cannot take them: held again, and the outage goes on. */
  | { state: 'held'; count: number; cause: string }
  /** No spill (it could not be made or read): held entries are in memory only. */
  | { state: 'unavailable'; cause: string }
);

/**
 * Opens the running gateway's spill at a start, before the state is rebuilt, and lands what a
 * crash or stop left in it (held-spill.ts): exactly once, so an outage whose entries landed just
 * before the crash, with the spill not yet told, is recognised and not appended twice. Entries
 * the journal still cannot take go back to `held`; the caller folds the returned ones into its
 * state once the journal's are in.
 */
export function openSpill(
  file: string,
  policy: HeldEntriesPolicy,
  journal: Journal,
  held: HeldEntries,
): { start: SpillStart; fold: SpilledEntry[] } {
  let opened: ReturnType<typeof HeldSpill.openFile>;
  try {
    opened = HeldSpill.openFile(file, spillCapacity(policy));
  } catch (error) {
    return { start: { file, state: 'unavailable', cause: messageOf(error) }, fold: [] };
  }
  const { spill, image } = opened;
  held.useSpill(spill);
  const problems = image.problem === undefined ? [] : [image.problem];
  // Told the outage is over; if that fails, the next start finds the entries landed.
  const base = () => {
    try {
      spill.close();
    } catch (error) {
      problems.push(`the spill could not be cleared: ${messageOf(error)}`);
    }
    return { file, ...(problems.length === 0 ? {} : { problem: problems.join('; ') }) };
  };
  const records = image.records;
  if (records.length === 0) return { start: { ...base(), state: 'empty' }, fold: [] };
  const found = findLanded(
    journal,
    records.map((r) => r.item),
  );
  if (found !== undefined) {
    return { start: { ...base(), state: 'already-landed', count: records.length, ...found }, fold: [] };
  }
  let landed: AnyJournalEntry[];
  try {
    landed = journal.appendMany(records.map((r) => r.item));
  } catch (error) {
    const cause = outOfSpaceCause(error);
    if (cause === undefined) throw error;
    held.resume(records, cause);
    const kept = { file, ...(image.problem === undefined ? {} : { problem: image.problem }) };
    return { start: { ...kept, state: 'held', count: records.length, cause }, fold: records };
  }
  const firstSeq = landed[0]?.seq ?? 0;
  const lastSeq = landed.at(-1)?.seq ?? 0;
  return { start: { ...base(), state: 'landed', count: landed.length, firstSeq, lastSeq }, fold: [] };
}

/**
 * The seqs of `items` if the journal has them already, back to back: held entries land in one
 * transaction, so a landed outage is one run, found from its first entry (the outage alarm).
 */
export function findLanded(
  journal: Journal,
  items: readonly AppendItem[],
): { firstSeq: number; lastSeq: number } | undefined {
  const [first] = items;
  if (first === undefined) return undefined;
  const range = { fromAt: first.at, toAt: first.at + 1, types: [first.type] };
  for (const candidate of journal.iterateRange(range)) {
    if (!sameEntry(candidate, first)) continue;
    const all = items.every((item, i) => {
      const entry = i === 0 ? candidate : journal.get(candidate.seq + i);
      return entry !== undefined && sameEntry(entry, item);
    });
    if (all) return { firstSeq: candidate.seq, lastSeq: candidate.seq + items.length - 1 };
  }
  return undefined;
}

function sameEntry(entry: AnyJournalEntry, item: AppendItem): boolean {
  return (
    entry.type === item.type &&
    entry.at === item.at &&
    canonicalJson(entry.payload) === canonicalJson(item.payload)
  );
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
