import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GatewardenError } from '../../gateway/errors.js';
import {
  checkIdNumber,
  computeIdCheckChar,
  hashIdNumber,
  maskIdNumber,
  pseudonymKey,
} from '../../gateway/registry/id-number.js';
import { STANDARD_SAMPLES, withCheckChar, withWrongCheckChar } from '../fixtures/registry/synthetic-ids.js';

const NOW = Date.UTC(2022, 3, 10);
const KEY_A = Buffer.alloc(32, 1);
const KEY_B = Buffer.alloc(32, 2);

describe('checkIdNumber (GB 11643, ISO 7064 MOD 11-2)', () => {
  it('computes the check characters of the standard samples', () => {
    expect(computeIdCheckChar('11010519491231002')).toBe('X');
    expect(computeIdCheckChar('44052418800101001')).toBe('4');
  });

  it('accepts the standard samples, and a lower-case x', () => {
    for (const id of STANDARD_SAMPLES) expect(checkIdNumber(id, NOW)).toEqual({ ok: true });
    expect(checkIdNumber('11010519491231002x', NOW)).toEqual({ ok: true });
  });

  it('refuses a wrong check character', () => {
    const result = checkIdNumber(withWrongCheckChar('440524188001010014'), NOW);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problem).toMatch(/check character/);
  });

  it.each([
    ['too short', '1101051949123100', /18 characters/],
    ['15-digit old form', '110105491231002', /18 characters/],
    ['letters', '11010519491231A02X', /17 digits/],
    ['X in the middle', '1101051949123100XX', /17 digits/],
  ])('refuses a malformed number (%s)', (_what, id, problem) => {
    const result = checkIdNumber(id, NOW);
    expect(result).toMatchObject({ ok: false, problem: expect.stringMatching(problem) });
  });

  it('refuses impossible, ancient and future birth dates even with a right check character', () => {
    expect(checkIdNumber(withCheckChar('11010520220230001'), NOW)).toMatchObject({
      problem: /calendar date/,
    });
    expect(checkIdNumber(withCheckChar('11010519491301001'), NOW)).toMatchObject({
      problem: /calendar date/,
    });
    expect(checkIdNumber(withCheckChar('11010517991231001'), NOW)).toMatchObject({ problem: /before 1800/ });
    expect(checkIdNumber(withCheckChar('11010520220411001'), NOW)).toMatchObject({ problem: /future/ });
    expect(checkIdNumber(withCheckChar('11010520000229001'), NOW)).toEqual({ ok: true });
  });

  it('treats a birth date as a China Standard Time date', () => {
    const bornOn10April = withCheckChar('11010520220410001');
    // 2022-04-10 00:00 in UTC+8 is 2022-04-09 16:00 UTC.
    expect(checkIdNumber(bornOn10April, Date.UTC(2022, 3, 9, 16)).ok).toBe(true);
    expect(checkIdNumber(bornOn10April, Date.UTC(2022, 3, 9, 15, 59)).ok).toBe(false);
  });

  it('never echoes the number in a problem', () => {
    const id = withWrongCheckChar('310104198503151231');
    const result = checkIdNumber(id, NOW);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.problem).not.toContain('19850315');
      expect(result.problem).not.toContain(id.slice(0, 6));
    }
  });
});

describe('maskIdNumber', () => {
  it('keeps the first and last four characters', () => {
    expect(maskIdNumber('11010519491231002X')).toBe('1101**********002X');
    expect(maskIdNumber('11010519491231002x')).toBe('1101**********002X');
    expect(maskIdNumber('440524188001010014')).toBe('4405**********0014');
  });

  it('masks short input entirely', () => {
    expect(maskIdNumber('1234')).toBe('****');
  });
});

describe('hashIdNumber', () => {
  it('is a stable 64-hex HMAC of the normalised number', () => {
    const h = hashIdNumber(KEY_A, '11010519491231002X');
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(hashIdNumber(KEY_A, ' 11010519491231002x ')).toBe(h);
  });

  it('differs between keys and between numbers', () => {
    const id = '11010519491231002X';
    expect(hashIdNumber(KEY_A, id)).not.toBe(hashIdNumber(KEY_B, id));
    expect(hashIdNumber(KEY_A, id)).not.toBe(hashIdNumber(KEY_A, '440524188001010014'));
  });

  it('refuses a key too short to be a key', () => {
    expect(() => hashIdNumber(Buffer.alloc(4), '11010519491231002X')).toThrow(RangeError);
  });
});

describe('pseudonymKey', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('creates a 32-byte key with mode 0600 (and its folder), then loads the same key', () => {
    dir = mkdtempSync(join(tmpdir(), 'gw-key-'));
    const path = join(dir, 'secrets', 'pseudonym.key');
    const key = pseudonymKey(path);
    expect(key).toHaveLength(32);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(pseudonymKey(path).equals(key)).toBe(true);
    expect(readFileSync(path).equals(key)).toBe(true);
  });

  it('refuses a key file of the wrong size', () => {
    dir = mkdtempSync(join(tmpdir(), 'gw-key-'));
    const path = join(dir, 'short.key');
    writeFileSync(path, 'too short', { mode: 0o600 });
    expect(() => pseudonymKey(path)).toThrow(GatewardenError);
    expect(() => pseudonymKey(path)).toThrow(/must be 32 bytes, found 9/);
  });

  it('refuses a key file that group or others may read or write, naming the fix', () => {
    dir = mkdtempSync(join(tmpdir(), 'gw-key-'));
    const path = join(dir, 'pseudonym.key');
    const key = pseudonymKey(path);
    for (const mode of [0o644, 0o640, 0o604, 0o620]) {
      chmodSync(path, mode);
      expect(() => pseudonymKey(path)).toThrow(
        `open to other users (mode 0${mode.toString(8)}): run chmod 600 ${path}`,
      );
    }
    chmodSync(path, 0o400);
    expect(pseudonymKey(path).equals(key)).toBe(true);
  });
});
