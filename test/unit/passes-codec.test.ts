import { describe, expect, it } from 'vitest';
import { Base32Error, decodeBase32, encodeBase32 } from '../../gateway/passes/base32.js';
import {
  decodePass,
  encodeBody,
  PassFormatError,
  parsePassText,
  passText,
} from '../../gateway/passes/pass-codec.js';
import { qrVersion } from '../../gateway/passes/render.js';
import { body, signedBytes, signedText } from './passes-fixtures.js';

describe('base32 (RFC 4648 §10 test vectors, no padding)', () => {
  const vectors: [string, string][] = [
    ['', ''],
    ['f', 'MY'],
    ['fo', 'MZXQ'],
    ['foo', 'MZXW6'],
    ['foob', 'MZXW6YQ'],
    ['fooba', 'MZXW6YTB'],
    ['foobar', 'MZXW6YTBOI'],
  ];
  it.each(vectors)('%j ⇄ %s', (plain, encoded) => {
    expect(encodeBase32(Buffer.from(plain))).toBe(encoded);
    expect(decodeBase32(encoded).toString()).toBe(plain);
  });

  it('refuses lower case, padding, impossible lengths and non-canonical last characters', () => {
    expect(() => decodeBase32('mzxw6')).toThrow(/character 1 is not base32/);
    expect(() => decodeBase32('MY======')).toThrow(Base32Error);
    expect(() => decodeBase32('MZX')).toThrow(/length 3/);
    // "MZ" has the same first byte as "MY" but sets a padding bit.
    expect(() => decodeBase32('MZ')).toThrow(/padding bits/);
  });
});

describe('pass codec', () => {
  it('lays out the fields at their documented offsets', () => {
    const b = body({ kind: 'visitor', dynamic: true, idBinding: '00112233445566ff' });
    const bytes = encodeBody(b);
    expect(bytes).toHaveLength(38);
    expect(bytes[0]).toBe(1);
    expect(bytes[1]).toBe(0b1101); // visitor, dynamic, binding
    expect(bytes.toString('hex', 2, 10)).toBe(b.passId.slice(4));
    expect(bytes.toString('hex', 10, 18)).toBe(b.holder);
    expect(bytes.readUInt32BE(18)).toBe(b.validFrom);
    expect(bytes.readUInt32BE(22)).toBe(b.validUntil);
    expect(bytes.toString('hex', 26, 30)).toBe(b.keyId);
    expect(bytes.toString('hex', 30, 38)).toBe('00112233445566ff');
  });

  it('decodes what it encodes, with the signed message and the signature apart', () => {
    for (const b of [body(), body({ kind: 'staff', idBinding: 'ffffffffffffffff' })]) {
      const bytes = signedBytes(b);
      const decoded = decodePass(bytes);
      expect(decoded.body).toEqual(b);
      expect(decoded.signature).toEqual(bytes.subarray(bytes.length - 64));
      expect(decoded.message.toString('latin1')).toMatch(/^gatewarden-pass\0/);
    }
  });

  it('fits a version 7 QR code at level M, with a dynamic code and an ID binding', () => {
    const plain = signedText(body());
    expect(plain).toMatch(/^GW1:[A-Z2-7]{151}$/);
    const bound = passText(signedBytes(body({ dynamic: true, idBinding: '0011223344556677' })), '12345678');
    expect(bound).toHaveLength(177);
    // 45 × 45 modules: about 23 mm printed at 0.5 mm a module, read by any 2D scanner.
    expect(qrVersion(plain)).toBe(7);
    expect(qrVersion(bound)).toBe(7);
  });

  it('names what is wrong with a malformed binary pass', () => {
    const good = signedBytes(body());
    const with0 = (i: number, v: number) => {
      const b = Buffer.from(good);
      b[i] = v;
      return b;
    };
    expect(() => decodePass(good.subarray(0, 1))).toThrow(/too short/);
    expect(() => decodePass(with0(0, 2))).toThrow(/version 2 is not supported/);
    expect(() => decodePass(with0(1, 0x10))).toThrow(/reserved bits/);
    expect(() => decodePass(with0(1, 3))).toThrow(/kind 3/);
    expect(() => decodePass(with0(1, 0b1000))).toThrow(/94 bytes where this pass has 102/);
    expect(() => decodePass(good.subarray(0, 93))).toThrow(/93 bytes/);
    const reversed = Buffer.from(good);
    reversed.writeUInt32BE(body().validFrom, 22);
    expect(() => decodePass(reversed)).toThrow(/validUntil: not after validFrom/);
  });

  it('names what is wrong with a malformed text', () => {
    const text = signedText(body());
    const cases: [string, RegExp][] = [
      ['QR-LINA', /no GW1: prefix/],
      [text.replace('GW1:', 'GW2:'), /prefix GW2: is not supported/],
      [`${text}-1234`, /4 characters after "-", expected 8 digits/],
      [`${text}-12345678-1`, /more than one "-"/],
      [`${text.slice(0, 20)}a${text.slice(21)}`, /character 17 is not base32/],
    ];
    for (const [bad, message] of cases) {
      expect(() => parsePassText(bad)).toThrow(PassFormatError);
      expect(() => parsePassText(bad)).toThrow(message);
    }
    expect(parsePassText(`${text}-01234567`).code).toBe('01234567');
  });

  it('refuses to encode a body it could not decode again', () => {
    expect(() => encodeBody(body({ passId: 'gwp-XYZ' }))).toThrow(/passId/);
    expect(() => encodeBody(body({ holder: 'ABCDEF0123456789' }))).toThrow(/holder: not 16 lower-case hex/);
    expect(() => encodeBody(body({ validFrom: -1 }))).toThrow(/validFrom: -1 is not Unix seconds/);
    expect(() => encodeBody(body({ validUntil: 2 ** 32 }))).toThrow(/validUntil/);
    expect(() => encodeBody(body({ kind: 'guest' as 'staff' }))).toThrow(/kind: "guest"/);
  });
});
