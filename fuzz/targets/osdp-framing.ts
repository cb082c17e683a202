import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  checkIsValid,
  checkLength,
  decodePacket,
  encodeFrame,
  minimumPacketLength,
  OsdpCodecError,
} from '../../drivers/osdp/framing/codec.js';
import { MAX_PACKET_LENGTH, SOM, scbHasMac } from '../../drivers/osdp/framing/constants.js';
import type { OsdpFrame, Sequence } from '../../drivers/osdp/framing/frame.js';
import { OsdpParser, type ParseEvent } from '../../drivers/osdp/framing/parser.js';
import { defineTarget, neverThrows, onlyThrows } from '../target.js';
import { byte, bytes, chunked, chunkSizes, noise } from './bytes.js';

/** OSDP packet framing (drivers/osdp/framing): the incremental parser and the packet codec. */

const security = fc
  .record({ type: fc.oneof(fc.integer({ min: 0x11, max: 0x18 }), byte), data: bytes(0, 8), mac: bytes(4) })
  .map(({ type, data, mac }) => ({ securityBlock: { type, data }, ...(scbHasMac(type) ? { mac } : {}) }));

/** Any frame the codec can carry. */
export const osdpFrame: fc.Arbitrary<OsdpFrame> = fc
  .record({
    address: fc.integer({ min: 0, max: 0x7f }),
    reply: fc.boolean(),
    sequence: fc.constantFrom<Sequence>(0, 1, 2, 3),
    useCrc: fc.boolean(),
    code: byte,
    data: bytes(0, 120),
    secure: fc.option(security, { nil: undefined }),
  })
  .map(({ secure, ...frame }) => ({ ...frame, ...secure }));

/** SOM, the mark, small LEN bytes, CTRL values with and without CRC and SCB, common codes. */
const HOT = [SOM, 0xff, 0x00, 0x01, 0x04, 0x05, 0x07, 0x08, 0x0c, 0x0d, 0x60, 0x15, 0x17];

function parseAll(chunks: readonly Buffer[]): { events: ParseEvent[]; pending: number } {
  const parser = new OsdpParser();
  const events: ParseEvent[] = [];
  for (const chunk of chunks) {
    events.push(...neverThrows(() => parser.push(chunk)));
    assert.ok(parser.pending() <= MAX_PACKET_LENGTH, `parser holds ${parser.pending()} bytes`);
  }
  return { events, pending: parser.pending() };
}

const discarded = (events: readonly ParseEvent[]) =>
  events.reduce((n, e) => n + (e.kind === 'discarded' ? e.bytes : 0), 0);
const significant = (events: readonly ParseEvent[]) => events.filter((e) => e.kind !== 'discarded');

/**
 * Whether a false packet, starting in the noise before `real` (the real packet's SOM), passes its
 * check and runs over `real`: the parser then takes it and the real packet with it, the loss
 * the parser documents (1 in 256 false SOMs with a checksum, 1 in 65536 with a CRC).
 */
function falsePacketOver(stream: Buffer, real: number): boolean {
  for (let i = stream.indexOf(SOM); i >= 0 && i < real; i = stream.indexOf(SOM, i + 1)) {
    if (i + 5 > stream.length) continue;
    const length = stream.readUInt16LE(i + 2);
    const fits = length >= minimumPacketLength(stream[i + 4] ?? 0) && length <= MAX_PACKET_LENGTH;
    if (
      fits &&
      i + length > real &&
      i + length <= stream.length &&
      checkIsValid(stream.subarray(i, i + length))
    )
      return true;
  }
  return false;
}

export const osdpParser = defineTarget({
  name: 'osdp-parser',
  contract:
    'OsdpParser on line noise rich in SOM and false headers, the real packet right after it, cut into any ' +
    'chunks: never throws, holds at most one packet, gives the same events however chunked, every frame ' +
    're-encodes to its own bytes, and the real packet is found inside whatever false packet the noise ' +
    'announced (resynchronisation), unless a false packet over it passed its check (the documented loss).',
  arbitrary: fc.record(
    { noise: noise(HOT, 300), frame: osdpFrame, mark: fc.boolean(), sizes: chunkSizes },
    { noNullPrototype: true },
  ),
  check({ noise: garbage, frame, mark, sizes }) {
    // The zeros after the real packet complete every false packet the noise announced (LEN ≤ 1440).
    const packet = encodeFrame(frame, { mark });
    const stream = Buffer.concat([garbage, packet, Buffer.alloc(MAX_PACKET_LENGTH)]);
    const whole = parseAll([stream]);
    const split = parseAll(chunked(stream, sizes));
    assert.deepStrictEqual(
      significant(split.events),
      significant(whole.events),
      'chunking changed the events',
    );
    assert.equal(discarded(split.events), discarded(whole.events), 'chunking changed the bytes discarded');
    assert.equal(whole.pending, 0, 'bytes left after the last packet');
    const frames = whole.events.flatMap((e) => (e.kind === 'frame' ? [e] : []));
    if (!falsePacketOver(stream, garbage.length + (mark ? 1 : 0)))
      assert.deepStrictEqual(frames.at(-1)?.frame, frame, 'the packet after the noise was not found');
    for (const e of frames) {
      assert.ok(checkIsValid(e.packet));
      assert.deepStrictEqual(
        encodeFrame(e.frame),
        e.packet,
        'a parsed frame does not re-encode to its packet',
      );
    }
  },
});

/** Bytes that start like a packet: SOM, then LEN set to the real length half of the time. */
const packetLike = fc.record({ body: bytes(4, 80), fixLength: fc.boolean() }).map(({ body, fixLength }) => {
  const packet = Buffer.concat([Buffer.of(SOM), body]);
  if (fixLength) packet.writeUInt16LE(packet.length, 2);
  return packet;
});

/** Frames with fields in and out of range, for the encoder's checks. */
const anyFrame: fc.Arbitrary<OsdpFrame> = fc
  .record({
    frame: osdpFrame,
    address: fc.option(fc.integer({ min: -2, max: 0x200 }), { nil: undefined }),
    sequence: fc.option(fc.integer({ min: -1, max: 5 }), { nil: undefined }),
    code: fc.option(fc.oneof(fc.integer({ min: -5, max: 0x1ff }), fc.double()), { nil: undefined }),
    mac: fc.option(fc.option(bytes(0, 6), { nil: undefined }), { nil: null }),
    bigData: fc.boolean(),
  })
  .map(({ frame, address, sequence, code, mac, bigData }) => {
    const out = { ...frame } as OsdpFrame;
    if (address !== undefined) out.address = address;
    if (sequence !== undefined) out.sequence = sequence as Sequence;
    if (code !== undefined) out.code = code;
    if (mac !== null) {
      if (mac === undefined) delete out.mac;
      else out.mac = mac;
    }
    if (bigData) out.data = Buffer.alloc(MAX_PACKET_LENGTH - 8);
    return out;
  });

export const osdpPacketCodec = defineTarget({
  name: 'osdp-packet-codec',
  contract:
    'decodePacket on any bytes after SOM throws only OsdpCodecError, and what it decodes encodes back to the ' +
    'same bytes; encodeFrame on frames with fields in and out of range throws only OsdpCodecError, and ' +
    'decodePacket(encodeFrame(f)) = f.',
  arbitrary: fc.oneof(
    packetLike.map((packet) => ({ kind: 'packet' as const, packet })),
    anyFrame.map((frame) => ({ kind: 'frame' as const, frame })),
  ),
  check(input) {
    if (input.kind === 'frame') {
      const encoded = onlyThrows(() => encodeFrame(input.frame), OsdpCodecError);
      // A code of -0 is the integer 0 and goes on the wire as 0.
      if (encoded.ok)
        assert.deepStrictEqual(decodePacket(encoded.value), { ...input.frame, code: input.frame.code + 0 });
      return;
    }
    const { packet } = input;
    const decoded = onlyThrows(() => decodePacket(packet), OsdpCodecError);
    if (!decoded.ok) return;
    const covered = packet.length - checkLength(decoded.value.useCrc);
    const again = encodeFrame(decoded.value);
    assert.deepStrictEqual(again.subarray(0, covered), packet.subarray(0, covered), 're-encoded differently');
    assert.ok(checkIsValid(again), 'the re-encoded packet fails its own check');
  },
});
