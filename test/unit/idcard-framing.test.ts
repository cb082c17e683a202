import { describe, expect, it } from 'vitest';
import {
  checkIsValid,
  decodeRequest,
  decodeResponse,
  describeResponse,
  encodeRequest,
  encodeResponse,
  SamCodecError,
  xorCheck,
} from '../../drivers/idcard/framing/codec.js';
import { HEADER_LENGTH, MAX_LEN, OFFSET } from '../../drivers/idcard/framing/constants.js';
import { SamFrameParser, type SamParseEvent } from '../../drivers/idcard/framing/parser.js';
import { encodeCommand } from '../../drivers/idcard/messages.js';
import { writeTextFields } from '../../drivers/idcard/text-block.js';
import {
  hex,
  PHOTO_OFFSET_IN_READ,
  READ_BASE_HEADER,
  READ_BASE_TOTAL,
  REQUESTS,
  RESPONSES,
  TEXT_OFFSET_IN_READ,
} from '../fixtures/idcard/frames.hex.js';

const kinds = <F>(events: SamParseEvent<F>[]) => events.map((e) => e.kind);
const frames = <F>(events: SamParseEvent<F>[]) =>
  events.flatMap((e) => (e.kind === 'frame' ? [e.frame] : []));
const discarded = <F>(events: SamParseEvent<F>[]) =>
  events.reduce((n, e) => n + (e.kind === 'discarded' ? e.bytes : 0), 0);

function readReply(): Buffer {
  const data = Buffer.concat([
    hex('01 00', '04 00'),
    writeTextFields({ name: '张三' }),
    Buffer.alloc(1024, 0xaa),
  ]);
  return encodeResponse({ sw1: 0, sw2: 0, sw3: 0x90, data });
}

describe('SAM request frames (protocols.md §2.3)', () => {
  it.each(REQUESTS)('$name encodes byte for byte', ({ command, packet }) => {
    expect(encodeRequest(encodeCommand(command)).toString('hex')).toBe(packet.toString('hex'));
  });

  it.each(REQUESTS)('$name has a valid XOR check and decodes', ({ command, packet }) => {
    expect(checkIsValid(packet)).toBe(true);
    expect(xorCheck(packet, OFFSET.CHECKED_FROM, packet.length - 1)).toBe(packet[packet.length - 1]);
    expect(decodeRequest(packet)).toEqual(encodeCommand(command));
  });

  it.each(REQUESTS)('$name parses from noise, one byte at a time', ({ packet }) => {
    const parser = new SamFrameParser('request');
    const events = [...Buffer.concat([hex('00 AA 96 69'), packet])].flatMap((b) => parser.push(Buffer.of(b)));
    expect(frames(events)).toEqual([decodeRequest(packet)]);
    expect(discarded(events)).toBe(4);
    expect(parser.pending()).toBe(0);
  });
});

describe('SAM response frames (protocols.md §2.4)', () => {
  it.each(RESPONSES)('$name decodes and re-encodes', ({ packet, sw3, data }) => {
    expect(checkIsValid(packet)).toBe(true);
    const response = decodeResponse(packet);
    expect(response).toEqual({ sw1: 0, sw2: 0, sw3, data });
    expect(encodeResponse(response).toString('hex')).toBe(packet.toString('hex'));
    expect(describeResponse(response)).toBe(
      `SW 00 00 ${sw3.toString(16).toUpperCase()} data ${data.length} B`,
    );
  });

  it('lays out the 1295-byte read reply as §2.4 says: header, text at 14, photo at 270', () => {
    const packet = readReply();
    expect(packet.length).toBe(READ_BASE_TOTAL);
    expect(packet.subarray(0, 14).toString('hex')).toBe(READ_BASE_HEADER.toString('hex'));
    expect(packet.subarray(TEXT_OFFSET_IN_READ, TEXT_OFFSET_IN_READ + 4).toString('hex')).toBe('205f094e');
    // The text block ends in padding (U+0020 little-endian); the photo filler starts right after.
    expect(packet.subarray(PHOTO_OFFSET_IN_READ - 2, PHOTO_OFFSET_IN_READ).toString('hex')).toBe('2000');
    expect(packet[PHOTO_OFFSET_IN_READ]).toBe(0xaa);
  });

  it('refuses to encode what cannot be a frame', () => {
    expect(() => encodeRequest({ command: 0x100, parameter: 0, data: Buffer.alloc(0) })).toThrow(
      SamCodecError,
    );
    expect(() => encodeRequest({ command: 1, parameter: 1, data: Buffer.alloc(MAX_LEN.request) })).toThrow(
      /exceeds/,
    );
    expect(() => encodeResponse({ sw1: 0, sw2: 0, sw3: 0x90, data: Buffer.alloc(MAX_LEN.response) })).toThrow(
      /exceeds/,
    );
    expect(() => decodeResponse(hex('AA AA AA 96 69 00 09 00 00 80 84'))).toThrow(SamCodecError);
  });

  it('detects a changed byte anywhere after the preamble', () => {
    const packet = Buffer.from(RESPONSES[0]?.packet ?? Buffer.alloc(0));
    for (let i = OFFSET.CHECKED_FROM; i < packet.length; i++) {
      const damaged = Buffer.from(packet);
      damaged[i] = (damaged[i] ?? 0) ^ 0x01;
      expect(checkIsValid(damaged)).toBe(false);
    }
  });
});

describe('SamFrameParser', () => {
  const find = RESPONSES[0]?.packet ?? Buffer.alloc(0);
  const none = RESPONSES[2]?.packet ?? Buffer.alloc(0);

  it('delimits by LEN: a preamble inside the photo does not split the read reply', () => {
    const data = Buffer.concat([hex('01 00 04 00'), Buffer.alloc(256), Buffer.alloc(1024)]);
    for (let i = 260; i + 7 < data.length; i += 97) hex('AA AA AA 96 69 00 04').copy(data, i);
    const packet = encodeResponse({ sw1: 0, sw2: 0, sw3: 0x90, data });
    const events = new SamFrameParser('response').push(packet);
    expect(kinds(events)).toEqual(['frame']);
    expect(frames(events)[0]?.data.equals(data)).toBe(true);
  });

  it('reports a damaged frame and finds the good one that follows it', () => {
    const damaged = Buffer.from(find);
    damaged[OFFSET.SW3] = 0x9e;
    const parser = new SamFrameParser('response');
    const events = parser.push(Buffer.concat([damaged, none]));
    expect(kinds(events)).toEqual(['bad-check', 'discarded', 'frame']);
    expect(events[0]).toEqual({ kind: 'bad-check', length: find.length });
    expect(frames(events)[0]?.sw3).toBe(0x80);
    expect(discarded(events)).toBe(find.length - 1);
  });

  it('finds a frame hidden inside a false frame once the false one is complete', () => {
    // A false preamble announcing LEN 20 swallows the real frame; its check fails, the rescan finds it.
    const stream = Buffer.concat([hex('AA AA AA 96 69 00 14 01'), none, Buffer.alloc(12, 0x33)]);
    const parser = new SamFrameParser('response');
    const early = parser.push(stream.subarray(0, 15));
    expect(early).toEqual([]);
    const events = parser.push(stream.subarray(15));
    expect(frames(events).map((f) => f.sw3)).toEqual([0x80]);
    expect(kinds(events)[0]).toBe('bad-check');
  });

  it('discards only the first preamble byte of a header with LEN out of range', () => {
    for (const len of ['00 00', '00 03', '09 0B', 'FF FF']) {
      const parser = new SamFrameParser('response');
      const events = parser.push(Buffer.concat([hex('AA AA AA 96 69', len), find]));
      expect(kinds(events).slice(0, 1)).toEqual(['discarded']);
      expect(events[0]).toMatchObject({ bytes: 1, reason: expect.stringMatching(/^bad header: LEN/) });
      expect(frames(events)).toHaveLength(1);
    }
  });

  it('takes the largest response (2321 bytes) and nothing larger', () => {
    const data = Buffer.alloc(MAX_LEN.response - 4);
    const packet = encodeResponse({ sw1: 0, sw2: 0, sw3: 0x90, data });
    expect(packet.length).toBe(2321);
    expect(frames(new SamFrameParser('response').push(packet))).toHaveLength(1);
  });

  it('keeps a partial preamble across pushes and counts the rest as noise', () => {
    const parser = new SamFrameParser('response');
    expect(parser.push(hex('01 02 AA AA'))).toEqual([{ kind: 'discarded', bytes: 2, reason: 'noise' }]);
    expect(parser.pending()).toBe(2);
    expect(parser.push(hex('AA'))).toEqual([]);
    expect(parser.pending()).toBe(3);
    expect(frames(parser.push(find.subarray(1)))).toHaveLength(1);
    expect(parser.pending()).toBe(0);
  });

  it('discards a request frame when listening for responses (our own echo)', () => {
    const parser = new SamFrameParser('response');
    const events = parser.push(Buffer.concat([REQUESTS[3]?.packet ?? Buffer.alloc(0), find]));
    expect(frames(events)).toHaveLength(1);
    expect(kinds(events)[0]).toBe('discarded');
  });

  it('holds at most one frame and forgets it on reset', () => {
    const parser = new SamFrameParser('response');
    parser.push(readReply().subarray(0, 1000));
    expect(parser.pending()).toBe(1000);
    expect(parser.pending()).toBeLessThanOrEqual(HEADER_LENGTH + MAX_LEN.response);
    parser.reset();
    expect(parser.pending()).toBe(0);
    expect(frames(parser.push(find))).toHaveLength(1);
  });
});
