/**
 * Who may send a gateway requests: MQTT does not tell a subscriber who published a message, so
 * each request proves its issuer by a signature, and its age by `issuedAt`.
 *
 * Ed25519 (node:crypto), not HMAC-SHA256: the gateway holds only the issuers' PUBLIC keys. A
 * gateway sits in a gatehouse and can be stolen; with HMAC its key file would let the thief sign
 * requests for it, and for every other gateway sharing the key (hundreds in a district), while
 * with Ed25519 the files on a gateway sign nothing. Signatures are deterministic, 64 bytes.
 *
 * What is signed: the UTF-8 bytes of the canonical JSON (journal/canonical.ts, RFC 8785 for our
 * values) of the request object without its `signature` member. The gateway re-serialises the
 * parsed object, so an issuer in any language signs the same bytes if it canonicalises the same way.
 */
import { createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { GatewardenError } from '../../errors.js';
import { canonicalJson } from '../../journal/canonical.js';
import { readSecretFile } from '../../util/key-file.js';

export interface IssuerKeyFile {
  /** The key id requests name in `issuer`. */
  id: string;
  /** An Ed25519 public key, PEM (SPKI), absolute path. */
  publicKeyFile: string;
}

/**
 * Loads each issuer's public key. The files are read with readSecretFile: a public key is no
 * secret, but whoever can write the file can add an issuer, so it must be its owner's alone.
 * A configured issuer whose file is missing, unreadable or not an Ed25519 key stops the start.
 */
export function loadIssuerKeys(issuers: readonly IssuerKeyFile[]): Map<string, KeyObject> {
  const keys = new Map<string, KeyObject>();
  for (const issuer of issuers) {
    const what = `upstream issuer key "${issuer.id}"`;
    const bytes = readSecretFile(issuer.publicKeyFile, what);
    if (bytes === undefined) {
      throw new GatewardenError('CONFIG_INVALID', `${what}: no file ${issuer.publicKeyFile}`);
    }
    let key: KeyObject;
    try {
      key = createPublicKey(bytes);
    } catch (cause) {
      throw new GatewardenError(
        'CONFIG_INVALID',
        `${what}: ${issuer.publicKeyFile} is not a PEM public key`,
        {
          cause,
        },
      );
    }
    if (key.asymmetricKeyType !== 'ed25519') {
      throw new GatewardenError(
        'CONFIG_INVALID',
        `${what}: ${issuer.publicKeyFile} is a ${key.asymmetricKeyType} key, not Ed25519`,
      );
    }
    keys.set(issuer.id, key);
  }
  return keys;
}

/** The bytes a signature covers: the canonical JSON of the request without `signature`. */
export function signedBytes(request: Readonly<Record<string, unknown>>): Buffer {
  const { signature: _signature, ...signed } = request;
  return Buffer.from(canonicalJson(signed), 'utf8');
}

/** Signs a request (for issuers' tools and tests): returns it with its `signature`. */
export function signRequest<T extends Record<string, unknown>>(
  request: T,
  privateKey: KeyObject,
): T & { signature: string } {
  const signature = sign(null, signedBytes(request), privateKey).toString('base64');
  return { ...request, signature };
}

/**
 * True when `signature` is the one canonical base64 text of a valid signature by `key`.
 * Base64 decoders ignore the unused low bits of the last character and stray characters, so a
 * text that does not re-encode to itself is refused: no two texts pass for one signature.
 */
export function signatureValid(
  request: Readonly<Record<string, unknown>>,
  signature: string,
  key: KeyObject,
): boolean {
  const bytes = Buffer.from(signature, 'base64');
  if (bytes.length !== 64 || bytes.toString('base64') !== signature) return false;
  try {
    return verify(null, signedBytes(request), key, bytes);
  } catch {
    return false;
  }
}

/** Whether `issuedAt` lies within `windowMs` of `now`, either side (clocks drift both ways). */
export function fresh(issuedAt: number, now: number, windowMs: number): boolean {
  return Math.abs(now - issuedAt) <= windowMs;
}
