/**
 * The `retention` section: how long visitors' identity data and temperature readings are kept
 * (docs/journal.md, Retention). Part of the one schema in `schema.ts`.
 *
 * Off by default (a period absent: kept): a purge cannot be undone, so a site chooses its periods
 * (the community's own rules, local regulation) rather than inheriting one on upgrade.
 */
import { z } from 'zod';

const days = (what: string) =>
  z.number().positive().max(3650).optional().describe(`${what} Absent: kept (no purge).`);

export const retentionSchema = z.strictObject({
  readingsDays: days(
    'Days a temperature reading is kept in the journal; older readings lose their payload (time and chain digest stay) once every sink has delivered them.',
  ),
  visitorsDays: days(
    "Days after a visitor's last registration ended that the visitor's name, ID number hash and masked ID number, travel record and ID-card credential are kept in the registry.",
  ),
});

export type RetentionConfig = z.output<typeof retentionSchema>;
