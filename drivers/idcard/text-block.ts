/**
 * The 256-byte text block of a resident ID card (protocols.md §2.5, GA/T 490 layout): every
 * field UCS-2 little-endian, right-padded with U+0020. This module decodes it into fields; it
 * never sees the photo (the WLT block is skipped in messages.ts and never decoded or stored).
 *
 * Privacy: the result holds the holder's name, address and ID number. It stays inside the
 * driver; idcard-adapter.ts lets only the keyed hash of the number and a validity verdict out.
 */

export const TEXT_BLOCK_LENGTH = 256;

/** Field layout: byte offset and length in UTF-16 code units (2 bytes each). */
export const TEXT_FIELDS = {
  name: { offset: 0, chars: 15 },
  /** GB/T 2261.1: '1' male, '2' female, '0' unknown, '9' unspecified. */
  sexCode: { offset: 30, chars: 1 },
  /** GB/T 3304 ethnicity, "01" 汉 … "56" 基诺. */
  nationCode: { offset: 32, chars: 2 },
  /** YYYYMMDD. */
  birthDate: { offset: 36, chars: 8 },
  address: { offset: 52, chars: 35 },
  idNumber: { offset: 122, chars: 18 },
  authority: { offset: 158, chars: 15 },
  /** YYYYMMDD. */
  validFrom: { offset: 188, chars: 8 },
  /** YYYYMMDD, or 长期 (long-term). */
  validUntil: { offset: 204, chars: 8 },
  /** Resident cards: spaces. HK/Macau/Taiwan permits keep pass number, issue count and the type flag here. */
  reserved: { offset: 220, chars: 18 },
} as const;

export type TextFieldName = keyof typeof TEXT_FIELDS;
/** The fields as text, padding removed. */
export type TextFields = Record<TextFieldName, string>;

/** Card-type flag (one UCS-2 character) inside the reserved area, protocols.md §2.5. */
export const CARD_TYPE_OFFSET = 248;
export const LONG_TERM_TEXT = '长期';

export type CardType = 'resident' | 'hk-macau-taiwan-permit' | 'foreign-permanent' | 'unknown';
export type Sex = 'male' | 'female' | 'unknown' | 'unspecified' | 'invalid';

export interface IdCardText {
  cardType: CardType;
  name: string;
  sex: Sex;
  sexCode: string;
  nationCode: string;
  birthDate: string;
  address: string;
  idNumber: string;
  authority: string;
  validFrom: string;
  /** YYYYMMDD, or `long-term` for 长期. */
  validUntil: string;
}

const SEX: Readonly<Record<string, Sex>> = { '0': 'unknown', '1': 'male', '2': 'female', '9': 'unspecified' };

/**
 * The raw fields. Trailing U+0020 is the padding of §2.5; trailing U+0000 is stripped too,
 * because some readers zero unused areas. Never throws: a short block reads as spaces, bytes
 * that are not valid UTF-16 come out as U+FFFD.
 */
export function readTextFields(block: Buffer): TextFields {
  const padded = block.length >= TEXT_BLOCK_LENGTH ? block : padBlock(block);
  const fields = {} as TextFields;
  for (const [name, { offset, chars }] of Object.entries(TEXT_FIELDS) as [
    TextFieldName,
    { offset: number; chars: number },
  ][]) {
    fields[name] = stripPadding(padded.toString('utf16le', offset, offset + chars * 2));
  }
  return fields;
}

/**
 * The 256-byte block for these fields (simulator and tests), each right-padded with spaces.
 * Throws a RangeError for a field longer than its slot, counted in UTF-16 code units.
 */
export function writeTextFields(fields: Partial<TextFields>): Buffer {
  const block = Buffer.from(' '.repeat(TEXT_BLOCK_LENGTH / 2), 'utf16le');
  for (const [name, value] of Object.entries(fields) as [TextFieldName, string | undefined][]) {
    if (value === undefined) continue;
    const { offset, chars } = TEXT_FIELDS[name];
    if (value.length > chars) throw new RangeError(`${name} holds at most ${chars} characters`);
    block.write(value, offset, 'utf16le');
  }
  return block;
}

/** The typed reading of a block: card type from the flag at offset 248, sex, 长期 validity. */
export function decodeTextBlock(block: Buffer): IdCardText {
  const f = readTextFields(block);
  return {
    cardType: cardTypeOf(block),
    name: f.name,
    sex: SEX[f.sexCode] ?? 'invalid',
    sexCode: f.sexCode,
    nationCode: f.nationCode,
    birthDate: f.birthDate,
    address: f.address,
    idNumber: f.idNumber,
    authority: f.authority,
    validFrom: f.validFrom,
    validUntil: f.validUntil === LONG_TERM_TEXT ? 'long-term' : f.validUntil,
  };
}

function cardTypeOf(block: Buffer): CardType {
  if (block.length < CARD_TYPE_OFFSET + 2) return 'resident';
  const flag = block.toString('utf16le', CARD_TYPE_OFFSET, CARD_TYPE_OFFSET + 2);
  switch (flag) {
    case ' ':
    case '\u0000':
      return 'resident';
    case 'J':
      return 'hk-macau-taiwan-permit';
    case 'I':
      return 'foreign-permanent';
    default:
      return 'unknown';
  }
}

/** Without trailing U+0020 and U+0000. */
function stripPadding(s: string): string {
  let end = s.length;
  while (end > 0 && (s.charCodeAt(end - 1) === 0x20 || s.charCodeAt(end - 1) === 0x00)) end--;
  return s.slice(0, end);
}

function padBlock(block: Buffer): Buffer {
  const padded = Buffer.from(' '.repeat(TEXT_BLOCK_LENGTH / 2), 'utf16le');
  block.copy(padded, 0, 0, Math.min(block.length, TEXT_BLOCK_LENGTH));
  return padded;
}
