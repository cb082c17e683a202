import { randomBytes } from 'node:crypto';
import type { PersonKind } from '../domain/model.js';
import { encodeBase32 } from './base32.js';
import { passSecret, stepAt, stepCode } from './dynamic-code.js';
import { encodePass, type PassBody, type PassKind, passText } from './pass-codec.js';
import { holderPseudonym, type IssuerKey, signPass } from './pass-crypto.js';

/** Which registry persons each pass kind is for: a pass never says more than its holder is. */
export const HOLDER_KINDS: Readonly<Record<PassKind, readonly PersonKind[]>> = {
  household: ['resident'],
  visitor: ['visitor', 'repair', 'courier'],
  staff: ['staff'],
};

export interface PassRequest {
  kind: PassKind;
  holderId: string;
  /** Epoch ms; kept to whole seconds (from rounded down, until up). */
  validFrom: number;
  validUntil: number;
  dynamic: boolean;
  /** `idBindingOf(idcard credential value)`, to bind the pass to the holder's ID card. */
  idBinding?: string;
}

export interface IssuedPass {
  body: PassBody;
  /** The printable text (a static pass), or the bare pass a phone appends its code to. */
  text: string;
  /** Dynamic passes: the per-pass code secret for the phone, base32. */
  secret?: string;
}

export function newPassId(): string {
  return `gwp-${randomBytes(8).toString('hex')}`;
}

/** Builds and signs a pass. `siteKey` makes the holder pseudonym; `dynamicKey` the phone secret. */
export function issuePass(
  request: PassRequest,
  key: IssuerKey,
  siteKey: Buffer,
  dynamicKey?: Buffer,
): IssuedPass {
  if (request.dynamic && dynamicKey === undefined)
    throw new RangeError('a dynamic pass needs the site dynamic key');
  const body: PassBody = {
    passId: newPassId(),
    kind: request.kind,
    dynamic: request.dynamic,
    holder: holderPseudonym(siteKey, request.holderId),
    validFrom: Math.floor(request.validFrom / 1000),
    validUntil: Math.ceil(request.validUntil / 1000),
    keyId: key.keyId,
  };
  if (request.idBinding !== undefined) body.idBinding = request.idBinding;
  const text = passText(encodePass(body, signPass(body, key)));
  if (!request.dynamic || dynamicKey === undefined) return { body, text };
  return { body, text, secret: encodeBase32(passSecret(dynamicKey, body.passId)) };
}

/** What a phone shows at `atMs`: the pass and the code of the current step. */
export function screenText(passTextValue: string, secret: Buffer, atMs: number, stepSeconds: number): string {
  return `${passTextValue}-${stepCode(secret, stepAt(atMs, stepSeconds))}`;
}
