/**
 * Per-message MAC and data encryption of the OSDP Secure Channel (protocols.md §1.9), matching
 * libosdp src/osdp_sc.c and its tests/unit-tests/test-sc.c vectors.
 *
 * Padding differs between the two, as in libosdp:
 * - MAC: 0x80 then zeros up to a multiple of 16 **only when the input is not already one**; an
 *   input of 16·n bytes is MACed as is (no extra block).
 * - Encryption: 0x80 is **always** appended, then zeros up to a multiple of 16 (16 bytes of
 *   data become 32 bytes of ciphertext).
 */
import { aesCbcDecrypt, aesCbcEncrypt, BLOCK } from './aes.js';
import { SecureChannelError } from './errors.js';
import { expectLength, type SessionKeys } from './keys.js';

export const END_MARKER = 0x80;

/** Bytes followed by 0x80 and the zeros that bring the length to the next multiple of 16. */
function padWithMarker(bytes: Buffer): Buffer {
  const padded = Buffer.alloc(Math.ceil((bytes.length + 1) / BLOCK) * BLOCK);
  bytes.copy(padded);
  padded[bytes.length] = END_MARKER;
  return padded;
}

/**
 * The full 16-byte MAC of `bytes` (SOM up to, excluding, the MAC; see codec.ts `macInput`).
 * CBC with S-MAC1 over all blocks but the last, starting from `iv`; the last block is chained on
 * and encrypted with S-MAC2. `iv` is the last R-MAC for a command and the last C-MAC for a reply.
 * The first 4 bytes go on the wire; all 16 become the next C-MAC (command) or R-MAC (reply).
 */
export function computeMac(keys: Pick<SessionKeys, 'mac1' | 'mac2'>, iv: Buffer, bytes: Buffer): Buffer {
  expectLength(iv, BLOCK, 'MAC IV');
  const padded = bytes.length > 0 && bytes.length % BLOCK === 0 ? bytes : padWithMarker(bytes);
  const head = padded.subarray(0, padded.length - BLOCK);
  const last = padded.subarray(padded.length - BLOCK);
  const chained = head.length > 0 ? aesCbcEncrypt(keys.mac1, iv, head).subarray(-BLOCK) : iv;
  return aesCbcEncrypt(keys.mac2, chained, last);
}

function notIv(lastMac: Buffer): Buffer {
  expectLength(lastMac, BLOCK, 'last MAC');
  return Buffer.from(lastMac.map((b) => ~b & 0xff));
}

/**
 * Encrypts the data bytes after the command/reply code (SCB 0x17/0x18) with S-ENC, AES-CBC,
 * IV = bitwise NOT of `lastMac` (last R-MAC for a command, last C-MAC for a reply).
 * Callers never encrypt empty data (they send 0x15/0x16 instead), but it is well defined: one
 * block holding just the marker.
 */
export function encryptData(enc: Buffer, lastMac: Buffer, plain: Buffer): Buffer {
  return aesCbcEncrypt(enc, notIv(lastMac), padWithMarker(plain));
}

/**
 * Inverse of encryptData. Throws 'bad-length' when `cipher` is empty or not a multiple of 16,
 * and 'bad-padding' unless the plaintext ends with 0x80 followed by 0–15 zeros (stricter than
 * libosdp, which strips any run of zeros; our and libosdp's encoders never emit more than 15).
 */
export function decryptData(enc: Buffer, lastMac: Buffer, cipher: Buffer): Buffer {
  if (cipher.length === 0 || cipher.length % BLOCK !== 0) {
    throw new SecureChannelError(
      'bad-length',
      `encrypted data is ${cipher.length} bytes, not a positive multiple of 16`,
    );
  }
  const plain = aesCbcDecrypt(enc, notIv(lastMac), cipher);
  let end = plain.length - 1;
  while (end >= plain.length - BLOCK && plain[end] === 0x00) end--;
  if (end < plain.length - BLOCK || plain[end] !== END_MARKER) {
    throw new SecureChannelError('bad-padding', 'no 0x80 end marker in the last block');
  }
  return Buffer.from(plain.subarray(0, end));
}
