import { OsdpPayloadError, RAW_FORMAT } from './codes.js';

/**
 * Card numbers from osdp_RAW bit arrays (protocols.md §1.7): bit 0 is the MSB of byte 0.
 *
 * Credential strings, the form the registry stores card credentials in (canonical: decimal
 * without leading zeros, hex lower case, so one card has exactly one string):
 * - `W26:<facility>:<card>` — 26-bit H10301: P(even over bits 0–12) F8 C16 P(odd over bits 13–25).
 * - `W34:<facility>:<card>` — 34-bit: P(even over bits 0–16) F16 C16 P(odd over bits 17–33).
 * - `bits:<count>:<hex>` — any other length, or format 0x00 (no Wiegand meaning): the bytes as
 *   received in hex with the unused bits of the last byte cleared, e.g. `bits:35:0123456780`.
 * A credential is built even when parity fails, so the refusal can be logged with the card; the
 * caller must not grant access unless `parityOk`.
 */

export type CardRead =
  | { kind: 'wiegand26' | 'wiegand34'; facility: number; card: number; parityOk: boolean; credential: string }
  | { kind: 'bits'; bitCount: number; credential: string };

interface WiegandLayout {
  prefix: string;
  bits: number;
  facilityBits: number;
  cardBits: number;
}

const W26: WiegandLayout = { prefix: 'W26', bits: 26, facilityBits: 8, cardBits: 16 };
const W34: WiegandLayout = { prefix: 'W34', bits: 34, facilityBits: 16, cardBits: 16 };

/** Reads a RAW reply's card data, honouring its format byte. */
export function parseCardData(format: number, bitCount: number, data: Buffer): CardRead {
  return format === RAW_FORMAT.WIEGAND ? parseWiegand(bitCount, data) : bitsCredential(bitCount, data);
}

/** Wiegand P-data-P: 26 and 34 bits decode to facility and card; other lengths stay raw bits. */
export function parseWiegand(bitCount: number, data: Buffer): CardRead {
  requireBits(bitCount, data);
  const layout = bitCount === W26.bits ? W26 : bitCount === W34.bits ? W34 : undefined;
  if (layout === undefined) return bitsCredential(bitCount, data);
  const bit = (i: number): number => ((data[i >> 3] ?? 0) >> (7 - (i & 7))) & 1;
  const field = (from: number, count: number): number => {
    let value = 0;
    for (let i = from; i < from + count; i++) value = value * 2 + bit(i);
    return value;
  };
  const half = layout.bits / 2;
  const evenOk = ones(bit, 0, half) % 2 === 0;
  const oddOk = ones(bit, half, layout.bits) % 2 === 1;
  const facility = field(1, layout.facilityBits);
  const card = field(1 + layout.facilityBits, layout.cardBits);
  return {
    kind: layout === W26 ? 'wiegand26' : 'wiegand34',
    facility,
    card,
    parityOk: evenOk && oddOk,
    credential: `${layout.prefix}:${facility}:${card}`,
  };
}

/** `bits:<count>:<hex>` for any bit array. */
export function bitsCredential(bitCount: number, data: Buffer): CardRead {
  requireBits(bitCount, data);
  const bytes = Buffer.from(data.subarray(0, Math.ceil(bitCount / 8)));
  const unused = bytes.length * 8 - bitCount;
  if (unused > 0) bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) & (0xff << unused) & 0xff;
  return { kind: 'bits', bitCount, credential: `bits:${bitCount}:${bytes.toString('hex')}` };
}

/** 26-bit H10301 with correct parity: `{ bitCount: 26, data }` (4 bytes, last 6 bits zero). */
export function encodeWiegand26(facility: number, card: number): { bitCount: number; data: Buffer } {
  return encodeWiegand(W26, facility, card);
}

/** 34-bit with correct parity: `{ bitCount: 34, data }` (5 bytes, last 6 bits zero). */
export function encodeWiegand34(facility: number, card: number): { bitCount: number; data: Buffer } {
  return encodeWiegand(W34, facility, card);
}

function encodeWiegand(
  layout: WiegandLayout,
  facility: number,
  card: number,
): { bitCount: number; data: Buffer } {
  requireField(layout, 'facility', facility, layout.facilityBits);
  requireField(layout, 'card', card, layout.cardBits);
  const bits = [0, ...toBits(facility, layout.facilityBits), ...toBits(card, layout.cardBits), 0];
  const half = layout.bits / 2;
  const at = (i: number): number => bits[i] ?? 0;
  bits[0] = ones(at, 1, half) % 2; // makes bits 0..half-1 even
  bits[layout.bits - 1] = 1 - (ones(at, half, layout.bits - 1) % 2); // makes the rest odd
  const data = Buffer.alloc(Math.ceil(layout.bits / 8));
  bits.forEach((b, i) => {
    data[i >> 3] = (data[i >> 3] ?? 0) | (b << (7 - (i & 7)));
  });
  return { bitCount: layout.bits, data };
}

function ones(bit: (i: number) => number, from: number, to: number): number {
  let count = 0;
  for (let i = from; i < to; i++) count += bit(i);
  return count;
}

function toBits(value: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => Math.floor(value / 2 ** (count - 1 - i)) % 2);
}

function requireField(layout: WiegandLayout, name: string, value: number, bits: number): void {
  if (!Number.isInteger(value) || value < 0 || value >= 2 ** bits) {
    throw new RangeError(`${layout.prefix} ${name} ${value} is not an integer in 0..${2 ** bits - 1}`);
  }
}

function requireBits(bitCount: number, data: Buffer): void {
  const needed = Math.ceil(bitCount / 8);
  if (!Number.isInteger(bitCount) || bitCount < 0 || data.length < needed) {
    throw new OsdpPayloadError(
      'RAW',
      `${bitCount} bits need ${needed} bytes of card data, got ${data.length}`,
    );
  }
}
