import { createHmac } from 'node:crypto';
import type { ScanCredential, ScanCredentials } from '../../drivers/shared/code-credentials.js';
import { PASS_ID_PATTERN, SIGNED_TEXT } from './pass-codec.js';
import type { Trust } from './trust-files.js';
import { codeIdOf, type PassVerdict, verifyPass } from './verify-pass.js';

export interface SignedPassCredentialsOptions {
  /** The key ring and revocations now (TrustFiles.current). */
  trust: () => Trust;
  dynamicKey: Buffer | undefined;
  /** The dynamic key before the last rotation, accepted until its date (verify-pass.ts). */
  previousDynamicKey?: { key: Buffer; validUntil: number } | undefined;
  stepSeconds: number;
  /** The site pseudonym key: holder pseudonyms, and the fingerprints of unreadable codes. */
  siteKey: Buffer;
  holderOf(passId: string): string | undefined;
  /** Codes that are not signed passes: presented as before (`allow`) or refused (`refuse`). */
  unsigned: 'allow' | 'refuse';
}

/**
 * The scanner's credential layer for signed passes (style: a policy object injected into the
 * adapter). What the rules get:
 * - a pass that verifies: `{ kind: 'qr', value: <pass id>, signature: 'valid' }`, plus
 *   `codeId` (pass id and step) for a dynamic code, so the checkpoint's replay memory refuses
 *   the same code at any other lane with REPLAYED_CODE;
 * - an authentic pass that fails (revoked, expired, not yet valid, code missing, stale or
 *   wrong): its pass id with `signature: 'invalid'`, so the journal shows whose pass it was;
 * - a pass that does not verify (forged, tampered, unknown key, unreadable): a value that no
 *   registry entry has, `unverified:<keyed fingerprint>`, with `signature: 'invalid'`: nothing
 *   a forger wrote is believed, not even the pass id;
 * - any other code: as it is when unsigned codes are allowed; refused (`signature: 'invalid'`)
 *   when they are not, and always when it is a bare pass id (which would otherwise bypass
 *   the signature, since pass ids are registered as `qr` credentials).
 * The log note says which case and why, never the content.
 */
export class SignedPassCredentials implements ScanCredentials {
  constructor(private readonly options: SignedPassCredentialsOptions) {}

  credentialFor(text: string, at: number): ScanCredential {
    if (!SIGNED_TEXT.test(text)) return this.unsigned(text);
    const trust = this.options.trust();
    const verdict: PassVerdict = trust.ok
      ? verifyPass(text, {
          at,
          ring: trust.ring,
          isRevoked: (id) => trust.revoked.has(id),
          dynamicKey: this.options.dynamicKey,
          previousDynamicKey: this.options.previousDynamicKey,
          stepSeconds: this.options.stepSeconds,
          siteKey: this.options.siteKey,
          holderOf: (id) => this.options.holderOf(id),
        })
      : { ok: false, fault: 'trust-unavailable' };
    if (verdict.ok) {
      const { passId } = verdict.body;
      return {
        credential:
          verdict.step === undefined
            ? { kind: 'qr', value: passId, signature: 'valid' }
            : { kind: 'qr', value: passId, signature: 'valid', codeId: codeIdOf(passId, verdict.step) },
        note: { status: 'valid', kind: verdict.body.kind, dynamic: verdict.body.dynamic ? 1 : 0 },
      };
    }
    const body = verdict.body;
    // Authentic but out of its window or revoked: the rules give the reason from the pass.
    if (
      body !== undefined &&
      (verdict.fault === 'expired' || verdict.fault === 'not-yet-valid' || verdict.fault === 'revoked')
    ) {
      const window = { validFrom: body.validFrom * 1000, validUntil: body.validUntil * 1000 };
      const credential =
        verdict.fault === 'revoked'
          ? { kind: 'qr' as const, value: body.passId, signature: 'valid' as const, ...window, revoked: true }
          : { kind: 'qr' as const, value: body.passId, signature: 'valid' as const, ...window };
      return { credential, note: { status: 'refused', reason: verdict.fault } };
    }
    const note: Record<string, string> = { status: 'invalid', reason: verdict.fault };
    if (verdict.detail !== undefined) note.detail = verdict.detail;
    const value = verdict.body?.passId ?? `unverified:${this.fingerprint(text)}`;
    return { credential: { kind: 'qr', value, signature: 'invalid' }, note };
  }

  private unsigned(text: string): ScanCredential {
    if (PASS_ID_PATTERN.test(text)) {
      return {
        credential: { kind: 'qr', value: text, signature: 'invalid' },
        note: { status: 'invalid', reason: 'bare-pass-id' },
      };
    }
    if (this.options.unsigned === 'allow') return { credential: { kind: 'qr', value: text } };
    return {
      credential: { kind: 'qr', value: text, signature: 'invalid' },
      note: { status: 'invalid', reason: 'unsigned' },
    };
  }

  private fingerprint(text: string): string {
    return createHmac('sha256', this.options.siteKey).update(`pass-scan\0${text}`).digest('hex').slice(0, 8);
  }
}
