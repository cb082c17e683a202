import { describe, expect, it } from 'vitest';
import { assessCard, chinaDate } from '../../drivers/idcard/card-check.js';
import {
  CARD_TYPE_OFFSET,
  decodeTextBlock,
  readTextFields,
  TEXT_BLOCK_LENGTH,
  TEXT_FIELDS,
  writeTextFields,
} from '../../drivers/idcard/text-block.js';
import { checkIdNumber, computeIdCheckChar } from '../../gateway/registry/id-number.js';
import { TEST_DECK } from '../../simulators/idcard/deck.js';
import { CHECK_DIGIT_EXAMPLES, ZHANG_SAN } from '../fixtures/idcard/frames.hex.js';

const identity = (i: number) => {
  const id = TEST_DECK[i];
  if (!id) throw new Error(`no deck card ${i}`);
  return id;
};
const DAY = 86_400_000;
/** 2026-06-01 12:00 in China. */
const NOW = Date.UTC(2026, 5, 1, 4, 0, 0);

describe('text block layout (protocols.md §2.5)', () => {
  it('tiles the 256 bytes without gaps or overlaps', () => {
    let at = 0;
    for (const { offset, chars } of Object.values(TEXT_FIELDS)) {
      expect(offset).toBe(at);
      at += chars * 2;
    }
    expect(at).toBe(TEXT_BLOCK_LENGTH);
  });

  it('writes 张三 as 20 5F 09 4E, padded with U+0020', () => {
    const block = writeTextFields({ name: ZHANG_SAN.text });
    expect(block.length).toBe(256);
    expect(block.subarray(0, 4).equals(ZHANG_SAN.utf16le)).toBe(true);
    expect(block.subarray(4, 30).toString('hex')).toBe('2000'.repeat(13));
    expect(readTextFields(block).name).toBe('张三');
  });

  it('decodes every field of a card and strips the padding', () => {
    const card = decodeTextBlock(writeTextFields(identity(0).fields));
    const f = identity(0).fields;
    expect(card).toEqual({
      cardType: 'resident',
      name: f.name,
      sex: 'female',
      sexCode: '2',
      nationCode: '01',
      birthDate: '19900307',
      address: f.address,
      idNumber: f.idNumber,
      authority: f.authority,
      validFrom: '20200101',
      validUntil: '20400101',
    });
  });

  it('reads 长期 as long-term and the J flag at offset 248 as a residence permit', () => {
    expect(decodeTextBlock(writeTextFields(identity(4).fields)).validUntil).toBe('long-term');
    const permit = writeTextFields(identity(5).fields);
    expect(permit.toString('utf16le', CARD_TYPE_OFFSET, CARD_TYPE_OFFSET + 2)).toBe('J');
    expect(decodeTextBlock(permit).cardType).toBe('hk-macau-taiwan-permit');
    const foreign = writeTextFields({ reserved: `${' '.repeat(14)}I` });
    expect(decodeTextBlock(foreign).cardType).toBe('foreign-permanent');
    expect(decodeTextBlock(writeTextFields({ reserved: `${' '.repeat(14)}Q` })).cardType).toBe('unknown');
  });

  it('strips NUL padding, reads a short block as spaces and maps sex codes', () => {
    const block = Buffer.alloc(256);
    block.write('测试', 0, 'utf16le');
    block.write('9', 30, 'utf16le');
    expect(decodeTextBlock(block)).toMatchObject({ name: '测试', sex: 'unspecified', cardType: 'resident' });
    expect(decodeTextBlock(Buffer.from('AB', 'utf16le'))).toMatchObject({
      name: 'AB',
      idNumber: '',
      sex: 'invalid',
    });
    expect(decodeTextBlock(writeTextFields({ sexCode: '1' })).sex).toBe('male');
    expect(decodeTextBlock(writeTextFields({ sexCode: '0' })).sex).toBe('unknown');
  });

  it('refuses a field longer than its slot', () => {
    expect(() => writeTextFields({ name: 'x'.repeat(16) })).toThrow(RangeError);
    expect(() => writeTextFields({ idNumber: '1'.repeat(19) })).toThrow(/idNumber/);
  });
});

describe('card checks', () => {
  it.each(CHECK_DIGIT_EXAMPLES)(
    'check character of $first17 is $check (GB 11643 §2.6)',
    ({ first17, check }) => {
      expect(computeIdCheckChar(first17)).toBe(check);
      expect(checkIdNumber(first17 + check).ok).toBe(true);
    },
  );

  it('accepts a valid card and reports a bad check digit as ID_NUMBER_INVALID', () => {
    expect(assessCard(decodeTextBlock(writeTextFields(identity(0).fields)), NOW)).toEqual({
      idNumberValid: true,
      problems: [],
    });
    expect(assessCard(decodeTextBlock(writeTextFields(identity(2).fields)), NOW)).toEqual({
      idNumberValid: false,
      problems: ['ID_NUMBER_INVALID'],
    });
  });

  it('reports a card expired relative to the injected date, valid through its last day in China time', () => {
    const card = { ...decodeTextBlock(writeTextFields(identity(0).fields)), validUntil: '20260601' };
    const lastMinute = Date.UTC(2026, 5, 1, 15, 59); // 23:59 on 1 June in China
    expect(assessCard(card, lastMinute).problems).toEqual([]);
    expect(assessCard(card, lastMinute + 60_000).problems).toEqual(['CARD_EXPIRED']);
    expect(chinaDate(lastMinute + 60_000)).toBe('20260602');
    expect(assessCard(decodeTextBlock(writeTextFields(identity(3).fields)), NOW)).toEqual({
      idNumberValid: false,
      problems: ['CARD_EXPIRED'],
    });
  });

  it('never expires a long-term card; flags one not yet valid and unreadable dates', () => {
    const longTerm = decodeTextBlock(writeTextFields(identity(4).fields));
    expect(assessCard(longTerm, NOW + 100 * 365 * DAY).problems).toEqual([]);
    expect(assessCard({ ...longTerm, validFrom: '20260602' }, NOW).problems).toEqual(['CARD_NOT_YET_VALID']);
    expect(assessCard({ ...longTerm, validFrom: '2026060' }, NOW).problems).toEqual(['VALIDITY_UNREADABLE']);
    expect(assessCard({ ...longTerm, validUntil: '20260231' }, NOW).problems).toEqual([
      'VALIDITY_UNREADABLE',
    ]);
  });

  it('checks the birth date in the number against the injected date too', () => {
    const card = decodeTextBlock(writeTextFields(identity(0).fields));
    expect(assessCard(card, Date.UTC(1980, 0, 1)).problems).toContain('ID_NUMBER_INVALID');
  });
});

describe('the test deck', () => {
  it('has valid check digits except the bad-check card, and one expired card', () => {
    const verdicts = TEST_DECK.map((id) => assessCard(decodeTextBlock(writeTextFields(id.fields)), NOW));
    expect(verdicts.map((v) => v.problems)).toEqual([
      [],
      [],
      ['ID_NUMBER_INVALID'],
      ['CARD_EXPIRED'],
      [],
      [],
    ]);
    expect(new Set(TEST_DECK.map((id) => id.serial.toString('hex'))).size).toBe(TEST_DECK.length);
  });
});
