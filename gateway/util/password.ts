/**
 * Password hashes of users (the MQTT broker's, the admin API's): scrypt (RFC 7914, node:crypto) with a random 16-byte salt
 * per user and the cost parameters stored beside the hash, so they can be raised later without
 * invalidating existing users. Plain passwords are never stored, logged or returned.
 *
 * Cost: N = 2^15, r = 8, p = 1 (32 MiB, tens of ms per check); scrypt runs in libuv's thread
 * pool, so checks do not block the event loop. Verification compares with timingSafeEqual.
 */
import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';

export interface PasswordHash {
  algorithm: 'scrypt';
  /** CPU/memory cost, a power of two. */
  N: number;
  r: number;
  p: number;
  /** Base64. */
  salt: string;
  /** Base64; its length is the derived key length. */
  hash: string;
}

export const DEFAULT_COST = { N: 2 ** 15, r: 8, p: 1 } as const;
const KEY_BYTES = 32;
const SALT_BYTES = 16;
/** Shortest and longest password accepted when one is set (MQTT allows 65535 bytes). */
export const PASSWORD_BYTES = { min: 8, max: 1024 } as const;

function derive(password: Buffer, salt: Buffer, bytes: number, cost: ScryptOptions): Promise<Buffer> {
  // 128·N·r bytes are needed; node's default maxmem (32 MiB) is just short of N=2^15, r=8.
  const maxmem = 256 * (cost.N ?? DEFAULT_COST.N) * (cost.r ?? DEFAULT_COST.r);
  return new Promise((resolve, reject) =>
    scrypt(password, salt, bytes, { ...cost, maxmem }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

export async function hashPassword(
  password: string | Buffer,
  cost: { N: number; r: number; p: number } = DEFAULT_COST,
): Promise<PasswordHash> {
  const secret = Buffer.from(password);
  if (secret.length < PASSWORD_BYTES.min || secret.length > PASSWORD_BYTES.max)
    throw new RangeError(`a password must have ${PASSWORD_BYTES.min} to ${PASSWORD_BYTES.max} bytes`);
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(secret, salt, KEY_BYTES, cost);
  return { algorithm: 'scrypt', ...cost, salt: salt.toString('base64'), hash: key.toString('base64') };
}

/** Whether `password` is the one `stored` was made from. Never throws on a wrong password. */
export async function verifyPassword(password: Buffer | undefined, stored: PasswordHash): Promise<boolean> {
  const expected = Buffer.from(stored.hash, 'base64');
  const given = password ?? Buffer.alloc(0);
  const key = await derive(given, Buffer.from(stored.salt, 'base64'), expected.length, {
    N: stored.N,
    r: stored.r,
    p: stored.p,
  });
  return expected.length > 0 && key.length === expected.length && timingSafeEqual(key, expected);
}

/**
 * A hash no password matches, checked for unknown users so that "no such user" takes as long
 * as "wrong password" and the answer does not reveal which user names exist.
 */
export const DECOY_HASH: PasswordHash = {
  algorithm: 'scrypt',
  ...DEFAULT_COST,
  salt: Buffer.alloc(SALT_BYTES).toString('base64'),
  hash: Buffer.alloc(KEY_BYTES).toString('base64'),
};
