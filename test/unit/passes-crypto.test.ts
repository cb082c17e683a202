import { describe, expect, it } from 'vitest';
import { matchStep, passSecret, stepAt, stepCode } from '../../gateway/passes/dynamic-code.js';
import { screenText } from '../../gateway/passes/issue.js';
import { decodePass } from '../../gateway/passes/pass-codec.js';
import {
  holderPseudonym,
  idBindingOf,
  issuerKeyFromSeed,
  keyIdOf,
  publicKeyObject,
  verifySignature,
} from '../../gateway/passes/pass-crypto.js';
import { body, ISSUER, OTHER_ISSUER, SITE_KEY, signedBytes } from './passes-fixtures.js';

describe('time-step codes (RFC 6238 shape)', () => {
  // RFC 6238 Appendix B, HMAC-SHA256, 8 digits, the 32-byte ASCII seed, X = 30 s, T0 = 0.
  const seed = Buffer.from('12345678901234567890123456789012', 'ascii');
  const vectors: [number, string][] = [
    [59, '46119246'],
    [1111111109, '68084774'],
    [1111111111, '67062674'],
    [1234567890, '91819424'],
    [2000000000, '90698825'],
    [20000000000, '77737706'],
  ];
  it.each(vectors)('T = %i s gives %s', (seconds, code) => {
    expect(stepCode(seed, stepAt(seconds * 1000, 30))).toBe(code);
  });

  it('accepts the current step and one either side, never two away', () => {
    const secret = passSecret(Buffer.alloc(32, 7), 'gwp-0000000000000001');
    const at = 1_714_521_600_000; // a step boundary
    const step = stepAt(at, 30);
    const code = stepCode(secret, step);
    expect(matchStep(secret, code, at, 30)).toBe(step);
    expect(matchStep(secret, code, at - 30_000, 30)).toBe(step);
    expect(matchStep(secret, code, at + 59_999, 30)).toBe(step);
    expect(matchStep(secret, code, at + 60_000, 30)).toBeUndefined();
    expect(matchStep(secret, code, at - 30_001, 30)).toBeUndefined();
    expect(matchStep(secret, '00000000', at, 30)).toBeUndefined();
    expect(matchStep(secret, 'short', at, 30)).toBeUndefined();
  });

  it('derives a different secret for every pass and every site key', () => {
    const a = passSecret(Buffer.alloc(32, 1), 'gwp-0000000000000001');
    expect(passSecret(Buffer.alloc(32, 1), 'gwp-0000000000000002')).not.toEqual(a);
    expect(passSecret(Buffer.alloc(32, 2), 'gwp-0000000000000001')).not.toEqual(a);
  });

  it('builds the phone screen text from the pass and the current step', () => {
    const secret = Buffer.alloc(32, 9);
    expect(screenText('GW1:AAAA', secret, 90_000, 30)).toBe(`GW1:AAAA-${stepCode(secret, 3)}`);
  });
});

describe('issuer keys and signatures', () => {
  it('derives the key id from the public key, the same every time', () => {
    expect(ISSUER.keyId).toMatch(/^[0-9a-f]{8}$/);
    expect(keyIdOf(ISSUER.publicKey)).toBe(ISSUER.keyId);
    expect(issuerKeyFromSeed(Buffer.alloc(32, 0x11)).publicKey).toEqual(ISSUER.publicKey);
    expect(OTHER_ISSUER.keyId).not.toBe(ISSUER.keyId);
  });

  it('verifies its own signature and no one else’s', () => {
    const pass = decodePass(signedBytes(body()));
    expect(verifySignature(pass.message, pass.signature, publicKeyObject(ISSUER.publicKey))).toBe(true);
    expect(verifySignature(pass.message, pass.signature, publicKeyObject(OTHER_ISSUER.publicKey))).toBe(
      false,
    );
    const other = Buffer.from(pass.message);
    other[other.length - 1] = (other[other.length - 1] as number) ^ 1;
    expect(verifySignature(other, pass.signature, publicKeyObject(ISSUER.publicKey))).toBe(false);
    expect(verifySignature(pass.message, Buffer.alloc(3), publicKeyObject(ISSUER.publicKey))).toBe(false);
  });

  it('makes holder pseudonyms and ID bindings that name no one', () => {
    const p = holderPseudonym(SITE_KEY, 'res-wang');
    expect(p).toMatch(/^[0-9a-f]{16}$/);
    expect(p).not.toContain('wang');
    expect(holderPseudonym(Buffer.alloc(32, 1), 'res-wang')).not.toBe(p);
    expect(idBindingOf('ab'.repeat(32))).toBe('ab'.repeat(8));
    expect(() => idBindingOf('110105194912310021')).toThrow(/64 lower-case hex/);
  });
});
