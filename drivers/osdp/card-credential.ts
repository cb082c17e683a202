import { parseCardData } from './messages/card-data.js';
import type { OsdpReply } from './messages/replies.js';

/**
 * The registry's form of a card read by an OSDP reader: the card's data bits, without Wiegand
 * parity, as upper-case hex — the form `normaliseCredentialValue('card', …)` keeps and the
 * registry's card column holds.
 * - 26-bit H10301: facility (8 bits) then card number (16 bits): 6 digits, e.g. facility 12,
 *   card 345 → `0C0159`.
 * - 34-bit: 32 data bits: 8 digits. Mifare readers send a 4-byte UID this way, so this is the
 *   UID printed on most cards' labels and read by desktop enrolment readers.
 * - any other length, or format 0x00: the bytes as received (unused trailing bits cleared).
 * Returns undefined for a Wiegand read whose parity fails: a misread, not a card.
 */
export function cardCredential(raw: Extract<OsdpReply, { type: 'RAW' }>): string | undefined {
  const read = parseCardData(raw.format, raw.bitCount, raw.data);
  switch (read.kind) {
    case 'wiegand26':
      if (!read.parityOk) return undefined;
      return hex(read.facility, 2) + hex(read.card, 4);
    case 'wiegand34':
      if (!read.parityOk) return undefined;
      return hex(read.facility, 4) + hex(read.card, 4);
    case 'bits':
      return (read.credential.split(':')[2] ?? '').toUpperCase();
  }
}

function hex(value: number, digits: number): string {
  return value.toString(16).toUpperCase().padStart(digits, '0');
}
