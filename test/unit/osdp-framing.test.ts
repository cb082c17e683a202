import { describe, expect, it } from 'vitest';
import { checksum8, crc16AugCcitt } from '../../drivers/osdp/framing/checks.js';
import {
  checkIsValid,
  decodePacket,
  encodeFrame,
  macInput,
  OsdpCodecError,
} from '../../drivers/osdp/framing/codec.js';
import { MAX_PACKET_LENGTH } from '../../drivers/osdp/framing/constants.js';
import type { OsdpFrame } from '../../drivers/osdp/framing/frame.js';
import { OsdpParser, type ParseEvent } from '../../drivers/osdp/framing/parser.js';
import { CHECKSUM_EXAMPLES, CRC_EXAMPLES, hex, PACKETS } from '../fixtures/osdp/vectors.hex.js';

const POLL: OsdpFrame = {
  address: 1,
  reply: false,
  sequence: 1,
  useCrc: true,
  code: 0x60,
  data: Buffer.alloc(0),
};

function frames(events: ParseEvent[]): OsdpFrame[] {
  return events.flatMap((e) => (e.kind === 'frame' ? [e.frame] : []));
}

function kinds(events: ParseEvent[]): string[] {
  return events.map((e) => e.kind);
}

describe('check characters', () => {
  it.each(CHECKSUM_EXAMPLES)('checksum of $source example is 0x$checksum', ({ covered, checksum }) => {
    expect(checksum8(covered)).toBe(checksum);
    expect(checksum8(Buffer.concat([covered, Buffer.of(checksum)]))).toBe(0);
  });

  it.each(CRC_EXAMPLES)('CRC-16/AUG-CCITT of $source example', ({ covered, crc }) => {
    expect(crc16AugCcitt(covered)).toBe(crc);
  });

  it('has the catalogue check value 0xE5CC and continues from an init value', () => {
    const text = Buffer.from('123456789', 'ascii');
    expect(crc16AugCcitt(text)).toBe(0xe5cc);
    expect(crc16AugCcitt(text.subarray(4), crc16AugCcitt(text.subarray(0, 4)))).toBe(0xe5cc);
    expect(crc16AugCcitt(Buffer.alloc(0))).toBe(0x1d0f);
  });
});

describe('encodeFrame / decodePacket on the specification vectors', () => {
  it.each(PACKETS)('$name ($source) encodes byte for byte', ({ frame, packet }) => {
    expect(encodeFrame(frame).toString('hex')).toBe(packet.toString('hex'));
  });

  it.each(PACKETS)('$name decodes to its frame', ({ frame, packet }) => {
    expect(checkIsValid(packet)).toBe(true);
    expect(decodePacket(packet)).toEqual(frame);
  });

  it.each(PACKETS)('$name parses from a stream with a mark byte', ({ frame, packet }) => {
    const events = new OsdpParser().push(Buffer.concat([Buffer.of(0xff), packet]));
    expect(events).toEqual([{ kind: 'frame', frame, packet, mark: true }]);
  });
});

describe('mark byte', () => {
  it('is prepended on request and not counted in LEN or the check', () => {
    const plain = encodeFrame(POLL);
    const marked = encodeFrame(POLL, { mark: true });
    expect(marked.toString('hex')).toBe(`ff${plain.toString('hex')}`);
    expect(marked.readUInt16LE(3)).toBe(plain.length);
  });

  it('is reported on the frame event and split across chunks', () => {
    const parser = new OsdpParser();
    expect(parser.push(Buffer.of(0xff))).toEqual([]);
    expect(parser.pending()).toBe(1);
    const events = parser.push(encodeFrame(POLL));
    expect(events).toEqual([expect.objectContaining({ kind: 'frame', mark: true })]);
    expect(parser.pending()).toBe(0);
  });

  it('only the byte right before SOM is the mark; earlier 0xFF bytes are noise', () => {
    const events = new OsdpParser().push(Buffer.concat([hex('FF FF FF'), encodeFrame(POLL)]));
    expect(events).toEqual([
      { kind: 'discarded', bytes: 2, reason: 'noise' },
      expect.objectContaining({ kind: 'frame', mark: true }),
    ]);
  });

  it('a frame without a mark says so', () => {
    expect(new OsdpParser().push(encodeFrame(POLL))).toEqual([expect.objectContaining({ mark: false })]);
  });
});

describe('macInput', () => {
  const secure = PACKETS.find((v) => v.frame.securityBlock?.type === 0x15);

  it('is the packet up to the MAC, LEN counting MAC and check', () => {
    if (!secure) throw new Error('fixture missing');
    const input = macInput(secure.frame);
    expect(input.toString('hex')).toBe(secure.packet.subarray(0, secure.packet.length - 6).toString('hex'));
    expect(input.readUInt16LE(2)).toBe(secure.packet.length);
    const { mac: _mac, ...withoutMac } = secure.frame;
    expect(macInput(withoutMac)).toEqual(input);
  });

  it('refuses a frame whose SCB carries no MAC', () => {
    expect(() => macInput(POLL)).toThrow(OsdpCodecError);
    expect(() => macInput({ ...POLL, securityBlock: { type: 0x11, data: hex('00') } })).toThrow(
      /securityBlock/,
    );
  });
});

describe('encodeFrame validation', () => {
  const cases: [string, OsdpFrame, RegExp][] = [
    ['address above 0x7F', { ...POLL, address: 0x80 }, /OSDP address: 128/],
    ['fractional address', { ...POLL, address: 1.5 }, /OSDP address/],
    ['sequence 4', { ...POLL, sequence: 4 as never }, /OSDP sequence/],
    ['code 256', { ...POLL, code: 256 }, /OSDP code/],
    ['MAC type without MAC', { ...POLL, securityBlock: { type: 0x15, data: Buffer.alloc(0) } }, /OSDP mac/],
    ['MAC without MAC type', { ...POLL, mac: hex('01 02 03 04') }, /OSDP mac/],
    [
      'MAC of 3 bytes',
      { ...POLL, securityBlock: { type: 0x17, data: Buffer.alloc(0) }, mac: hex('01 02 03') },
      /OSDP mac: must be 4/,
    ],
    [
      'SCB data too long',
      { ...POLL, securityBlock: { type: 0x11, data: Buffer.alloc(254) } },
      /securityBlock.data/,
    ],
    ['packet over 1440 bytes', { ...POLL, data: Buffer.alloc(MAX_PACKET_LENGTH) }, /OSDP data: .*1440/],
  ];
  it.each(cases)('refuses %s', (_, frame, message) => {
    expect(() => encodeFrame(frame)).toThrow(OsdpCodecError);
    expect(() => encodeFrame(frame)).toThrow(message);
  });

  it('accepts the largest packet', () => {
    const data = Buffer.alloc(MAX_PACKET_LENGTH - 8);
    expect(encodeFrame({ ...POLL, data }).length).toBe(MAX_PACKET_LENGTH);
  });
});

describe('decodePacket layout errors', () => {
  /** Re-seals a hand-made packet: sets LEN to its length + check and appends a correct CRC. */
  function seal(body: Buffer): Buffer {
    const out = Buffer.concat([body, Buffer.alloc(2)]);
    out.writeUInt16LE(out.length, 2);
    out.writeUInt16LE(crc16AugCcitt(out.subarray(0, out.length - 2)), out.length - 2);
    return out;
  }

  it.each([
    ['reserved CTRL bits', seal(hex('53 01 00 00 14 60')), /CTRL: reserved/],
    ['SEC_BLK_LEN below 2', seal(hex('53 01 00 00 0C 01 60 00')), /SEC_BLK_LEN: 1/],
    ['SCB longer than the packet', seal(hex('53 01 00 00 0C 09 11 00 60')), /SEC_BLK_LEN/],
    ['MAC type without room for the MAC', seal(hex('53 01 00 00 0C 02 15 60 01 02')), /and a MAC/],
    ['wrong SOM', hex('54 01 08 00 04 60 00 00'), /SOM/],
    ['LEN not the packet length', hex('53 01 09 00 04 60 00 00'), /LEN: announces 9/],
    ['header cut short', hex('53 01 08'), /header/],
  ])('throws OsdpCodecError for %s', (_, packet, message) => {
    expect(() => decodePacket(packet)).toThrow(OsdpCodecError);
    expect(() => decodePacket(packet)).toThrow(message);
  });

  it('the parser reports such a packet as malformed and carries on', () => {
    const bad = seal(hex('53 01 00 00 0C 02 15 60 01 02'));
    const events = new OsdpParser().push(Buffer.concat([bad, encodeFrame(POLL)]));
    expect(kinds(events)).toEqual(['malformed', 'frame']);
    expect(events[0]).toMatchObject({ address: 1, reply: false, sequence: 0, packet: bad });
  });
});

describe('OsdpParser resynchronisation', () => {
  const poll = encodeFrame(POLL);

  it('reports a bad CRC with its header fields, then finds the next frame', () => {
    const corrupt = Buffer.from(poll);
    corrupt[corrupt.length - 1] = (corrupt[corrupt.length - 1] ?? 0) ^ 0x01;
    const events = new OsdpParser().push(Buffer.concat([corrupt, poll]));
    expect(events[0]).toEqual({ kind: 'bad-check', address: 1, reply: false, sequence: 1, packet: corrupt });
    expect(frames(events)).toEqual([POLL]);
  });

  it('reports a bad checksum too', () => {
    const packet = encodeFrame({ ...POLL, useCrc: false });
    packet[packet.length - 1] = (packet[packet.length - 1] ?? 0) + 1;
    // After the bad packet its bytes are rescanned; holding no SOM, they are noise.
    expect(new OsdpParser().push(packet)).toEqual([
      expect.objectContaining({ kind: 'bad-check' }),
      { kind: 'discarded', bytes: packet.length - 1, reason: 'noise' },
    ]);
  });

  it('finds a frame hidden inside a false packet whose header was plausible', () => {
    // 0x53 then LEN 20: the parser waits for 20 bytes, the check fails, it rescans after the SOM.
    const stream = Buffer.concat([hex('53 05 14 00 04'), poll, Buffer.alloc(20)]);
    const events = new OsdpParser().push(stream);
    expect(events[0]).toMatchObject({ kind: 'bad-check', address: 5 });
    expect(frames(events)).toEqual([POLL]);
  });

  it('discards a SOM with LEN below the minimum or above 1440 and rescans after it', () => {
    const events = new OsdpParser().push(Buffer.concat([hex('53 00 03 00 04'), hex('53 00 A1 05 04'), poll]));
    expect(events).toEqual([
      { kind: 'discarded', bytes: 1, reason: 'bad header: LEN 3 below 8' },
      { kind: 'discarded', bytes: 4, reason: 'noise' },
      { kind: 'discarded', bytes: 1, reason: 'bad header: LEN 1441 above 1440' },
      { kind: 'discarded', bytes: 4, reason: 'noise' },
      expect.objectContaining({ kind: 'frame', frame: POLL }),
    ]);
  });

  it('gives the same events byte by byte as in one chunk', () => {
    const stream = Buffer.concat([hex('00 53 00 03 00'), poll, hex('FF'), poll, hex('12 FF')]);
    const whole = new OsdpParser();
    const single = new OsdpParser();
    const fromWhole = frames(whole.push(stream));
    const fromBytes = [...stream].flatMap((b) => frames(single.push(Buffer.of(b))));
    expect(fromBytes).toEqual(fromWhole);
    expect(fromWhole).toHaveLength(2);
    expect(whole.pending()).toBe(1);
  });

  it('keeps an incomplete packet until reset()', () => {
    const parser = new OsdpParser();
    expect(parser.push(poll.subarray(0, 5))).toEqual([]);
    expect(parser.pending()).toBe(5);
    parser.reset();
    expect(parser.pending()).toBe(0);
    expect(parser.push(poll.subarray(5))).toEqual([{ kind: 'discarded', bytes: 3, reason: 'noise' }]);
    expect(frames(parser.push(poll))).toEqual([POLL]);
  });

  it('event buffers are copies, not views of the pushed chunk', () => {
    const chunk = Buffer.from(encodeFrame({ ...POLL, data: hex('01 02') }));
    const [event] = new OsdpParser().push(chunk);
    chunk.fill(0);
    expect(event).toMatchObject({ kind: 'frame', frame: { data: hex('01 02') } });
    if (event?.kind === 'frame') expect(event.packet[0]).toBe(0x53);
  });
});
