/**
 * The commit gate's promise at the byte level (drivers/line/half-duplex-line.ts): an OSDP
 * packet whose last byte went out spoiled is never taken for a packet by a PD's parser, however
 * the line chunks it and whatever its header and payload, sealed (random bytes, as after
 * encryption and MAC) or plain OUT records; so a withdrawn unlock cannot open a door.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { encodeFrame } from '../../drivers/osdp/framing/codec.js';
import type { OsdpFrame, Sequence } from '../../drivers/osdp/framing/frame.js';
import { OsdpParser } from '../../drivers/osdp/framing/parser.js';
import { encodeCommand } from '../../drivers/osdp/messages/commands.js';

const byte = fc.integer({ min: 0, max: 0xff });

const outRecords = fc.array(
  fc.record({
    output: byte,
    control: fc.integer({ min: 0, max: 6 }),
    timer100ms: fc.integer({ min: 0, max: 0xffff }),
  }),
  { minLength: 1, maxLength: 8 },
);

/** A plain OUT, or one with a Secure Channel block, ciphertext-like data and a MAC. */
const packetArb = fc
  .record({
    address: fc.integer({ min: 0, max: 0x7e }),
    sequence: fc.constantFrom<Sequence>(0, 1, 2, 3),
    useCrc: fc.boolean(),
    mark: fc.boolean(),
    outputs: outRecords,
    sealed: fc.option(
      fc.record({
        data: fc.uint8Array({ minLength: 16, maxLength: 48 }),
        mac: fc.uint8Array({ minLength: 4, maxLength: 4 }),
      }),
      { nil: undefined },
    ),
  })
  .map(({ address, sequence, useCrc, mark, outputs, sealed }) => {
    const { code, data } = encodeCommand({ type: 'OUT', outputs });
    const frame: OsdpFrame = sealed
      ? {
          address,
          reply: false,
          sequence,
          useCrc,
          code,
          data: Buffer.from(sealed.data),
          securityBlock: { type: 0x17, data: Buffer.alloc(0) },
          mac: Buffer.from(sealed.mac),
        }
      : { address, reply: false, sequence, useCrc, code, data };
    return encodeFrame(frame, { mark });
  });

function spoiled(packet: Buffer): Buffer {
  const copy = Buffer.from(packet);
  copy[copy.length - 1] = (copy[copy.length - 1] as number) ^ 0xff;
  return copy;
}

describe('commit gate at the byte level', () => {
  test.prop([packetArb, fc.array(fc.integer({ min: 1, max: 12 }), { maxLength: 6 })])(
    'a packet whose last byte is spoiled never parses as a frame, however chunked',
    (packet, sizes) => {
      const parser = new OsdpParser();
      const bytes = spoiled(packet);
      const events = [];
      for (let at = 0, i = 0; at < bytes.length; i++) {
        const size = sizes.length === 0 ? bytes.length : (sizes[i % sizes.length] as number);
        events.push(...parser.push(bytes.subarray(at, at + size)));
        at += size;
      }
      expect(events.filter((e) => e.kind === 'frame')).toEqual([]);
      expect(events.some((e) => e.kind === 'bad-check')).toBe(true);
      // The same packet whole parses: only the last byte made the difference.
      const whole = new OsdpParser().push(packet);
      expect(whole.filter((e) => e.kind === 'frame')).toHaveLength(1);
    },
  );
});
