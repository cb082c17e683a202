import {
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  type KeyObject,
  sign,
  verify,
} from 'node:crypto';
import { type PassBody, signingMessage } from './pass-codec.js';

/**
 * Ed25519 keys of pass issuers and the keyed hashes a pass carries, on node:crypto. An issuer
 * key is stored as its 32-byte seed (RFC 8032 private key) and published as its 32-byte raw
 * public key; the key id is derived from the public key, so a ring entry cannot name the wrong
 * key and no registry of ids is needed.
 */

export const SEED_BYTES = 32;
/** DER prefixes that wrap a raw Ed25519 seed (PKCS #8) and public key (SPKI), RFC 8410. */
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export interface IssuerKey {
  keyId: string;
  privateKey: KeyObject;
  /** Raw 32 bytes. */
  publicKey: Buffer;
}

export function issuerKeyFromSeed(seed: Buffer): IssuerKey {
  if (seed.length !== SEED_BYTES) throw new RangeError(`Ed25519 seed must be ${SEED_BYTES} bytes`);
  const privateKey = createPrivateKey({
    key: Buffer.concat([PKCS8_PREFIX, seed]),
    format: 'der',
    type: 'pkcs8',
  });
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  const publicKey = Buffer.from(spki.subarray(SPKI_PREFIX.length));
  return { keyId: keyIdOf(publicKey), privateKey, publicKey };
}

export function publicKeyObject(raw: Buffer): KeyObject {
  if (raw.length !== 32) throw new RangeError('an Ed25519 public key is 32 bytes');
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
}

/** 8 hex digits: the first 4 bytes of SHA-256 of the raw public key. */
export function keyIdOf(publicKey: Buffer): string {
  return createHash('sha256').update(publicKey).digest('hex').slice(0, 8);
}

/** Signs a pass body with the issuer key whose id it must carry. */
export function signPass(body: PassBody, key: IssuerKey): Buffer {
  if (body.keyId !== key.keyId) throw new RangeError('pass body names another issuer key');
  return sign(null, signingMessage(body), key.privateKey);
}

/** False for any signature that is not this key's over exactly `message`; never throws for bad input. */
export function verifySignature(message: Buffer, signature: Buffer, publicKey: KeyObject): boolean {
  try {
    return verify(null, message, publicKey, signature);
  } catch {
    return false;
  }
}

/**
 * The holder pseudonym a pass carries: 8 bytes (16 hex digits) of HMAC-SHA256 under the site's
 * pseudonym key, labelled so it equals no other hash made with that key. It tells the gateway
 * which registry person the pass was issued to without naming them.
 */
export function holderPseudonym(siteKey: Buffer, personId: string): string {
  return createHmac('sha256', siteKey).update(`pass-holder\0${personId}`).digest('hex').slice(0, 16);
}

/**
 * The ID-card binding: the first 8 bytes of the ID number's keyed hash, i.e. of the `idcard`
 * credential value (registry/id-number.ts hashIdNumber), so a gate that reads the card can
 * compare without ever seeing the number.
 */
export function idBindingOf(idcardCredentialValue: string): string {
  if (!/^[0-9a-f]{64}$/.test(idcardCredentialValue)) {
    throw new RangeError('an idcard credential value is 64 lower-case hex digits');
  }
  return idcardCredentialValue.slice(0, 16);
}
