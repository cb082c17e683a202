/**
 * The `duty` section: guards on duty at the checkpoint (plan 6 §3.2, "guarded 24 hours in three
 * shifts"). Part of the one schema in `schema.ts`. Guards log in to a shift by card at a duty
 * station or on the dashboard; docs/duty.md explains the workflow.
 */
import { z } from 'zod';

export const dutySchema = z.strictObject({
  unattendedAlarm: z
    .boolean()
    .default(true)
    .describe('Raise CHECKPOINT_UNATTENDED when no guard is logged in during a duty shift.'),
  loginGraceMinutes: z
    .number()
    .min(0)
    .max(180)
    .default(15)
    .describe(
      'Minutes after a shift starts (or after the last guard logged out) before an empty checkpoint is an alarm.',
    ),
  handoverNeedsAcknowledgement: z
    .boolean()
    .default(true)
    .describe('A handover is refused until the incoming guard acknowledged every open alarm.'),
});

export type DutyConfig = z.output<typeof dutySchema>;
