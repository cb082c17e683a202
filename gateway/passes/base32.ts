/**
 * RFC 4648 base32 (alphabet A–Z 2–7), without padding, decoded strictly: one text per byte
 * string. Every character of the alphabet is in the QR code's alphanumeric set, which stores a
 * character in 5.5 bits where byte mode needs 8, and none of them is a space or a symbol that a
 * scanner's case or keyboard settings could change (see docs/passes.md for the comparison with
 * base45 and base64url).
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const VALUES: ReadonlyMap<string, number> = new Map([...ALPHABET].map((c, i) => [c, i]));

/** A text that is not the base32 form of any byte string; the message says where and why. */
export class Base32Error extends Error {
  override readonly name = 'Base32Error';
}

export function encodeBase32(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = ((buffer << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET.charAt((buffer >> bits) & 31);
    }
  }
  if (bits > 0) out += ALPHABET.charAt((buffer << (5 - bits)) & 31);
  return out;
}

/**
 * Strict decoding: upper-case alphabet only, no padding, no length that no byte string encodes
 * to (1, 3 or 6 characters past a multiple of 8), and the unused low bits of the last
 * character zero, so that a changed character never decodes to the same bytes.
 */
export function decodeBase32(text: string): Buffer {
  const rest = text.length % 8;
  if (rest === 1 || rest === 3 || rest === 6) {
    throw new Base32Error(`length ${text.length} is not the length of any base32 text`);
  }
  const out = Buffer.alloc(Math.floor((text.length * 5) / 8));
  let buffer = 0;
  let bits = 0;
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const value = VALUES.get(text.charAt(i));
    if (value === undefined) {
      // The position only: a pass's text is never echoed, not even one character of it.
      throw new Base32Error(`character ${i + 1} is not base32 (upper-case A–Z and 2–7)`);
    }
    buffer = ((buffer << 5) | value) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = (buffer >> bits) & 0xff;
    }
  }
  if ((buffer & ((1 << bits) - 1)) !== 0) {
    throw new Base32Error(`last character has non-zero padding bits (not the canonical encoding)`);
  }
  return out;
}
