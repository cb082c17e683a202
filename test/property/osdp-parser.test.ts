import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import {
  checkIsValid,
  decodePacket,
  encodeFrame,
  minimumPacketLength,
} from '../../drivers/osdp/framing/codec.js';
import { MAX_PACKET_LENGTH, SOM, scbHasMac } from '../../drivers/osdp/framing/constants.js';
import type { OsdpFrame, Sequence } from '../../drivers/osdp/framing/frame.js';
import { OsdpParser, type ParseEvent } from '../../drivers/osdp/framing/parser.js';
import { encodeWiegand26, encodeWiegand34, parseWiegand } from '../../drivers/osdp/messages/card-data.js';
import { COMMAND, REPLY } from '../../drivers/osdp/messages/codes.js';
import { decodeCommand, encodeCommand, type OsdpCommand } from '../../drivers/osdp/messages/commands.js';
import {
  decodeReply,
  encodeReply,
  KEYPAD_CHARS,
  type OsdpReply,
} from '../../drivers/osdp/messages/replies.js';

// --- Arbitraries ------------------------------------------------------------------------------

const byte = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const bytes = (minLength: number, maxLength = minLength) =>
  fc.uint8Array({ minLength, maxLength }).map((a) => Buffer.from(a));

/** Any SCB the codec can carry: the MAC is present exactly for types 0x15–0x18. */
const security = fc
  .record({ type: fc.oneof(fc.integer({ min: 0x11, max: 0x18 }), byte), data: bytes(0, 8), mac: bytes(4) })
  .map(({ type, data, mac }) => ({ securityBlock: { type, data }, ...(scbHasMac(type) ? { mac } : {}) }));

const frameArb: fc.Arbitrary<OsdpFrame> = fc
  .record({
    address: fc.integer({ min: 0, max: 0x7f }),
    reply: fc.boolean(),
    sequence: fc.constantFrom<Sequence>(0, 1, 2, 3),
    useCrc: fc.boolean(),
    code: byte,
    data: bytes(0, 100),
    secure: fc.option(security, { nil: undefined }),
  })
  .map(({ secure, ...frame }) => ({ ...frame, ...secure }));

/** Line noise that never holds SOM. */
const cleanNoise = fc.uint8Array({ maxLength: 12 }).map((a) => Buffer.from(a.filter((b) => b !== SOM)));

/** Noise rich in SOMs, often followed by a plausible header that swallows what comes after it. */
const dirtyNoise = fc
  .array(
    fc.oneof(
      bytes(0, 6),
      fc.constant(Buffer.of(SOM)),
      fc
        .tuple(byte, fc.integer({ min: 5, max: 60 }), fc.integer({ min: 0, max: 0x0f }))
        .map(([addr, len, ctrl]) => Buffer.of(SOM, addr, len, 0, ctrl)),
    ),
    { maxLength: 4 },
  )
  .map((parts) => Buffer.concat(parts));

/** Chunk sizes, applied cyclically; empty means one chunk. */
const chunkSizes = fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 8 });

function chunked(stream: Buffer, sizes: readonly number[]): Buffer[] {
  if (sizes.length === 0) return [stream];
  const chunks: Buffer[] = [];
  for (let at = 0, i = 0; at < stream.length; i++) {
    const size = sizes[i % sizes.length] ?? 1;
    chunks.push(stream.subarray(at, at + size));
    at += size;
  }
  return chunks;
}

function parseAll(chunks: readonly Buffer[], parser = new OsdpParser()): ParseEvent[] {
  return chunks.flatMap((chunk) => {
    const events = parser.push(chunk);
    expect(parser.pending()).toBeLessThanOrEqual(MAX_PACKET_LENGTH);
    return events;
  });
}

const framesOf = (events: readonly ParseEvent[]) =>
  events.flatMap((e) => (e.kind === 'frame' ? [e.frame] : []));
const discardedOf = (events: readonly ParseEvent[]) =>
  events.reduce((sum, e) => sum + (e.kind === 'discarded' ? e.bytes : 0), 0);

interface Piece {
  noise: Buffer;
  frame: OsdpFrame;
  mark: boolean;
}

/** Noise, optional mark and packet for each piece; `spans` are the real packets' [SOM, end) offsets. */
function assemble(pieces: readonly Piece[]): { stream: Buffer; spans: [number, number][] } {
  const parts: Buffer[] = [];
  const spans: [number, number][] = [];
  let at = 0;
  for (const { noise, frame, mark } of pieces) {
    const packet = encodeFrame(frame, { mark });
    const som = at + noise.length + (mark ? 1 : 0);
    spans.push([som, at + noise.length + packet.length]);
    parts.push(noise, packet);
    at += noise.length + packet.length;
  }
  return { stream: Buffer.concat(parts), spans };
}

/** True when a SOM at `i` announces a complete packet of valid length whose check matches. */
function passesAsPacket(stream: Buffer, i: number): boolean {
  if (stream[i] !== SOM || i + 5 > stream.length) return false;
  const length = stream.readUInt16LE(i + 2);
  if (
    length < minimumPacketLength(stream[i + 4] ?? 0) ||
    length > MAX_PACKET_LENGTH ||
    i + length > stream.length
  )
    return false;
  return checkIsValid(stream.subarray(i, i + length));
}

// --- Properties -------------------------------------------------------------------------------

describe('OSDP framing properties', () => {
  test.prop([frameArb, fc.boolean()])('encode → decode gives the frame back', (frame, mark) => {
    const encoded = encodeFrame(frame, { mark });
    const packet = mark ? encoded.subarray(1) : encoded;
    expect(packet.readUInt16LE(2)).toBe(packet.length);
    expect(checkIsValid(packet)).toBe(true);
    expect(decodePacket(packet)).toEqual(frame);
  });

  test.prop([
    fc.array(fc.record({ noise: cleanNoise, frame: frameArb, mark: fc.boolean() }), { maxLength: 6 }),
    chunkSizes,
  ])('frames with SOM-free noise between them parse back exactly, however chunked', (pieces, sizes) => {
    const { stream } = assemble(pieces);
    const parser = new OsdpParser();
    const events = parseAll(chunked(stream, sizes), parser);
    expect(framesOf(events)).toEqual(pieces.map((p) => p.frame));
    // A frame's mark flag is its own mark byte, or a noise 0xFF that happens to sit right before SOM.
    const marks = events.flatMap((e) => (e.kind === 'frame' ? [e.mark] : []));
    expect(marks).toEqual(pieces.map((p) => p.mark || p.noise.at(-1) === 0xff));
    // Every noise byte is reported as discarded, except those taken as a mark.
    const noise = pieces.reduce((sum, p) => sum + p.noise.length + (p.mark ? 1 : 0), 0);
    expect(discardedOf(events) + marks.filter(Boolean).length).toBe(noise);
    expect(events.every((e) => e.kind === 'frame' || e.kind === 'discarded')).toBe(true);
    expect(parser.pending()).toBe(0);
  });

  /**
   * What is guaranteed with SOMs in the noise: once every false packet has fully arrived (the
   * trailer of MAX_PACKET_LENGTH zero bytes sees to that), each real frame is found, in order,
   * provided no SOM outside the real packets announces a packet whose check happens to match.
   * Runs where one does (about 1 in 256 false SOMs with a checksum) are skipped via fc.pre.
   */
  test.prop([
    fc.array(fc.record({ noise: dirtyNoise, frame: frameArb, mark: fc.boolean() }), { maxLength: 5 }),
    chunkSizes,
  ])('frames survive noise containing SOM and plausible headers', (pieces, sizes) => {
    const { stream: body, spans } = assemble(pieces);
    const stream = Buffer.concat([body, Buffer.alloc(MAX_PACKET_LENGTH)]);
    const inRealPacket = (i: number) => spans.some(([from, to]) => i >= from && i < to);
    const falsePass = [...stream.keys()].some((i) => !inRealPacket(i) && passesAsPacket(stream, i));
    fc.pre(!falsePass);
    const events = parseAll(chunked(stream, sizes));
    expect(framesOf(events)).toEqual(pieces.map((p) => p.frame));
  });

  const lineBytes = fc.uint8Array({ maxLength: 600 }).chain((raw) =>
    // Bias toward SOM, small LEN bytes and CTRL values so headers often look valid.
    fc
      .array(fc.constantFrom(SOM, 0xff, 0x00, 0x01, 0x04, 0x05, 0x08, 0x0c, 0x60), {
        minLength: raw.length,
        maxLength: raw.length,
      })
      .chain((hot) =>
        fc
          .array(fc.boolean(), { minLength: raw.length, maxLength: raw.length })
          .map((pick) => ({ raw, hot, pick })),
      ),
  );

  test.prop([lineBytes, chunkSizes])(
    'on any bytes the parser never throws, stays bounded and ignores chunking',
    ({ raw, hot, pick }, sizes) => {
      const stream = Buffer.from(raw.map((b, i) => (pick[i] ? (hot[i] ?? b) : b)));
      const whole = new OsdpParser();
      const split = new OsdpParser();
      const a = parseAll([stream], whole);
      const b = parseAll(chunked(stream, sizes), split);
      const significant = (events: ParseEvent[]) => events.filter((e) => e.kind !== 'discarded');
      expect(significant(b)).toEqual(significant(a));
      expect(discardedOf(b)).toBe(discardedOf(a));
      expect(split.pending()).toBe(whole.pending());
    },
  );

  test.prop([fc.uint8Array({ minLength: 1, maxLength: 4000 })])(
    'a large random chunk leaves little buffered',
    (raw) => {
      const parser = new OsdpParser();
      parser.push(Buffer.from(raw));
      expect(parser.pending()).toBeLessThanOrEqual(MAX_PACKET_LENGTH);
    },
  );
});

// --- Message payloads -------------------------------------------------------------------------

const ascii = (maxLength: number) =>
  fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength });

const TYPED_COMMANDS = new Set<number>(
  (
    [
      'POLL',
      'ID',
      'CAP',
      'LSTAT',
      'ISTAT',
      'OSTAT',
      'RSTAT',
      'OUT',
      'LED',
      'BUZ',
      'TEXT',
      'COMSET',
      'KEYSET',
      'CHLNG',
      'SCRYPT',
      'ACURXSIZE',
      'ABORT',
      'MFG',
    ] as const
  ).map((name) => COMMAND[name]),
);
const TYPED_REPLIES = new Set<number>(
  (
    [
      'ACK',
      'NAK',
      'PDID',
      'PDCAP',
      'LSTATR',
      'ISTATR',
      'OSTATR',
      'RSTATR',
      'RAW',
      'FMT',
      'KEYPAD',
      'COM',
      'BUSY',
      'CCRYPT',
      'RMAC_I',
      'MFGREP',
    ] as const
  ).map((name) => REPLY[name]),
);

const ledRecord = fc.record({
  reader: byte,
  led: byte,
  tempControl: byte,
  tempOn100ms: byte,
  tempOff100ms: byte,
  tempOnColor: byte,
  tempOffColor: byte,
  tempTimer100ms: u16,
  permControl: byte,
  permOn100ms: byte,
  permOff100ms: byte,
  permOnColor: byte,
  permOffColor: byte,
});

const commandArb: fc.Arbitrary<OsdpCommand> = fc.oneof(
  fc.constantFrom<OsdpCommand>(
    { type: 'POLL' },
    { type: 'ID' },
    { type: 'CAP' },
    { type: 'LSTAT' },
    { type: 'ISTAT' },
    { type: 'OSTAT' },
    { type: 'RSTAT' },
    { type: 'ABORT' },
  ),
  fc.record({
    type: fc.constant('OUT' as const),
    outputs: fc.array(fc.record({ output: byte, control: byte, timer100ms: u16 }), {
      minLength: 1,
      maxLength: 5,
    }),
  }),
  fc.record({ type: fc.constant('LED' as const), leds: fc.array(ledRecord, { minLength: 1, maxLength: 4 }) }),
  fc.record({
    type: fc.constant('BUZ' as const),
    buzzers: fc.array(fc.record({ reader: byte, tone: byte, on100ms: byte, off100ms: byte, count: byte }), {
      minLength: 1,
      maxLength: 3,
    }),
  }),
  fc.record({
    type: fc.constant('TEXT' as const),
    reader: byte,
    control: byte,
    tempSeconds: byte,
    row: byte,
    column: byte,
    text: ascii(40),
  }),
  fc.record({ type: fc.constant('COMSET' as const), address: byte, baud: u32 }),
  fc.record({ type: fc.constant('KEYSET' as const), keyType: byte, key: bytes(16) }),
  fc.record({ type: fc.constant('CHLNG' as const), rndA: bytes(8) }),
  fc.record({ type: fc.constant('SCRYPT' as const), cryptogram: bytes(16) }),
  fc.record({ type: fc.constant('ACURXSIZE' as const), size: u16 }),
  fc.record({
    type: fc.constant('MFG' as const),
    vendor: fc.integer({ min: 0, max: 0xffffff }),
    data: bytes(0, 20),
  }),
  fc.record({
    type: fc.constant('UNKNOWN' as const),
    code: byte.filter((c) => !TYPED_COMMANDS.has(c)),
    data: bytes(0, 20),
  }),
);

const keypadKeys = fc.string({ unit: fc.constantFrom(...KEYPAD_CHARS.values()), maxLength: 12 });

const replyArb: fc.Arbitrary<OsdpReply> = fc.oneof(
  fc.constantFrom<OsdpReply>({ type: 'ACK' }, { type: 'BUSY' }),
  fc
    .record({ code: byte, detail: fc.option(bytes(1, 4), { nil: undefined }) })
    .map(({ code, detail }): OsdpReply => (detail ? { type: 'NAK', code, detail } : { type: 'NAK', code })),
  fc.record({
    type: fc.constant('PDID' as const),
    vendor: fc.integer({ min: 0, max: 0xffffff }),
    model: byte,
    version: byte,
    serial: u32,
    firmware: fc.record({ major: byte, minor: byte, build: byte }),
  }),
  fc.record({
    type: fc.constant('PDCAP' as const),
    capabilities: fc.array(fc.record({ func: byte, compliance: byte, items: byte }), {
      minLength: 1,
      maxLength: 16,
    }),
  }),
  fc.record({ type: fc.constant('LSTATR' as const), tamper: byte, power: byte }),
  fc.record({ type: fc.constant('ISTATR' as const), inputs: fc.array(byte, { maxLength: 16 }) }),
  fc.record({ type: fc.constant('OSTATR' as const), outputs: fc.array(byte, { maxLength: 16 }) }),
  fc.record({ type: fc.constant('RSTATR' as const), readers: fc.array(byte, { maxLength: 4 }) }),
  fc
    .record({ reader: byte, format: byte, bitCount: fc.integer({ min: 0, max: 300 }) })
    .chain((head) =>
      bytes(Math.ceil(head.bitCount / 8)).map((data) => ({ type: 'RAW' as const, ...head, data })),
    ),
  fc.record({ type: fc.constant('FMT' as const), reader: byte, direction: byte, text: ascii(40) }),
  fc.record({ type: fc.constant('KEYPAD' as const), reader: byte, keys: keypadKeys }),
  fc.record({ type: fc.constant('COM' as const), address: byte, baud: u32 }),
  fc.record({ type: fc.constant('CCRYPT' as const), cuid: bytes(8), rndB: bytes(8), cryptogram: bytes(16) }),
  fc.record({ type: fc.constant('RMAC_I' as const), rmac: bytes(16) }),
  fc.record({
    type: fc.constant('MFGREP' as const),
    vendor: fc.integer({ min: 0, max: 0xffffff }),
    data: bytes(0, 20),
  }),
  fc.record({
    type: fc.constant('UNKNOWN' as const),
    code: byte.filter((c) => !TYPED_REPLIES.has(c)),
    data: bytes(0, 20),
  }),
);

describe('OSDP message properties', () => {
  test.prop([commandArb])('a command survives encode → decode', (cmd) => {
    const { code, data } = encodeCommand(cmd);
    expect(decodeCommand(code, data)).toEqual(cmd);
  });

  test.prop([replyArb])('a reply survives encode → decode', (reply) => {
    const { code, data } = encodeReply(reply);
    expect(decodeReply(code, data)).toEqual(reply);
  });

  test.prop([commandArb, frameArb, chunkSizes])(
    'a command travels through frame encoding and the parser',
    (cmd, frame, sizes) => {
      const { code, data } = encodeCommand(cmd);
      const sent: OsdpFrame = { ...frame, reply: false, code, data };
      const [received, ...rest] = framesOf(parseAll(chunked(encodeFrame(sent, { mark: true }), sizes)));
      expect(rest).toEqual([]);
      expect(received && decodeCommand(received.code, received.data)).toEqual(cmd);
    },
  );

  test.prop([fc.integer({ min: 0, max: 0xff }), u16, fc.integer({ min: 0, max: 25 })])(
    'H10301 round-trips, and any single flipped bit breaks parity',
    (facility, card, flip) => {
      const { bitCount, data } = encodeWiegand26(facility, card);
      expect(parseWiegand(bitCount, data)).toEqual({
        kind: 'wiegand26',
        facility,
        card,
        parityOk: true,
        credential: `W26:${facility}:${card}`,
      });
      data[flip >> 3] = (data[flip >> 3] ?? 0) ^ (0x80 >> (flip & 7));
      expect(parseWiegand(bitCount, data)).toMatchObject({ parityOk: false });
    },
  );

  test.prop([u16, u16, fc.integer({ min: 0, max: 33 })])(
    '34-bit round-trips, and any single flipped bit breaks parity',
    (facility, card, flip) => {
      const { bitCount, data } = encodeWiegand34(facility, card);
      expect(parseWiegand(bitCount, data)).toMatchObject({ facility, card, parityOk: true });
      data[flip >> 3] = (data[flip >> 3] ?? 0) ^ (0x80 >> (flip & 7));
      expect(parseWiegand(bitCount, data)).toMatchObject({ parityOk: false });
    },
  );
});
