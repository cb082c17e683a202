/**
 * Whatever a power cut or a bad sector does to the held-entries spill, decoding it gives a prefix
 * of what was written, in order, and never throws (held-spill-codec.ts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeSpill,
  encodeHeader,
  encodeRecord,
  type SpilledEntry,
} from '../../gateway/checkpoint/held-spill-codec.js';

const spilled: fc.Arbitrary<SpilledEntry> = fc.record({
  item: fc.record({
    type: fc.constantFrom('decision', 'alarm', 'device', 'reading') as fc.Arbitrary<'device'>,
    at: fc.nat({ max: 2 ** 45 }),
    payload: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 })) as fc.Arbitrary<never>,
  }),
  heldAt: fc.nat({ max: 2 ** 45 }),
});

function write(generation: number, entries: readonly SpilledEntry[], tail: number): Buffer {
  return Buffer.concat([
    encodeHeader(generation, true),
    ...entries.map((e) => encodeRecord(generation, e)),
    Buffer.alloc(tail),
  ]);
}

/** What JSON keeps of an entry (the spill is JSON: -0 comes back 0, undefined members go). */
const asJson = (entries: readonly SpilledEntry[]) => JSON.parse(JSON.stringify(entries)) as SpilledEntry[];

describe('held spill codec, property', () => {
  it('gives back exactly what was written', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 2 ** 32 - 1 }),
        fc.array(spilled, { maxLength: 20 }),
        fc.nat({ max: 64 }),
        (g, entries, tail) => {
          expect(decodeSpill(write(g, entries, tail)).records).toEqual(asJson(entries));
        },
      ),
    );
  });

  it('cut short anywhere: the records wholly before the cut, never more', () => {
    fc.assert(
      fc.property(
        fc.array(spilled, { minLength: 1, maxLength: 10 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (entries, where) => {
          const file = write(5, entries, 0);
          const cut = Math.floor(where * file.length);
          const decoded = decodeSpill(file.subarray(0, cut));
          const whole = entries.filter((_, i) => write(5, entries.slice(0, i + 1), 0).length <= cut);
          expect(decoded.records).toEqual(asJson(whole));
        },
      ),
    );
  });

  it('any bytes changed: a prefix of the records, and no exception', () => {
    fc.assert(
      fc.property(
        fc.array(spilled, { maxLength: 10 }),
        fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 8,
        }),
        (entries, changes) => {
          const file = write(9, entries, 16);
          for (const [where, value] of changes)
            file[Math.min(file.length - 1, Math.floor(where * file.length))] = value;
          const { records } = decodeSpill(file);
          expect(asJson(entries).slice(0, records.length)).toEqual(records);
        },
      ),
    );
  });

  it('never throws on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), fc.boolean(), (bytes, withHeader) => {
        const file = withHeader ? Buffer.concat([encodeHeader(1, true), bytes]) : Buffer.from(bytes);
        const decoded = decodeSpill(file);
        expect(decoded.end).toBeGreaterThanOrEqual(32);
      }),
    );
  });
});
