import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeBase32, encodeBase32 } from '../../gateway/passes/base32.js';
import { passSecret, stepAt, stepCode } from '../../gateway/passes/dynamic-code.js';
import { formatKeyRing, KeyRing, keyRingFileSchema, parseKeyRing } from '../../gateway/passes/key-ring.js';
import {
  decodePass,
  encodePass,
  PASS_KINDS,
  type PassBody,
  PassFormatError,
  parsePassText,
  passText,
} from '../../gateway/passes/pass-codec.js';
import {
  holderPseudonym,
  issuerKeyFromSeed,
  publicKeyObject,
  signPass,
} from '../../gateway/passes/pass-crypto.js';
import { formatRevocation, parseRevocations } from '../../gateway/passes/revocations.js';
import { SignedPassCredentials } from '../../gateway/passes/scan-credential.js';
import { PASS_FAULTS, type VerifyContext, verifyPass } from '../../gateway/passes/verify-pass.js';
import { fromZod } from '../json-arbitrary.js';
import { defineTarget, neverThrows, onlyThrows } from '../target.js';
import { bytes } from './bytes.js';

/** Signed QR passes (gateway/passes): text and binary codec, offline verification, trust files. */

const ISSUER = issuerKeyFromSeed(Buffer.alloc(32, 0x11));
const SITE_KEY = Buffer.alloc(32, 0x33);
const DYNAMIC_KEY = Buffer.alloc(32, 0x44);
const STEP_SECONDS = 30;
const HOLDER = 'res-wang';
const OTHER = issuerKeyFromSeed(Buffer.alloc(32, 0x22));
const ring = new KeyRing([
  { keyId: ISSUER.keyId, publicKey: publicKeyObject(ISSUER.publicKey), validFrom: 0 },
]);

const hex = (n: number) => bytes(n).map((b) => b.toString('hex'));

const passBody: fc.Arbitrary<PassBody> = fc
  .record({
    passId: hex(8).map((h) => `gwp-${h}`),
    kind: fc.constantFrom(...PASS_KINDS),
    dynamic: fc.boolean(),
    holder: fc.oneof(fc.constant(holderPseudonym(SITE_KEY, HOLDER)), hex(8)),
    validFrom: fc.integer({ min: 0, max: 0xffff_fffe }),
    length: fc.integer({ min: 1, max: 400 * 86_400 }),
    idBinding: fc.option(hex(8), { nil: undefined }),
    keyId: fc.oneof({ weight: 5, arbitrary: fc.constant(ISSUER.keyId) }, hex(4)),
  })
  .map(({ length, idBinding, ...b }) => {
    const body: PassBody = { ...b, validUntil: Math.min(0xffff_ffff, b.validFrom + length) };
    if (idBinding !== undefined) body.idBinding = idBinding;
    return body;
  });

/** What a phone, a photocopy or a forger may turn a pass text into. */
const tamper = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ kind: 'none' as const }) },
  fc.record(
    { kind: fc.constant('char' as const), at: fc.nat(), to: fc.constantFrom(...'AZ27a-:0 ') },
    { noNullPrototype: true },
  ),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }, { noNullPrototype: true }),
  fc.record(
    { kind: fc.constant('append' as const), text: fc.string({ maxLength: 12 }) },
    { noNullPrototype: true },
  ),
  fc.record(
    {
      kind: fc.constant('replace' as const),
      text: fc.oneof(
        fc.string({ maxLength: 200 }),
        fc.stringMatching(/^GW[0-9]:[A-Z2-7]{0,170}(-\d{0,9})?$/),
      ),
    },
    { noNullPrototype: true },
  ),
);

const passCase = fc.record(
  {
    body: passBody,
    /** Time of the scan: inside the validity (offset from its start), or anywhere. */
    at: fc.oneof(
      fc.nat(3600).map((s) => ({ offset: s })),
      fc.nat(0xffff_ffff).map((s) => ({ absolute: s })),
    ),
    code: fc.constantFrom('right', 'none', 'wrong', 'stale'),
    revoked: fc.boolean(),
    holder: fc.constantFrom('unknown', 'registered'),
    dynamicKey: fc.boolean(),
    tamper,
  },
  { noNullPrototype: true },
);

type Tamper = typeof tamper extends fc.Arbitrary<infer T> ? T : never;

function applyTamper(text: string, t: Tamper): string {
  switch (t.kind) {
    case 'none':
      return text;
    case 'char': {
      const i = t.at % text.length;
      return text.slice(0, i) + t.to + text.slice(i + 1);
    }
    case 'cut':
      return text.slice(0, t.at % text.length);
    case 'append':
      return text + t.text;
    case 'replace':
      return t.text;
  }
}

/** The issuer key, or for a body naming another key id some other key under that id. */
function signerFor(body: PassBody) {
  return body.keyId === ISSUER.keyId ? ISSUER : { ...OTHER, keyId: body.keyId };
}

/** `undefined` for the bare pass text, the code for the text with `-<8 digits>`, null for any other text. */
function shownCode(bare: string, text: string): string | undefined | null {
  if (text === bare) return undefined;
  const code = text.startsWith(`${bare}-`) ? text.slice(bare.length + 1) : '';
  return /^\d{8}$/.test(code) ? code : null;
}

/** Whether `code` is the code of the current step or one either side (RFC 6238 §5.2), computed here. */
function codeAccepted(secret: Buffer, code: string | undefined, step: number): boolean {
  return [step, step - 1, step + 1].some((s) => s >= 0 && stepCode(secret, s) === code);
}

const FAULTS = new Set<string>(PASS_FAULTS);

export const qrPass = defineTarget({
  name: 'qr-pass',
  contract:
    "verifyPass (and the scanner's SignedPassCredentials) on signed passes, static and dynamic, with right, " +
    'missing, wrong and stale codes, at any time, revoked or not, and on texts changed by one character, cut, ' +
    'extended or replaced: never throws, answers a known fault, accepts a pass exactly when it is untouched, ' +
    'signed by a trusted key, valid now, not revoked and (dynamic) shown with its current code.',
  boundedCases: 200,
  arbitrary: passCase,
  check(c) {
    const bytesOut = encodePass(c.body, signPass(c.body, signerFor(c.body)));
    const atSeconds = 'offset' in c.at ? c.body.validFrom + c.at.offset : c.at.absolute;
    const at = atSeconds * 1000 + 500;
    const secret = passSecret(DYNAMIC_KEY, c.body.passId);
    const step = stepAt(at, STEP_SECONDS);
    const code =
      c.code === 'right'
        ? stepCode(secret, step)
        : c.code === 'wrong'
          ? '00000000'
          : c.code === 'stale'
            ? stepCode(secret, step + 5)
            : undefined;
    const original = passText(bytesOut, code);
    const text = applyTamper(original, c.tamper);
    const ctx: VerifyContext = {
      at,
      ring,
      isRevoked: (id) => c.revoked && id === c.body.passId,
      dynamicKey: c.dynamicKey ? DYNAMIC_KEY : undefined,
      stepSeconds: STEP_SECONDS,
      siteKey: SITE_KEY,
      holderOf: (id) => (c.holder === 'registered' && id === c.body.passId ? HOLDER : undefined),
    };
    const verdict = neverThrows(() => verifyPass(text, ctx));
    if (!verdict.ok) assert.ok(FAULTS.has(verdict.fault), `fault ${verdict.fault}`);
    // The text still shows this pass if it is its bare text or that text with some 8-digit code
    // (a cut or a changed digit may leave such a text); `shown` is then the code, else null.
    const shown = shownCode(passText(bytesOut), text);
    const shouldPass =
      shown !== null &&
      c.body.keyId === ISSUER.keyId &&
      !c.revoked &&
      atSeconds >= c.body.validFrom &&
      atSeconds < c.body.validUntil &&
      (c.holder === 'unknown' || c.body.holder === holderPseudonym(SITE_KEY, HOLDER)) &&
      (c.body.dynamic ? c.dynamicKey && codeAccepted(secret, shown, step) : shown === undefined);
    assert.equal(verdict.ok, shouldPass, `verdict ${JSON.stringify(verdict.ok ? 'ok' : verdict.fault)}`);
    if (verdict.ok) assert.deepStrictEqual(verdict.body, c.body);
    const credentials = new SignedPassCredentials({
      trust: () => ({ ok: true, ring, revoked: new Set(c.revoked ? [c.body.passId] : []) }),
      dynamicKey: ctx.dynamicKey,
      stepSeconds: STEP_SECONDS,
      siteKey: SITE_KEY,
      holderOf: ctx.holderOf,
      unsigned: 'refuse',
    });
    const scanned = neverThrows(() => credentials.credentialFor(text, at));
    assert.equal(scanned.note?.status === 'valid', shouldPass, 'the scanner layer disagrees with verifyPass');
  },
});

export const qrPassText = defineTarget({
  name: 'qr-pass-text',
  contract:
    'parsePassText and decodePass on any text and bytes throw only PassFormatError; base32 decodes exactly ' +
    'what it encoded, and a decoded pass encodes back to its bytes.',
  arbitrary: fc.record(
    {
      text: fc.oneof(fc.string({ maxLength: 200 }), fc.stringMatching(/^GW1:[A-Z2-7]{0,170}(-\d{0,9})?$/)),
      raw: fc.oneof(bytes(0, 110), bytes(94), bytes(102)).map((b) => {
        if (b.length > 1) {
          b[0] = 1;
          b[1] = (b[1] ?? 0) & 0x0f;
        }
        return b;
      }),
    },
    { noNullPrototype: true },
  ),
  check({ text, raw }) {
    const split = onlyThrows(() => parsePassText(text), PassFormatError);
    if (split.ok) assert.equal(encodeBase32(split.value.pass), text.slice(4).split('-')[0]);
    assert.deepStrictEqual(decodeBase32(encodeBase32(raw)), raw);
    const decoded = onlyThrows(() => decodePass(raw), PassFormatError);
    if (decoded.ok) assert.deepStrictEqual(encodePass(decoded.value.body, decoded.value.signature), raw);
  },
});

/** Issuer keys by seed byte, made once: deriving an Ed25519 key is most of a case's time otherwise. */
const keysBySeed = new Map<number, ReturnType<typeof issuerKeyFromSeed>>();
function keyOfSeed(seed: number) {
  const known = keysBySeed.get(seed);
  if (known !== undefined) return known;
  const key = issuerKeyFromSeed(Buffer.alloc(32, seed));
  keysBySeed.set(seed, key);
  return key;
}

const ringEntry = fc.record(
  {
    seed: fc.nat(15),
    from: fc.integer({ min: 0, max: 2 ** 41 }),
    length: fc.option(fc.integer({ min: 1, max: 2 ** 40 }), { nil: undefined }),
  },
  { noNullPrototype: true },
);
const revocation = fc.record(
  {
    passId: hex(8).map((h) => `gwp-${h}`),
    at: fc.integer({ min: 0, max: 253402300799999 }),
    note: fc.option(fc.string({ unit: 'grapheme', maxLength: 30 }), { nil: undefined }),
  },
  { noNullPrototype: true },
);

export const passTrustFiles = defineTarget({
  name: 'pass-trust-files',
  contract:
    'parseKeyRing and parseRevocations on any text, schema-guided key rings and mutated lists never throw ' +
    'and report problems by entry and line; what formatKeyRing and formatRevocation write parses back to ' +
    'the same keys and revocations.',
  arbitrary: fc.record(
    {
      ringJson: fromZod(keyRingFileSchema),
      text: fc.string({ maxLength: 200 }),
      entries: fc.array(ringEntry, { maxLength: 3 }),
      revocations: fc.array(revocation, { maxLength: 4 }),
    },
    { noNullPrototype: true },
  ),
  check({ ringJson, text, entries, revocations }) {
    for (const t of [text, JSON.stringify(ringJson) ?? 'null']) {
      const r = neverThrows(() => parseKeyRing(t));
      if (!r.ok) assert.ok(r.problems.length > 0 && r.problems.every((p) => typeof p === 'string'));
      const l = neverThrows(() => parseRevocations(t));
      if (!l.ok)
        assert.ok(
          l.problems.every((p) => /^line \d+: /.test(p)),
          'a problem without its line',
        );
    }
    const unique = [...new Map(entries.map((e) => [e.seed, e])).values()];
    const written = unique.map((e) => {
      const key = keyOfSeed(e.seed);
      const validFrom = new Date(e.from).toISOString();
      const until = e.length === undefined ? {} : { validUntil: new Date(e.from + e.length).toISOString() };
      return { id: key.keyId, publicKey: key.publicKey.toString('base64url'), validFrom, ...until };
    });
    const ringBack = parseKeyRing(formatKeyRing(written));
    assert.ok(ringBack.ok, ringBack.ok ? '' : ringBack.problems.join('; '));
    assert.equal(ringBack.ring.size, written.length);
    const listed = parseRevocations(revocations.map(formatRevocation).join(''));
    assert.ok(listed.ok, listed.ok ? '' : listed.problems.join('; '));
    const expected = revocations.map((r) => {
      const note = r.note?.replace(/[\r\n]+/g, ' ').trim();
      return note ? { ...r, note } : { passId: r.passId, at: r.at };
    });
    assert.deepStrictEqual(listed.revocations, expected);
  },
});
