import { checkIdNumber } from '../../gateway/registry/id-number.js';
import type { CardType, IdCardText } from './text-block.js';

/**
 * What a rule needs to know about a card beyond the hash of its number, as stable reason codes
 * (logged; they carry no personal data). Any problem makes the credential `idNumberValid: false`,
 * which the rules deny as IDCARD_INVALID: an expired card is not a valid identity document.
 */
export const CARD_PROBLEMS = {
  ID_NUMBER_INVALID: 'the ID number fails GB 11643 (shape, birth date or check character)',
  CARD_EXPIRED: 'the validity period ended before today (China Standard Time)',
  CARD_NOT_YET_VALID: 'the validity period starts after today (China Standard Time)',
  VALIDITY_UNREADABLE: 'the validity dates are not YYYYMMDD (or 长期 for the end)',
} as const;

export type CardProblem = keyof typeof CARD_PROBLEMS;

export interface CardAssessment {
  idNumberValid: boolean;
  problems: CardProblem[];
}

/** Card types whose number is a GB 11643 citizen number at offset 122 (protocols.md §2.5, §2.6). */
export const SUPPORTED_CARD_TYPES: readonly CardType[] = ['resident', 'hk-macau-taiwan-permit'];

const CHINA_OFFSET_MS = 8 * 3_600_000;
const DATE = /^\d{8}$/;

/**
 * Checks the number (the registry's GB 11643 code: shape, a real birth date not after `now`,
 * check character) and the validity period against `now`. A card is valid through the whole of
 * its end date and from the start of its start date, in China Standard Time.
 */
export function assessCard(card: IdCardText, now: number): CardAssessment {
  const problems: CardProblem[] = [];
  if (!checkIdNumber(card.idNumber, now).ok) problems.push('ID_NUMBER_INVALID');
  const today = chinaDate(now);
  const endOk = card.validUntil === 'long-term' || isDate(card.validUntil);
  if (!isDate(card.validFrom) || !endOk) problems.push('VALIDITY_UNREADABLE');
  else {
    if (today < card.validFrom) problems.push('CARD_NOT_YET_VALID');
    if (card.validUntil !== 'long-term' && today > card.validUntil) problems.push('CARD_EXPIRED');
  }
  return { idNumberValid: problems.length === 0, problems };
}

/** `now` as YYYYMMDD in China Standard Time (UTC+8, no daylight saving). */
export function chinaDate(now: number): string {
  return new Date(now + CHINA_OFFSET_MS).toISOString().slice(0, 10).replaceAll('-', '');
}

/** YYYYMMDD that names a real calendar day. */
function isDate(s: string): boolean {
  if (!DATE.test(s)) return false;
  const y = Number(s.slice(0, 4));
  const m = Number(s.slice(4, 6));
  const d = Number(s.slice(6, 8));
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}
