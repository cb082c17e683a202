/**
 * The broker's packet-size guard (gateway/mqtt/broker/packet-guard.ts): for any stream of MQTT
 * packets and any way of cutting it into chunks, packets within the limit never trip it, and
 * the first packet over the limit trips it exactly at the chunk that completes its header.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { PacketSizeMeter } from '../../gateway/mqtt/broker/packet-guard.js';

const MAX = 300;

/** Fixed header: the type byte and the Remaining Length (MQTT 3.1.1 §2.2.3). */
function header(type: number, length: number): Buffer {
  const varint: number[] = [];
  let n = length;
  do {
    varint.push((n % 128) | (n >= 128 ? 0x80 : 0));
    n = Math.floor(n / 128);
  } while (n > 0);
  return Buffer.from([type, ...varint]);
}

/** A whole packet: its header and a body of `length` bytes. */
function encode(type: number, length: number): { bytes: Buffer } {
  return { bytes: Buffer.concat([header(type, length), Buffer.alloc(length, 0x61)]) };
}

const packet = fc.record({
  type: fc.integer({ min: 0, max: 255 }),
  length: fc.integer({ min: 0, max: MAX }),
});
const cuts = fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 200 });

/** Feeds `stream` in chunks of the given sizes (cycled); returns the end offset of the chunk that tripped. */
function feed(stream: Buffer, sizes: number[]): { trippedAt?: number; bytes?: number } {
  const meter = new PacketSizeMeter(MAX);
  let offset = 0;
  for (let i = 0; offset < stream.length; i++) {
    const end = Math.min(stream.length, offset + (sizes[i % sizes.length] as number));
    const result = meter.feed(stream.subarray(offset, end));
    offset = end;
    if (!result.ok)
      return { trippedAt: end, ...(result.reason === 'packet too large' ? { bytes: result.bytes } : {}) };
  }
  return {};
}

describe('PacketSizeMeter', () => {
  test.prop([fc.array(packet, { maxLength: 30 }), cuts])(
    'never trips on packets within the limit',
    (packets, sizes) => {
      const stream = Buffer.concat(packets.map((p) => encode(p.type, p.length).bytes));
      expect(feed(stream, sizes)).toEqual({});
    },
  );

  test.prop([
    fc.array(packet, { maxLength: 10 }),
    fc.integer({ min: MAX + 1, max: 268_435_455 }),
    fc.array(packet, { maxLength: 5 }),
    cuts,
  ])('trips at the header of the first packet over the limit', (before, size, after, sizes) => {
    const prefix = Buffer.concat(before.map((p) => encode(p.type, p.length).bytes));
    // The body of a huge packet need not exist: the guard must decide on its header alone.
    const big = header(0x30, size);
    const tail = Buffer.concat([Buffer.alloc(50), ...after.map((p) => encode(p.type, p.length).bytes)]);
    const stream = Buffer.concat([prefix, big, tail]);
    const headerEnd = prefix.length + big.length;
    const { trippedAt, bytes: announced } = feed(stream, sizes);
    expect(announced).toBe(size);
    expect(trippedAt).toBeGreaterThanOrEqual(headerEnd);
    // …in the chunk that completed the header, not later.
    const chunkEnds = chunkBoundaries(stream.length, sizes);
    expect(trippedAt).toBe(chunkEnds.find((end) => end >= headerEnd));
  });
});

function chunkBoundaries(total: number, sizes: number[]): number[] {
  const ends: number[] = [];
  for (let offset = 0, i = 0; offset < total; i++) {
    offset = Math.min(total, offset + (sizes[i % sizes.length] as number));
    ends.push(offset);
  }
  return ends;
}
