import { Base32Error, decodeBase32, encodeBase32 } from './base32.js';

/**
 * The signed QR pass, version 1: a fixed binary layout, signed with Ed25519, carried as text
 * `GW1:<base32>` (static, printable) or `GW1:<base32>-<8 digits>` (dynamic: the phone screen
 * appends the time-step code, see dynamic-code.ts). Pure and strict: anything that is not
 * exactly a well-formed pass is a PassFormatError naming the field and what is wrong.
 *
 * Binary layout (big-endian), offsets in bytes:
 *   0      version            1
 *   1      flags              bits 0–1 kind (0 household, 1 visitor, 2 staff), bit 2 dynamic,
 *                             bit 3 ID-card binding present, bits 4–7 zero
 *   2–9    pass id            8 random bytes; written `gwp-` + 16 hex digits
 *   10–17  holder pseudonym   8 bytes of a keyed hash of the person id (pass-crypto.ts)
 *   18–21  valid from         uint32, Unix seconds, inclusive
 *   22–25  valid until        uint32, Unix seconds, exclusive; after valid from
 *   26–29  issuer key id      first 4 bytes of SHA-256 of the issuer's raw public key
 *   30–37  ID-card binding    8 bytes of the ID number's keyed hash, only with flag bit 3
 *   then   signature          64 bytes, Ed25519 over SIGNING_CONTEXT + every byte before it
 * 94 bytes (102 with a binding): 155 (168) characters of text, a version 7 QR code at level M.
 */

export const PASS_VERSION = 1;
export const TEXT_PREFIX = 'GW1:';
/** Prefixes of any version: such a text is meant as a signed pass and is never a plain code. */
export const SIGNED_TEXT = /^GW\d+:/;
/** Signed with the body: a signature made for anything else never verifies as a pass. */
export const SIGNING_CONTEXT = Buffer.from('gatewarden-pass\0', 'latin1');
export const PASS_KINDS = ['household', 'visitor', 'staff'] as const;
export type PassKind = (typeof PASS_KINDS)[number];
export const CODE_DIGITS = 8;
/** Pass ids in text; an unsigned code of this shape is refused (scan-credential.ts). */
export const PASS_ID_PATTERN = /^gwp-[0-9a-f]{16}$/;

const BODY_BYTES = 30;
const BINDING_BYTES = 8;
const SIGNATURE_BYTES = 64;
const FLAG_DYNAMIC = 0b100;
const FLAG_BINDING = 0b1000;
const MAX_UINT32 = 0xffff_ffff;

export interface PassBody {
  passId: string;
  kind: PassKind;
  dynamic: boolean;
  /** 16 lower-case hex digits. */
  holder: string;
  /** Unix seconds. */
  validFrom: number;
  validUntil: number;
  /** 16 lower-case hex digits, when the pass is bound to an ID card. */
  idBinding?: string;
  /** 8 lower-case hex digits. */
  keyId: string;
}

export interface SignedPass {
  body: PassBody;
  /** SIGNING_CONTEXT followed by the body bytes: what the signature signs. */
  message: Buffer;
  signature: Buffer;
}

/** What is wrong with a pass, its text or its binary form. Never carries the pass's content. */
export class PassFormatError extends Error {
  override readonly name = 'PassFormatError';
}

const fail = (message: string): never => {
  throw new PassFormatError(message);
};

/** The body bytes, checked; throws PassFormatError for a body that cannot be encoded. */
export function encodeBody(body: PassBody): Buffer {
  const kind = PASS_KINDS.indexOf(body.kind);
  if (kind < 0) fail(`kind: "${body.kind}" is not one of ${PASS_KINDS.join(', ')}`);
  checkValidity(body.validFrom, body.validUntil);
  const binding = body.idBinding === undefined ? undefined : hexField('idBinding', body.idBinding, 8);
  const out = Buffer.alloc(BODY_BYTES + (binding ? BINDING_BYTES : 0));
  out[0] = PASS_VERSION;
  out[1] = kind | (body.dynamic ? FLAG_DYNAMIC : 0) | (binding ? FLAG_BINDING : 0);
  passIdBytes(body.passId).copy(out, 2);
  hexField('holder', body.holder, 8).copy(out, 10);
  out.writeUInt32BE(body.validFrom, 18);
  out.writeUInt32BE(body.validUntil, 22);
  hexField('keyId', body.keyId, 4).copy(out, 26);
  binding?.copy(out, BODY_BYTES);
  return out;
}

/** The message an issuer signs for `body`. */
export function signingMessage(body: PassBody): Buffer {
  return Buffer.concat([SIGNING_CONTEXT, encodeBody(body)]);
}

/** Binary form of a signed pass. */
export function encodePass(body: PassBody, signature: Uint8Array): Buffer {
  if (signature.length !== SIGNATURE_BYTES) fail(`signature: ${signature.length} bytes, not 64`);
  return Buffer.concat([encodeBody(body), signature]);
}

export function decodePass(bytes: Uint8Array): SignedPass {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  if (b.length < 2) fail(`too short for a pass (${b.length} bytes)`);
  if (b[0] !== PASS_VERSION) fail(`version ${b[0]} is not supported (only ${PASS_VERSION})`);
  const flags = b[1] as number;
  if (flags & 0xf0) fail(`flags 0x${flags.toString(16)}: reserved bits 4–7 are set`);
  const kind = PASS_KINDS[flags & 0b11];
  if (kind === undefined) fail('flags: kind 3 is not defined');
  const hasBinding = (flags & FLAG_BINDING) !== 0;
  const expected = BODY_BYTES + (hasBinding ? BINDING_BYTES : 0) + SIGNATURE_BYTES;
  if (b.length !== expected) fail(`${b.length} bytes where this pass has ${expected}`);
  const bodyEnd = expected - SIGNATURE_BYTES;
  const body: PassBody = {
    passId: `gwp-${b.toString('hex', 2, 10)}`,
    kind: kind as PassKind,
    dynamic: (flags & FLAG_DYNAMIC) !== 0,
    holder: b.toString('hex', 10, 18),
    validFrom: b.readUInt32BE(18),
    validUntil: b.readUInt32BE(22),
    keyId: b.toString('hex', 26, 30),
  };
  if (hasBinding) body.idBinding = b.toString('hex', BODY_BYTES, bodyEnd);
  checkValidity(body.validFrom, body.validUntil);
  return {
    body,
    message: Buffer.concat([SIGNING_CONTEXT, b.subarray(0, bodyEnd)]),
    signature: Buffer.from(b.subarray(bodyEnd)),
  };
}

/** The printed form. `code`: the time-step code a phone screen appends to a dynamic pass. */
export function passText(pass: Uint8Array, code?: string): string {
  const text = TEXT_PREFIX + encodeBase32(pass);
  if (code === undefined) return text;
  if (!new RegExp(`^\\d{${CODE_DIGITS}}$`).test(code)) fail(`code: not ${CODE_DIGITS} digits`);
  return `${text}-${code}`;
}

/** Splits a scanned text into the pass bytes and the dynamic code, if any. */
export function parsePassText(text: string): { pass: Buffer; code?: string } {
  if (!text.startsWith(TEXT_PREFIX)) {
    const version = SIGNED_TEXT.exec(text);
    fail(version ? `text prefix ${version[0]} is not supported (only ${TEXT_PREFIX})` : 'no GW1: prefix');
  }
  const [data = '', code, ...rest] = text.slice(TEXT_PREFIX.length).split('-');
  if (rest.length > 0) fail('text: more than one "-"');
  if (code !== undefined && !new RegExp(`^\\d{${CODE_DIGITS}}$`).test(code)) {
    fail(`code: ${code.length} characters after "-", expected ${CODE_DIGITS} digits`);
  }
  let pass: Buffer;
  try {
    pass = decodeBase32(data);
  } catch (err) {
    if (err instanceof Base32Error) fail(`text: ${err.message}`);
    throw err;
  }
  return code === undefined ? { pass } : { pass, code };
}

function checkValidity(from: number, until: number): void {
  for (const [name, v] of [
    ['validFrom', from],
    ['validUntil', until],
  ] as const) {
    if (!Number.isInteger(v) || v < 0 || v > MAX_UINT32) fail(`${name}: ${v} is not Unix seconds (uint32)`);
  }
  if (until <= from) fail('validUntil: not after validFrom');
}

function passIdBytes(passId: string): Buffer {
  if (!PASS_ID_PATTERN.test(passId)) fail('passId: not "gwp-" and 16 lower-case hex digits');
  return Buffer.from(passId.slice(4), 'hex');
}

function hexField(name: string, value: string, bytes: number): Buffer {
  if (!new RegExp(`^[0-9a-f]{${bytes * 2}}$`).test(value)) {
    fail(`${name}: not ${bytes * 2} lower-case hex digits`);
  }
  return Buffer.from(value, 'hex');
}
