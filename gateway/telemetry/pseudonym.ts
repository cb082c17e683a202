import { createHmac } from 'node:crypto';

/**
 * Keyed pseudonym of a registry id for telemetry: 16 hex digits of HMAC-SHA256 under the site's
 * pseudonym key, with a label of its own so it never equals the ID-number hashes.
 */
export function telemetryPseudonym(key: Buffer, id: string): string {
  return createHmac('sha256', key).update(`telemetry-subject\0${id}`).digest('hex').slice(0, 16);
}

/** Subjects repeat (a household passes many times): an HMAC per point would dominate the mapping. */
export function cachedPseudonym(key: Buffer, limit = 100_000): (id: string) => string {
  const seen = new Map<string, string>();
  return (id) => {
    let p = seen.get(id);
    if (p === undefined) {
      if (seen.size >= limit) seen.clear();
      p = telemetryPseudonym(key, id);
      seen.set(id, p);
    }
    return p;
  };
}
