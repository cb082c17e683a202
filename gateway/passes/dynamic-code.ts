import { createHmac, timingSafeEqual } from 'node:crypto';
import { CODE_DIGITS } from './pass-codec.js';

/**
 * Time-step codes for dynamic passes on a phone screen, shaped as RFC 6238 TOTP: the step is
 * floor(Unix seconds / step length) from T0 = 0, the code is HOTP (RFC 4226 dynamic
 * truncation) of the step as an 8-byte big-endian counter, with HMAC-SHA256 and 8 digits.
 *
 * The per-pass secret is HMAC-SHA256(site dynamic key, label + pass id): the issuer gives it
 * to the phone when the pass is issued, and every gateway that holds the site dynamic key
 * derives it again offline, so no per-pass secret is stored or sent to gateways. The trade-off
 * (anyone holding the site key can compute any pass's codes) is in docs/passes.md.
 */

/** The gateway accepts the current step and one either side (RFC 6238 §5.2's usual window). */
export const ACCEPTED_STEPS = 1;
/** The steps tried, relative to the current one: 0, −1, +1, … ± ACCEPTED_STEPS. */
const STEP_ORDER = [0, ...Array.from({ length: ACCEPTED_STEPS }, (_, i) => [-(i + 1), i + 1]).flat()];

export function passSecret(siteDynamicKey: Buffer, passId: string): Buffer {
  return createHmac('sha256', siteDynamicKey).update(`pass-secret\0${passId}`).digest();
}

export function stepAt(atMs: number, stepSeconds: number): number {
  return Math.floor(atMs / 1000 / stepSeconds);
}

/** The code of one step: CODE_DIGITS decimal digits, zero-padded. */
export function stepCode(secret: Buffer, step: number): string {
  if (!Number.isSafeInteger(step) || step < 0) throw new RangeError(`step ${step} is not a counter`);
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha256', secret).update(counter).digest();
  const offset = (mac[mac.length - 1] as number) & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fff_ffff;
  return String(binary % 10 ** CODE_DIGITS).padStart(CODE_DIGITS, '0');
}

/**
 * The step whose code `code` is, among the current step and ACCEPTED_STEPS either side (the
 * current one tried first), or undefined. Compares in constant time.
 */
export function matchStep(
  secret: Buffer,
  code: string,
  atMs: number,
  stepSeconds: number,
): number | undefined {
  const now = stepAt(atMs, stepSeconds);
  const given = Buffer.from(code, 'latin1');
  for (const delta of STEP_ORDER) {
    const step = now + delta;
    if (step < 0) continue;
    const expected = Buffer.from(stepCode(secret, step), 'latin1');
    if (given.length === expected.length && timingSafeEqual(given, expected)) return step;
  }
  return undefined;
}
