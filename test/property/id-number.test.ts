import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { checkIdNumber, computeIdCheckChar } from '../../gateway/registry/id-number.js';

const NOW = Date.UTC(2022, 3, 10);
const CHECK_CHARS = '0123456789X';

/** 17 digits whose birth date part (digits 7–14) is a real date between 1900 and 2021. */
const first17 = fc
  .record({
    area: fc.stringMatching(/^\d{6}$/),
    birth: fc.date({
      min: new Date(Date.UTC(1900, 0, 1)),
      max: new Date(Date.UTC(2021, 11, 31)),
      noInvalidDate: true,
    }),
    order: fc.stringMatching(/^\d{3}$/),
  })
  .map(({ area, birth, order }) => `${area}${birth.toISOString().slice(0, 10).replaceAll('-', '')}${order}`);

describe('ID number check character (ISO 7064 MOD 11-2)', () => {
  test.prop([first17])('17 digits and their computed check character validate', (digits) => {
    expect(checkIdNumber(digits + computeIdCheckChar(digits), NOW)).toEqual({ ok: true });
  });

  test.prop([first17, fc.integer({ min: 1, max: 10 })])(
    'any other check character fails',
    (digits, shift) => {
      const right = computeIdCheckChar(digits);
      const wrong = CHECK_CHARS.charAt((CHECK_CHARS.indexOf(right) + shift) % CHECK_CHARS.length);
      const result = checkIdNumber(digits + wrong, NOW);
      expect(result.ok).toBe(false);
    },
  );

  test.prop([first17])('the check character is X exactly when the weighted sum is 2 mod 11', (digits) => {
    const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const sum = [...digits].reduce((s, d, i) => s + Number(d) * (weights[i] ?? 0), 0);
    expect(computeIdCheckChar(digits) === 'X').toBe(sum % 11 === 2);
  });
});
