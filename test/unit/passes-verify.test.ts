import { describe, expect, it } from 'vitest';
import { passSecret, stepAt, stepCode } from '../../gateway/passes/dynamic-code.js';
import { KeyRing } from '../../gateway/passes/key-ring.js';
import { passText } from '../../gateway/passes/pass-codec.js';
import { SignedPassCredentials } from '../../gateway/passes/scan-credential.js';
import { type PassVerdict, verifyPass } from '../../gateway/passes/verify-pass.js';
import {
  body,
  context,
  DYNAMIC_KEY,
  ISSUER,
  OTHER_ISSUER,
  PASS_ID,
  SITE_KEY,
  STEP_SECONDS,
  signedBytes,
  signedText,
  T0,
  trusted,
} from './passes-fixtures.js';

const fault = (v: PassVerdict) => (v.ok ? 'ok' : v.fault);
const dynamicBody = body({ dynamic: true });
const codeAt = (atMs: number, stepOffset = 0) =>
  stepCode(passSecret(DYNAMIC_KEY, PASS_ID), stepAt(atMs, STEP_SECONDS) + stepOffset);
const screen = (atMs: number, stepOffset = 0) => passText(signedBytes(dynamicBody), codeAt(atMs, stepOffset));

describe('verifyPass', () => {
  it('accepts a static pass signed by a trusted key inside its validity', () => {
    const v = verifyPass(signedText(body()), context());
    expect(v).toEqual({ ok: true, body: body() });
  });

  it('checks the signature before anything the pass claims', () => {
    const forged = body({ validUntil: body().validFrom + 1 }); // expired, and signed by another key
    const text = passText(signedBytes({ ...forged, keyId: OTHER_ISSUER.keyId }, OTHER_ISSUER));
    expect(fault(verifyPass(text, context()))).toBe('unknown-key');
    const tampered = signedBytes(body());
    tampered.writeUInt32BE(body().validUntil + 86_400 * 365, 22); // a year longer
    const v = verifyPass(passText(tampered), context());
    expect(v).toEqual({ ok: false, fault: 'bad-signature' }); // no claimed content comes back
  });

  it('trusts a key only inside its window, and two keys during a change-over', () => {
    const old = signedText(body());
    const fresh = signedText(body({ keyId: OTHER_ISSUER.keyId }), OTHER_ISSUER);
    const ring = new KeyRing([trusted(ISSUER, 0, T0 + 1000), trusted(OTHER_ISSUER, T0 - 1000)]);
    expect(fault(verifyPass(old, context({ ring })))).toBe('ok');
    expect(fault(verifyPass(fresh, context({ ring })))).toBe('ok');
    expect(fault(verifyPass(old, context({ ring, at: T0 + 1000 })))).toBe('key-outside-validity');
    expect(fault(verifyPass(fresh, context({ ring, at: T0 + 1000 })))).toBe('ok');
    expect(fault(verifyPass(fresh, context({ ring, at: T0 - 1001 })))).toBe('key-outside-validity');
  });

  it('refuses a revoked, expired or not yet valid pass, with its body', () => {
    const text = signedText(body());
    const revoked = verifyPass(text, context({ isRevoked: (id) => id === PASS_ID }));
    expect(revoked).toMatchObject({ ok: false, fault: 'revoked', body: { passId: PASS_ID } });
    expect(fault(verifyPass(text, context({ at: body().validUntil * 1000 })))).toBe('expired');
    expect(fault(verifyPass(text, context({ at: body().validUntil * 1000 - 1 })))).toBe('ok');
    expect(fault(verifyPass(text, context({ at: body().validFrom * 1000 - 1 })))).toBe('not-yet-valid');
  });

  it('refuses a pass the registry gives to someone else', () => {
    expect(fault(verifyPass(signedText(body()), context({ holderOf: () => 'res-li' })))).toBe(
      'holder-mismatch',
    );
    expect(fault(verifyPass(signedText(body()), context({ holderOf: () => undefined })))).toBe('ok');
  });

  it('takes a dynamic pass only with a code of the current step or one either side', () => {
    const step = stepAt(T0, STEP_SECONDS);
    expect(verifyPass(screen(T0), context())).toEqual({ ok: true, body: dynamicBody, step });
    expect(verifyPass(screen(T0, -1), context())).toMatchObject({ ok: true, step: step - 1 });
    expect(verifyPass(screen(T0, 1), context())).toMatchObject({ ok: true, step: step + 1 });
    expect(fault(verifyPass(screen(T0, -2), context()))).toBe('code-wrong');
    expect(fault(verifyPass(screen(T0, 2), context()))).toBe('code-wrong');
    expect(fault(verifyPass(signedText(dynamicBody), context()))).toBe('code-missing');
    expect(fault(verifyPass(screen(T0), context({ dynamicKey: undefined })))).toBe('dynamic-unavailable');
    expect(fault(verifyPass(`${signedText(body())}-${codeAt(T0)}`, context()))).toBe('code-unexpected');
  });

  it('takes codes under the previous dynamic key until the change-over ends, then only the new key’s', () => {
    const rotated = Buffer.alloc(32, 9);
    const previousDynamicKey = { key: DYNAMIC_KEY, validUntil: T0 + 1 };
    const newCode = passText(
      signedBytes(dynamicBody),
      stepCode(passSecret(rotated, PASS_ID), stepAt(T0, STEP_SECONDS)),
    );
    expect(fault(verifyPass(screen(T0), context({ dynamicKey: rotated, previousDynamicKey })))).toBe('ok');
    expect(fault(verifyPass(newCode, context({ dynamicKey: rotated, previousDynamicKey })))).toBe('ok');
    const after = { ...previousDynamicKey, validUntil: T0 };
    expect(fault(verifyPass(screen(T0), context({ dynamicKey: rotated, previousDynamicKey: after })))).toBe(
      'code-wrong',
    );
    expect(fault(verifyPass(newCode, context({ dynamicKey: rotated, previousDynamicKey: after })))).toBe(
      'ok',
    );
  });

  it('reports a malformed text with what is wrong', () => {
    expect(verifyPass('GW1:AE', context())).toEqual({
      ok: false,
      fault: 'malformed',
      detail: 'too short for a pass (1 bytes)',
    });
    expect(verifyPass('GW1:AAAA', context())).toMatchObject({
      detail: 'version 0 is not supported (only 1)',
    });
  });
});

describe('SignedPassCredentials (what the scanner presents)', () => {
  const credentials = (unsigned: 'allow' | 'refuse' = 'allow', revoked: string[] = []) =>
    new SignedPassCredentials({
      trust: () => ({ ok: true, ring: new KeyRing([trusted(ISSUER)]), revoked: new Set(revoked) }),
      dynamicKey: DYNAMIC_KEY,
      stepSeconds: STEP_SECONDS,
      siteKey: SITE_KEY,
      holderOf: () => undefined,
      unsigned,
    });

  it('presents a valid pass as its pass id, and a dynamic code with its replay id', () => {
    expect(credentials().credentialFor(signedText(body()), T0)).toEqual({
      credential: { kind: 'qr', value: PASS_ID, signature: 'valid' },
      note: { status: 'valid', kind: 'household', dynamic: 0 },
    });
    const step = stepAt(T0, STEP_SECONDS);
    expect(credentials().credentialFor(screen(T0), T0).credential).toEqual({
      kind: 'qr',
      value: PASS_ID,
      signature: 'valid',
      codeId: `${PASS_ID}@${step}`,
    });
  });

  it('presents an authentic but refused pass by its id and window, a forged one by a fingerprint', () => {
    const revoked = credentials('allow', [PASS_ID]).credentialFor(signedText(body()), T0);
    // Authentic: the rules refuse it from the pass itself (CREDENTIAL_REVOKED), not as a forgery.
    expect(revoked).toEqual({
      credential: {
        kind: 'qr',
        value: PASS_ID,
        signature: 'valid',
        validFrom: body().validFrom * 1000,
        validUntil: body().validUntil * 1000,
        revoked: true,
      },
      note: { status: 'refused', reason: 'revoked' },
    });
    const tampered = signedBytes(body());
    tampered[12] = (tampered[12] as number) ^ 0x80;
    const forged = credentials().credentialFor(passText(tampered), T0);
    expect(forged.credential.signature).toBe('invalid');
    expect(forged.credential.value).toMatch(/^unverified:[0-9a-f]{8}$/);
    expect(forged.note).toEqual({ status: 'invalid', reason: 'bad-signature' });
  });

  it('passes plain codes through, or refuses them, and always refuses a bare pass id', () => {
    expect(credentials('allow').credentialFor('QR-LINA', T0)).toEqual({
      credential: { kind: 'qr', value: 'QR-LINA' },
    });
    expect(credentials('refuse').credentialFor('QR-LINA', T0).credential).toEqual({
      kind: 'qr',
      value: 'QR-LINA',
      signature: 'invalid',
    });
    expect(credentials('allow').credentialFor(PASS_ID, T0)).toEqual({
      credential: { kind: 'qr', value: PASS_ID, signature: 'invalid' },
      note: { status: 'invalid', reason: 'bare-pass-id' },
    });
  });

  it('refuses every signed pass while the trust files are unusable', () => {
    const broken = new SignedPassCredentials({
      trust: () => ({ ok: false, problem: 'ring: not JSON' }),
      dynamicKey: undefined,
      stepSeconds: STEP_SECONDS,
      siteKey: SITE_KEY,
      holderOf: () => undefined,
      unsigned: 'allow',
    });
    const read = broken.credentialFor(signedText(body()), T0);
    expect(read.credential.signature).toBe('invalid');
    expect(read.note).toEqual({ status: 'invalid', reason: 'trust-unavailable' });
  });
});
