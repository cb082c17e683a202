import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { Base32Error, decodeBase32, encodeBase32 } from '../../gateway/passes/base32.js';
import { matchStep, stepAt, stepCode } from '../../gateway/passes/dynamic-code.js';
import {
  decodePass,
  PASS_KINDS,
  type PassBody,
  PassFormatError,
  passText,
} from '../../gateway/passes/pass-codec.js';
import { verifyPass } from '../../gateway/passes/verify-pass.js';
import { context, ISSUER, signedBytes } from '../unit/passes-fixtures.js';

const hex = (bytes: number) =>
  fc.uint8Array({ minLength: bytes, maxLength: bytes }).map((b) => Buffer.from(b).toString('hex'));

/** Any body the codec can carry, valid at `context().at` half of the time. */
const passBody: fc.Arbitrary<PassBody> = fc
  .record({
    passId: hex(8).map((h) => `gwp-${h}`),
    kind: fc.constantFrom(...PASS_KINDS),
    dynamic: fc.boolean(),
    holder: hex(8),
    validFrom: fc.integer({ min: 0, max: 0xffff_fffe }),
    length: fc.integer({ min: 1, max: 400 * 86_400 }),
    idBinding: fc.option(hex(8), { nil: undefined }),
  })
  .map(({ length, idBinding, ...b }) => {
    const body: PassBody = {
      ...b,
      validUntil: Math.min(0xffff_ffff, b.validFrom + length),
      keyId: ISSUER.keyId,
    };
    if (idBinding !== undefined) body.idBinding = idBinding;
    return body;
  });

/** A time inside the body's validity, so that only the change under test can make it invalid. */
const inside = (b: PassBody) => b.validFrom * 1000 + 500;

describe('pass codec properties', () => {
  test.prop([passBody])('decodes exactly what it encoded, through the text form', (b) => {
    const bytes = signedBytes(b);
    const text = passText(bytes);
    expect(decodePass(bytes).body).toEqual(b);
    expect(decodeBase32(text.slice(4))).toEqual(bytes);
    const v = verifyPass(text, context({ at: inside(b), holderOf: () => undefined }));
    if (b.dynamic) expect(v).toMatchObject({ ok: false, fault: 'code-missing' });
    else expect(v).toEqual({ ok: true, body: b });
  });

  test.prop([passBody, fc.nat(), fc.integer({ min: 0, max: 7 })])(
    'any single bit flipped makes the pass invalid',
    (b, at, bit) => {
      const bytes = signedBytes({ ...b, dynamic: false });
      const i = at % bytes.length;
      bytes[i] = (bytes[i] as number) ^ (1 << bit);
      const v = verifyPass(passText(bytes), context({ at: inside(b), holderOf: () => undefined }));
      expect(v.ok).toBe(false);
    },
  );

  test.prop([passBody, fc.nat(), fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567-:a ')])(
    'any character changed in the text makes the pass invalid',
    (b, at, c) => {
      const text = passText(signedBytes({ ...b, dynamic: false }));
      const i = at % text.length;
      fc.pre(text.charAt(i) !== c);
      const changed = text.slice(0, i) + c + text.slice(i + 1);
      const v = verifyPass(changed, context({ at: inside(b), holderOf: () => undefined }));
      expect(v.ok).toBe(false);
    },
  );

  test.prop([
    fc.oneof(
      fc.string(),
      fc.string().map((s) => `GW1:${s}`),
      fc.base64String().map((s) => `GW1:${s}`),
    ),
  ])('garbage text is a malformed verdict, never a crash', (text) => {
    const v = verifyPass(text, context());
    expect(v).toMatchObject({ ok: false, fault: 'malformed' });
  });

  test.prop([fc.uint8Array({ minLength: 94, maxLength: 94 }), fc.integer({ min: 0, max: 7 })])(
    'random bytes in the shape of a pass never verify',
    (bytes, flags) => {
      bytes[0] = 1;
      bytes[1] = flags & 0b0111; // a kind, maybe dynamic, no binding: the length fits
      const v = verifyPass(passText(bytes), context());
      expect(v.ok).toBe(false);
    },
  );

  test.prop([fc.uint8Array({ maxLength: 120 })])('garbage bytes throw PassFormatError only', (bytes) => {
    try {
      decodePass(bytes);
    } catch (err) {
      expect(err).toBeInstanceOf(PassFormatError);
    }
  });
});

describe('base32 properties', () => {
  test.prop([fc.uint8Array({ maxLength: 200 })])('round-trips any bytes', (bytes) => {
    expect(decodeBase32(encodeBase32(bytes))).toEqual(Buffer.from(bytes));
  });

  test.prop([fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567a=1 ') })])(
    'decodes only canonical text: whatever it accepts encodes back to the same text',
    (text) => {
      try {
        expect(encodeBase32(decodeBase32(text))).toBe(text);
      } catch (err) {
        expect(err).toBeInstanceOf(Base32Error);
      }
    },
  );
});

describe('time-step code properties', () => {
  const secret = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b));
  const time = fc.integer({ min: 60_000, max: 4_000_000_000_000 });
  const stepSeconds = fc.integer({ min: 10, max: 180 });

  test.prop([secret, time, stepSeconds])('a code is accepted through the next step', (s, at, step) => {
    const code = stepCode(s, stepAt(at, step));
    expect(matchStep(s, code, at, step)).toBe(stepAt(at, step));
    expect(matchStep(s, code, at + step * 1000, step)).toBe(stepAt(at, step));
  });

  test.prop([secret, time, stepSeconds, fc.integer({ min: 2, max: 1000 })])(
    'a code two or more steps old is refused',
    (s, at, step, age) => {
      const old = stepAt(at, step) - age;
      fc.pre(old >= 0);
      const code = stepCode(s, old);
      const now = stepAt(at, step);
      // A different step's code may equal it by chance (one in 10^8): then it is that step's code.
      fc.pre([now - 1, now, now + 1].every((n) => stepCode(s, n) !== code));
      expect(matchStep(s, code, at, step)).toBeUndefined();
    },
  );
});
