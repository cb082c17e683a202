import { matchStep, passSecret } from './dynamic-code.js';
import type { KeyRing } from './key-ring.js';
import { decodePass, type PassBody, PassFormatError, parsePassText } from './pass-codec.js';
import { holderPseudonym, verifySignature } from './pass-crypto.js';

/**
 * Offline verification of a scanned signed pass. Pure apart from the crypto: time, keys,
 * revocations and the registry come in through the context, so every outcome is testable.
 *
 * Order: the format, then the issuer key and the signature, and only then anything the pass
 * claims (revocation, validity, code, holder), so a forged pass is reported as forged and not
 * as "expired".
 */

export const PASS_FAULTS = [
  /** Not a well-formed pass text (detail says what is wrong). */
  'malformed',
  /** Signed with a key id the ring does not hold. */
  'unknown-key',
  /** The key is in the ring but not trusted at this time (retired, or not yet trusted). */
  'key-outside-validity',
  'bad-signature',
  'revoked',
  'expired',
  'not-yet-valid',
  /** A dynamic pass shown without its time-step code (a printout or a screenshot of the bare pass). */
  'code-missing',
  /** A static pass with a code appended. */
  'code-unexpected',
  /** The code matches no accepted step: stale (a screenshot), early, or guessed. */
  'code-wrong',
  /** A dynamic pass where the gateway holds no site dynamic key. */
  'dynamic-unavailable',
  /** The registry maps the pass id to another person than the pass was issued to. */
  'holder-mismatch',
  /** The key ring or revocation list cannot be read (fail closed). */
  'trust-unavailable',
] as const;
export type PassFault = (typeof PASS_FAULTS)[number];

export type PassVerdict =
  | { ok: true; body: PassBody /** Dynamic passes: the step the code belongs to. */; step?: number }
  | { ok: false; fault: PassFault; detail?: string /** When the pass decoded. */; body?: PassBody };

export interface VerifyContext {
  /** Epoch ms of the scan. */
  at: number;
  ring: KeyRing;
  isRevoked(passId: string): boolean;
  /** The site dynamic key; undefined where dynamic passes are not checked. */
  dynamicKey: Buffer | undefined;
  /**
   * The dynamic key before the last rotation (`gatewarden keys rotate dynamic`): codes of passes
   * issued under it are accepted until `validUntil` (epoch ms), the change-over.
   */
  previousDynamicKey?: { key: Buffer; validUntil: number } | undefined;
  stepSeconds: number;
  /** The site pseudonym key the holder pseudonym is made with. */
  siteKey: Buffer;
  /** The registry's holder (person id) of the `qr` credential with this pass id, if any. */
  holderOf(passId: string): string | undefined;
}

export function verifyPass(text: string, ctx: VerifyContext): PassVerdict {
  let pass: Buffer;
  let code: string | undefined;
  let body: PassBody;
  let message: Buffer;
  let signature: Buffer;
  try {
    ({ pass, code } = parsePassText(text));
    ({ body, message, signature } = decodePass(pass));
  } catch (err) {
    if (err instanceof PassFormatError) return { ok: false, fault: 'malformed', detail: err.message };
    throw err;
  }
  const key = ctx.ring.lookup(body.keyId, ctx.at);
  if (!key.ok) return { ok: false, fault: key.reason, detail: `key ${body.keyId}` };
  if (!verifySignature(message, signature, key.key.publicKey)) return { ok: false, fault: 'bad-signature' };
  const fault = (f: PassFault, detail?: string): PassVerdict =>
    detail === undefined ? { ok: false, fault: f, body } : { ok: false, fault: f, detail, body };
  if (ctx.isRevoked(body.passId)) return fault('revoked');
  const seconds = Math.floor(ctx.at / 1000);
  if (seconds < body.validFrom) return fault('not-yet-valid');
  if (seconds >= body.validUntil) return fault('expired');
  const holder = ctx.holderOf(body.passId);
  if (holder !== undefined && holderPseudonym(ctx.siteKey, holder) !== body.holder) {
    return fault('holder-mismatch');
  }
  if (!body.dynamic) return code === undefined ? { ok: true, body } : fault('code-unexpected');
  if (code === undefined) return fault('code-missing');
  if (ctx.dynamicKey === undefined) return fault('dynamic-unavailable');
  const step =
    matchStep(passSecret(ctx.dynamicKey, body.passId), code, ctx.at, ctx.stepSeconds) ??
    matchPreviousKey(ctx, body.passId, code);
  return step === undefined ? fault('code-wrong') : { ok: true, body, step };
}

function matchPreviousKey(ctx: VerifyContext, passId: string, code: string): number | undefined {
  const previous = ctx.previousDynamicKey;
  if (previous === undefined || ctx.at >= previous.validUntil) return undefined;
  return matchStep(passSecret(previous.key, passId), code, ctx.at, ctx.stepSeconds);
}

/** The replay id of a dynamic code (PresentedCredential.codeId): the pass and the step. */
export function codeIdOf(passId: string, step: number): string {
  return `${passId}@${step}`;
}
