/**
 * The `journalOutage` section: how long the gateway keeps deciding from memory when the journal
 * cannot take appends (disk full, I/O error on the data directory), docs/journal.md "Disk full".
 * Part of the one schema in `schema.ts`.
 */
import { z } from 'zod';
import type { HeldEntriesPolicy } from '../gateway/checkpoint/held-entries.js';

export const journalOutageSchema = z.strictObject({
  maxHeldEntries: z
    .number()
    .int()
    .min(0)
    .max(100_000)
    .default(1000)
    .describe(
      'Entries (passes, readings, mode and fire changes, device events, the gateway’s own entries) held while the journal cannot take appends, in memory and in the spill file beside the database; at this many the lanes refuse with JOURNAL_UNAVAILABLE. 0: refuse at the first failed append.',
    ),
  maxHeldSeconds: z
    .number()
    .positive()
    .max(24 * 3600)
    .default(600)
    .describe(
      'Seconds the oldest held entry may wait for the journal; past them the lanes refuse with JOURNAL_UNAVAILABLE. Held entries are kept in a spill file beside the database (sized for maxHeldEntries when the gateway starts) and land after a crash or restart.',
    ),
  retrySeconds: z
    .number()
    .positive()
    .max(3600)
    .default(5)
    .describe(
      'Seconds between attempts to append the held entries (on the gateway follow timer and with each pass).',
    ),
});

export type JournalOutageConfig = z.output<typeof journalOutageSchema>;

export function heldEntriesPolicyOf(config: JournalOutageConfig): HeldEntriesPolicy {
  return {
    maxEntries: config.maxHeldEntries,
    maxAgeMs: Math.round(config.maxHeldSeconds * 1000),
    retryMs: Math.round(config.retrySeconds * 1000),
  };
}
