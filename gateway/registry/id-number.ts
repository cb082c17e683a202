import { createHmac } from 'node:crypto';
import { loadOrCreateKey } from '../util/key-file.js';

/**
 * Resident ID numbers (公民身份号码, GB 11643-1999): validation, masking and pseudonymisation.
 *
 * Privacy contract: a raw ID number lives only as long as the request or import that carries it.
 * The registry keeps its keyed hash (the `idcard` credential value and the source of derived
 * person ids) and its masked form (for screens); nothing here ever puts the number, or any part
 * of it beyond the masked form, in a message.
 */

/** Weights of digits 1–17 (2^(18−i) mod 11), ISO 7064 MOD 11-2. */
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
const CHECK_CHARS = '10X98765432';
const SHAPE = /^\d{17}[\dX]$/;
/** Birth dates are China Standard Time dates: a person born today exists from 00:00 UTC+8. */
const CHINA_OFFSET_MS = 8 * 3_600_000;
const EARLIEST_BIRTH_YEAR = 1800;
export const PSEUDONYM_KEY_BYTES = 32;

export type IdNumberCheck = { ok: true } | { ok: false; problem: string };

/** Trims and upper-cases (a lower-case `x` check character is common in spreadsheets). */
export function normaliseIdNumber(s: string): string {
  return s.trim().toUpperCase();
}

/** The check character for the first 17 digits. Throws a RangeError for anything but 17 digits. */
export function computeIdCheckChar(first17: string): string {
  if (!/^\d{17}$/.test(first17)) throw new RangeError('expected exactly 17 digits');
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += (first17.charCodeAt(i) - 48) * (WEIGHTS[i] ?? 0);
  return CHECK_CHARS.charAt(sum % 11);
}

/**
 * Validates shape, birth date (a real calendar date, year ≥ 1800, not after `now`) and the
 * check character. Problems describe what is wrong without echoing any part of the number.
 */
export function checkIdNumber(s: string, now: number = Date.now()): IdNumberCheck {
  const n = normaliseIdNumber(s);
  if (n.length !== 18) return { ok: false, problem: `must be 18 characters, not ${n.length}` };
  if (!SHAPE.test(n)) return { ok: false, problem: 'must be 17 digits followed by a digit or X' };
  const year = Number(n.slice(6, 10));
  const month = Number(n.slice(10, 12));
  const day = Number(n.slice(12, 14));
  const birthUtc = Date.UTC(year, month - 1, day);
  const date = new Date(birthUtc);
  if (month < 1 || month > 12 || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
    return { ok: false, problem: 'birth date (characters 7–14) is not a calendar date' };
  }
  if (year < EARLIEST_BIRTH_YEAR)
    return { ok: false, problem: 'birth date (characters 7–14) is before 1800' };
  if (birthUtc - CHINA_OFFSET_MS > now) {
    return { ok: false, problem: 'birth date (characters 7–14) is in the future' };
  }
  if (computeIdCheckChar(n.slice(0, 17)) !== n.charAt(17)) {
    return { ok: false, problem: 'check character (18th) does not match (GB 11643, ISO 7064 MOD 11-2)' };
  }
  return { ok: true };
}

/** First 4 and last 4 characters kept, the 10 between masked: `1101**********002X`. */
export function maskIdNumber(s: string): string {
  const n = normaliseIdNumber(s);
  if (n.length <= 8) return '*'.repeat(n.length);
  return `${n.slice(0, 4)}${'*'.repeat(n.length - 8)}${n.slice(-4)}`;
}

/**
 * HMAC-SHA256 of the normalised number under the site's pseudonym key, as 64 lower-case hex
 * characters: the `idcard` credential value. Hex because it is safe in CSV, SQL, URLs and logs
 * and its prefix makes a readable derived person id. Different keys give unrelated hashes, so
 * a leaked registry cannot be joined with another site's without the key.
 */
export function hashIdNumber(key: Buffer, s: string): string {
  if (key.length < 16) throw new RangeError('pseudonym key must be at least 16 bytes');
  return createHmac('sha256', key).update(normaliseIdNumber(s), 'utf8').digest('hex');
}

/**
 * Loads the site's pseudonym key (32 raw bytes) from `path`, creating it when absent (see
 * `loadOrCreateKey`). Losing the key makes every stored hash unmatchable, so back it up with
 * the database.
 */
export function pseudonymKey(path: string): Buffer {
  return loadOrCreateKey(path, PSEUDONYM_KEY_BYTES, 'pseudonym key');
}
