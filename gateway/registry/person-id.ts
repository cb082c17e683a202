import { createHmac } from 'node:crypto';

/**
 * Stable person ids for rosters and registrations that do not give one. The same person gets
 * the same id on every import, so re-importing a roster updates rather than duplicates.
 * Both forms are pseudonyms: neither reveals the ID number or the name without the site key.
 */

/** `p-` + the first 16 hex characters (64 bits) of the ID number's keyed hash. */
export function personIdFromIdHash(idHash: string): string {
  return `p-${idHash.slice(0, 16)}`;
}

/**
 * `n-` + 16 hex characters of HMAC-SHA256(key, scope NUL name), for a person known only by name
 * within a scope (a household id, or `staff`). Keyed, because an unkeyed hash of a household
 * and a name is easy to reverse by trying common names.
 */
export function personIdFromName(key: Buffer, scope: string, name: string): string {
  const digest = createHmac('sha256', key).update(`${scope}\u0000${name.trim()}`, 'utf8').digest('hex');
  return `n-${digest.slice(0, 16)}`;
}
