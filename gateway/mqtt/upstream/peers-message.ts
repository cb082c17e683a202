/**
 * A decision another gateway of the site published upstream (`<prefix>/<site>/<gateway>/journal/
 * decision`, by the journal publisher: `{seq, at, type: 'decision', gateway, site, payload}` with
 * the journal entry's payload), read for what this gateway needs to know of it: who passed,
 * which way, and whether it was a household's exit. Objects are read loosely (other members are
 * the publisher's business); the members read are checked.
 */
import { z } from 'zod';
import { DIRECTIONS, PERSON_KINDS } from '../../domain/model.js';
import type { JournalEventMap } from '../../journal/events.js';

const id = z.string().min(1).max(128);

const subjectSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('unknown') }),
  z.object({
    kind: z.literal('person'),
    id,
    personKind: z.enum(PERSON_KINDS),
    householdId: id.optional(),
  }),
  z.object({ kind: z.literal('vehicle'), id }),
]);

export const peerDecisionSchema = z.object({
  seq: z.int().positive(),
  at: z.number().finite(),
  type: z.literal('decision'),
  gateway: z
    .string()
    .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/)
    .max(64),
  site: z.string().min(1).max(64),
  payload: z.object({
    request: z.object({ laneId: z.string().min(1).max(64) }),
    decision: z.object({
      allow: z.boolean(),
      direction: z.enum(DIRECTIONS),
      subject: subjectSchema,
      /** Present at a building gate (Decision.entrance): such a pass is no passage of the community. */
      entrance: z.object({ building: z.string() }).optional(),
    }),
  }),
});

export type PeerDecision = z.infer<typeof peerDecisionSchema>;

/**
 * The passage a peer's decision means here, or undefined when it changes nothing here: a
 * refusal, a pass of nobody known, or a pass at a building's door (inside the community). Matches what SiteState takes from a local decision: the
 * subject's direction (anti-passback) and, for a resident let out, the household's exit (quota).
 */
export function passageOf(message: PeerDecision): JournalEventMap['passage'] | undefined {
  const { decision, request } = message.payload;
  const { subject, direction } = decision;
  if (!decision.allow || subject.kind === 'unknown' || decision.entrance !== undefined) return undefined;
  const passage: JournalEventMap['passage'] = {
    subjectId: subject.id,
    direction,
    laneId: request.laneId,
    origin: { gateway: message.gateway, seq: message.seq },
  };
  if (
    subject.kind === 'person' &&
    subject.personKind === 'resident' &&
    subject.householdId !== undefined &&
    direction === 'out'
  ) {
    passage.householdId = subject.householdId;
  }
  return passage;
}
