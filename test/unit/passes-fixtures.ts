/**
 * Fixed keys and pass builders shared by the pass tests. Keys are constants so that a failure
 * reproduces; time is passed in, never read.
 */
import { KeyRing, type TrustedKey } from '../../gateway/passes/key-ring.js';
import { encodePass, type PassBody, passText } from '../../gateway/passes/pass-codec.js';
import {
  holderPseudonym,
  type IssuerKey,
  issuerKeyFromSeed,
  publicKeyObject,
  signPass,
} from '../../gateway/passes/pass-crypto.js';
import type { VerifyContext } from '../../gateway/passes/verify-pass.js';

export const ISSUER = issuerKeyFromSeed(Buffer.alloc(32, 0x11));
export const OTHER_ISSUER = issuerKeyFromSeed(Buffer.alloc(32, 0x22));
export const SITE_KEY = Buffer.alloc(32, 0x33);
export const DYNAMIC_KEY = Buffer.alloc(32, 0x44);
export const STEP_SECONDS = 30;
/** 2024-05-01T00:00:00Z, on a step boundary. */
export const T0 = Date.UTC(2024, 4, 1);
export const HOLDER = 'res-wang';
export const PASS_ID = 'gwp-0123456789abcdef';

export function body(overrides: Partial<PassBody> = {}): PassBody {
  return {
    passId: PASS_ID,
    kind: 'household',
    dynamic: false,
    holder: holderPseudonym(SITE_KEY, HOLDER),
    validFrom: T0 / 1000 - 3600,
    validUntil: T0 / 1000 + 24 * 3600,
    keyId: ISSUER.keyId,
    ...overrides,
  };
}

/** The binary form of a pass signed by `key` (default ISSUER, whose id the body carries). */
export function signedBytes(b: PassBody, key: IssuerKey = ISSUER): Buffer {
  return encodePass(b, signPass(b, key));
}

export function signedText(b: PassBody, key: IssuerKey = ISSUER): string {
  return passText(signedBytes(b, key));
}

export function trusted(key: IssuerKey, validFrom = 0, validUntil?: number): TrustedKey {
  const t: TrustedKey = { keyId: key.keyId, publicKey: publicKeyObject(key.publicKey), validFrom };
  if (validUntil !== undefined) t.validUntil = validUntil;
  return t;
}

export function context(overrides: Partial<VerifyContext> = {}): VerifyContext {
  return {
    at: T0,
    ring: new KeyRing([trusted(ISSUER)]),
    isRevoked: () => false,
    dynamicKey: DYNAMIC_KEY,
    stepSeconds: STEP_SECONDS,
    siteKey: SITE_KEY,
    holderOf: (id) => (id === PASS_ID ? HOLDER : undefined),
    ...overrides,
  };
}
