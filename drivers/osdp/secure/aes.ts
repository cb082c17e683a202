/**
 * AES-128 primitives for the Secure Channel, from node:crypto, always without PKCS#7 padding:
 * OSDP pads by itself (0x80 then zeros), so every input must already be a multiple of 16 bytes.
 * Synchronous and allocation-per-call; messages are at most a few hundred bytes.
 */
import { createCipheriv, createDecipheriv, timingSafeEqual } from 'node:crypto';
import { SecureChannelError } from './errors.js';

export const BLOCK = 16;

function checkKey(key: Buffer, what: string): void {
  if (key.length !== BLOCK)
    throw new SecureChannelError('bad-length', `${what} is ${key.length} bytes, not 16`);
}

function checkBlocks(data: Buffer, what: string): void {
  if (data.length % BLOCK !== 0) {
    throw new SecureChannelError('bad-length', `${what} is ${data.length} bytes, not a multiple of 16`);
  }
}

/** AES-128-ECB over whole blocks. */
export function aesEcb(key: Buffer, data: Buffer): Buffer {
  checkKey(key, 'AES key');
  checkBlocks(data, 'ECB input');
  const c = createCipheriv('aes-128-ecb', key, null).setAutoPadding(false);
  return Buffer.concat([c.update(data), c.final()]);
}

/** AES-128-CBC encryption over whole blocks. */
export function aesCbcEncrypt(key: Buffer, iv: Buffer, data: Buffer): Buffer {
  checkKey(key, 'AES key');
  checkKey(iv, 'IV');
  checkBlocks(data, 'CBC input');
  const c = createCipheriv('aes-128-cbc', key, iv).setAutoPadding(false);
  return Buffer.concat([c.update(data), c.final()]);
}

/** AES-128-CBC decryption over whole blocks. */
export function aesCbcDecrypt(key: Buffer, iv: Buffer, data: Buffer): Buffer {
  checkKey(key, 'AES key');
  checkKey(iv, 'IV');
  checkBlocks(data, 'CBC input');
  const d = createDecipheriv('aes-128-cbc', key, iv).setAutoPadding(false);
  return Buffer.concat([d.update(data), d.final()]);
}

/** Constant-time equality; false (not a throw) when the lengths differ. */
export function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
