import { z } from 'zod';
import type { ERROR_CODES } from '../errors.js';

/** What every refused request gets: a stable code, a message, and the fields that are wrong. */
export const problemSchema = z.object({
  error: z.string(),
  message: z.string(),
  problems: z.array(z.object({ field: z.string().optional(), message: z.string() })).optional(),
});

export type ApiProblem = z.infer<typeof problemSchema>;

/** Codes of the admin API beyond the catalogue in errors.ts (HTTP-level refusals). */
export type ApiErrorCode =
  | keyof typeof ERROR_CODES
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'LOGIN_LOCKED'
  | 'HANDOVER_OPEN_ALARMS'
  | 'INTERNAL';

export function problem(
  error: ApiErrorCode,
  message: string,
  extra: { problems?: readonly { field?: string; message: string }[] | undefined } = {},
): ApiProblem {
  return extra.problems && extra.problems.length > 0
    ? { error, message, problems: extra.problems.map((p) => ({ ...p })) }
    : { error, message };
}
