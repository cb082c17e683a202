import { describe, expect, it } from 'vitest';
import {
  bitsCredential,
  encodeWiegand26,
  encodeWiegand34,
  parseCardData,
  parseWiegand,
} from '../../drivers/osdp/messages/card-data.js';
import {
  COMMAND,
  commandName,
  NAK,
  nakDescription,
  OsdpPayloadError,
  REPLY,
  replyName,
} from '../../drivers/osdp/messages/codes.js';
import { decodeCommand, encodeCommand, type OsdpCommand } from '../../drivers/osdp/messages/commands.js';
import { decodeReply, encodeReply, type OsdpReply } from '../../drivers/osdp/messages/replies.js';
import { hex, PACKETS } from '../fixtures/osdp/vectors.hex.js';

const LED = {
  reader: 0,
  led: 0,
  tempControl: 2,
  tempOn100ms: 5,
  tempOff100ms: 5,
  tempOnColor: 1,
  tempOffColor: 0,
  tempTimer100ms: 30,
  permControl: 1,
  permOn100ms: 0,
  permOff100ms: 0,
  permOnColor: 2,
  permOffColor: 2,
};

/** Each command with its payload bytes (after the code). */
const COMMANDS: [OsdpCommand, number, string][] = [
  [{ type: 'POLL' }, 0x60, ''],
  [{ type: 'ID' }, 0x61, '00'],
  [{ type: 'CAP' }, 0x62, '00'],
  [{ type: 'LSTAT' }, 0x64, ''],
  [{ type: 'ISTAT' }, 0x65, ''],
  [{ type: 'OSTAT' }, 0x66, ''],
  [{ type: 'RSTAT' }, 0x67, ''],
  [{ type: 'OUT', outputs: [{ output: 0, control: 5, timer100ms: 50 }] }, 0x68, '00053200'],
  [
    {
      type: 'OUT',
      outputs: [
        { output: 1, control: 2, timer100ms: 0 },
        { output: 2, control: 6, timer100ms: 0x1234 },
      ],
    },
    0x68,
    '01020000' + '02063412',
  ],
  [{ type: 'LED', leds: [LED] }, 0x69, '000002050501001e0001000002 02'.replace(' ', '')],
  [{ type: 'BUZ', buzzers: [{ reader: 0, tone: 2, on100ms: 3, off100ms: 1, count: 2 }] }, 0x6a, '0002030102'],
  [
    { type: 'TEXT', reader: 0, control: 1, tempSeconds: 0, row: 1, column: 1, text: 'Hi #3' },
    0x6b,
    `000100010105${Buffer.from('Hi #3').toString('hex')}`,
  ],
  [{ type: 'COMSET', address: 5, baud: 115200 }, 0x6e, '0500c20100'],
  [{ type: 'KEYSET', keyType: 1, key: Buffer.alloc(16, 0xab) }, 0x75, `0110${'ab'.repeat(16)}`],
  [{ type: 'CHLNG', rndA: hex('B0 B1 B2 B3 B4 B5 B6 B7') }, 0x76, 'b0b1b2b3b4b5b6b7'],
  [{ type: 'SCRYPT', cryptogram: Buffer.alloc(16, 7) }, 0x77, '07'.repeat(16)],
  [{ type: 'ACURXSIZE', size: 1024 }, 0x7b, '0004'],
  [{ type: 'ABORT' }, 0xa2, ''],
  [{ type: 'MFG', vendor: 0x0a0b0c, data: hex('01 02') }, 0x80, '0c0b0a0102'],
  [{ type: 'UNKNOWN', code: 0x6d, data: hex('01 02 03') }, 0x6d, '010203'],
];

const REPLIES: [OsdpReply, number, string][] = [
  [{ type: 'ACK' }, 0x40, ''],
  [{ type: 'NAK', code: 3 }, 0x41, '03'],
  [{ type: 'NAK', code: 9, detail: hex('AA') }, 0x41, '09aa'],
  [
    {
      type: 'PDID',
      vendor: 0x5c2611,
      model: 2,
      version: 3,
      serial: 0x12345678,
      firmware: { major: 1, minor: 4, build: 9 },
    },
    0x45,
    '11265c' + '02' + '03' + '78563412' + '010409',
  ],
  [
    {
      type: 'PDCAP',
      capabilities: [
        { func: 8, compliance: 1, items: 0 },
        { func: 10, compliance: 0x00, items: 0x01 },
      ],
    },
    0x46,
    '080100' + '0a0001',
  ],
  [{ type: 'LSTATR', tamper: 1, power: 0 }, 0x48, '0100'],
  [{ type: 'ISTATR', inputs: [0, 1, 1] }, 0x49, '000101'],
  [{ type: 'ISTATR', inputs: [] }, 0x49, ''],
  [{ type: 'OSTATR', outputs: [1] }, 0x4a, '01'],
  [{ type: 'RSTATR', readers: [0, 1] }, 0x4b, '0001'],
  [{ type: 'RAW', reader: 0, format: 1, bitCount: 26, data: hex('12 34 56 C0') }, 0x50, '00011a00123456c0'],
  [{ type: 'RAW', reader: 1, format: 0, bitCount: 0, data: Buffer.alloc(0) }, 0x50, '01000000'],
  [{ type: 'FMT', reader: 0, direction: 0, text: '1234' }, 0x51, '000004' + '31323334'],
  [{ type: 'KEYPAD', reader: 0, keys: '12*#' }, 0x53, '0004' + '31327f0d'],
  [{ type: 'KEYPAD', reader: 1, keys: 'ABCDEFGH' }, 0x53, '0108' + '4142434445464748'],
  [{ type: 'COM', address: 1, baud: 9600 }, 0x54, '0180250000'],
  [{ type: 'BUSY' }, 0x79, ''],
  [
    { type: 'CCRYPT', cuid: Buffer.alloc(8, 1), rndB: Buffer.alloc(8, 2), cryptogram: Buffer.alloc(16, 3) },
    0x76,
    '01'.repeat(8) + '02'.repeat(8) + '03'.repeat(16),
  ],
  [{ type: 'RMAC_I', rmac: Buffer.alloc(16, 0xb2) }, 0x78, 'b2'.repeat(16)],
  [{ type: 'MFGREP', vendor: 0x0a0b0c, data: Buffer.alloc(0) }, 0x90, '0c0b0a'],
  [{ type: 'UNKNOWN', code: 0x57, data: hex('09') }, 0x57, '09'],
];

describe('commands', () => {
  it.each(COMMANDS)('%o encodes to its code and payload and back', (cmd, code, payload) => {
    const encoded = encodeCommand(cmd);
    expect(encoded.code).toBe(code);
    expect(encoded.data.toString('hex')).toBe(payload);
    expect(decodeCommand(code, Buffer.from(payload, 'hex'))).toEqual(cmd);
  });

  it('decodes the OUT and LED vectors of protocols.md §1.4', () => {
    const out = PACKETS.find((v) => v.frame.code === COMMAND.OUT);
    const led = PACKETS.find((v) => v.frame.code === COMMAND.LED);
    expect(out && decodeCommand(out.frame.code, out.frame.data)).toEqual({
      type: 'OUT',
      outputs: [{ output: 0, control: 5, timer100ms: 50 }],
    });
    expect(led && decodeCommand(led.frame.code, led.frame.data)).toEqual({ type: 'LED', leds: [LED] });
  });

  it.each([
    ['POLL', '00', /POLL: payload must be 0 bytes, got 1/],
    ['ID', '', /ID: payload must be 1 bytes, got 0/],
    ['CAP', '0000', /CAP: payload must be 1/],
    ['LSTAT', '01', /LSTAT/],
    ['ISTAT', '01', /ISTAT/],
    ['OSTAT', '01', /OSTAT/],
    ['RSTAT', '01', /RSTAT/],
    ['OUT', '000532', /OUT: payload must be a non-zero multiple of 4 bytes, got 3/],
    ['OUT', '', /OUT: .* got 0/],
    ['LED', '00'.repeat(15), /LED: .*multiple of 14/],
    ['BUZ', '00'.repeat(4), /BUZ: .*multiple of 5/],
    ['TEXT', '0001000101', /TEXT: payload must be at least 6/],
    ['TEXT', '000100010105414243', /TEXT: payload must be 11 bytes, got 9/],
    ['COMSET', '05c20100', /COMSET: payload must be 5/],
    ['KEYSET', `0110${'ab'.repeat(15)}`, /KEYSET: payload must be 18/],
    ['KEYSET', `0108${'ab'.repeat(16)}`, /KEYSET: key length byte 8/],
    ['CHLNG', '00'.repeat(7), /CHLNG: payload must be 8/],
    ['SCRYPT', '00'.repeat(17), /SCRYPT: payload must be 16/],
    ['ACURXSIZE', '00', /ACURXSIZE/],
    ['ABORT', '00', /ABORT/],
    ['MFG', '0102', /MFG: .*OUI/],
  ] as [keyof typeof COMMAND, string, RegExp][])(
    '%s with payload %s throws OsdpPayloadError',
    (name, payload, message) => {
      const decode = () => decodeCommand(COMMAND[name], Buffer.from(payload, 'hex'));
      expect(decode).toThrow(OsdpPayloadError);
      expect(decode).toThrow(message);
    },
  );

  it('the payload error carries NAK 0x02', () => {
    try {
      decodeCommand(COMMAND.POLL, hex('00'));
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(OsdpPayloadError);
      expect((error as OsdpPayloadError).nak).toBe(NAK.COMMAND_LENGTH);
      expect((error as OsdpPayloadError).messageType).toBe('POLL');
    }
  });

  it.each([
    [{ type: 'OUT', outputs: [] }, /OUT: needs at least one record/],
    [{ type: 'OUT', outputs: [{ output: 0, control: 5, timer100ms: 65536 }] }, /OUT: timer100ms 65536/],
    [{ type: 'LED', leds: [{ ...LED, tempOnColor: -1 }] }, /LED: tempOnColor -1/],
    [
      { type: 'TEXT', reader: 0, control: 1, tempSeconds: 0, row: 1, column: 1, text: 'é' },
      /printable ASCII/,
    ],
    [
      { type: 'TEXT', reader: 0, control: 1, tempSeconds: 0, row: 1, column: 1, text: 'x'.repeat(256) },
      /length 256/,
    ],
    [{ type: 'COMSET', address: 1, baud: 2 ** 32 }, /COMSET: baud/],
    [{ type: 'KEYSET', keyType: 1, key: Buffer.alloc(8) }, /KEYSET: key must be 16 bytes/],
    [{ type: 'CHLNG', rndA: Buffer.alloc(9) }, /CHLNG: rndA must be 8/],
    [{ type: 'SCRYPT', cryptogram: Buffer.alloc(0) }, /SCRYPT: cryptogram must be 16/],
  ] as [OsdpCommand, RegExp][])('refuses to encode %o', (cmd, message) => {
    expect(() => encodeCommand(cmd)).toThrow(OsdpPayloadError);
    expect(() => encodeCommand(cmd)).toThrow(message);
  });
});

describe('replies', () => {
  it.each(REPLIES)('%o encodes to its code and payload and back', (reply, code, payload) => {
    const encoded = encodeReply(reply);
    expect(encoded.code).toBe(code);
    expect(encoded.data.toString('hex')).toBe(payload);
    expect(decodeReply(code, Buffer.from(payload, 'hex'))).toEqual(reply);
  });

  it('decodes the NAK and RAW vectors of protocols.md §1.4 and §1.7', () => {
    const nak = PACKETS.find((v) => v.frame.code === REPLY.NAK);
    const raw = PACKETS.find((v) => v.frame.code === REPLY.RAW);
    expect(nak && decodeReply(nak.frame.code, nak.frame.data)).toEqual({ type: 'NAK', code: 3 });
    expect(raw && decodeReply(raw.frame.code, raw.frame.data)).toEqual({
      type: 'RAW',
      reader: 0,
      format: 1,
      bitCount: 26,
      data: hex('12 34 56 C0'),
    });
  });

  it.each([
    ['ACK', '00', /ACK: payload must be 0/],
    ['BUSY', '00', /BUSY: payload must be 0/],
    ['NAK', '', /NAK: payload must hold the NAK code/],
    ['PDID', '00'.repeat(11), /PDID: payload must be 12 bytes, got 11/],
    ['PDCAP', '0801', /PDCAP: .*multiple of 3/],
    ['PDCAP', '', /PDCAP/],
    ['LSTATR', '00', /LSTATR: payload must be 2/],
    ['RAW', '00011a', /RAW: payload must be at least 4/],
    ['RAW', '00011a00123456', /RAW: payload must be 8 bytes, got 7/],
    ['RAW', '00011a00123456c000', /RAW: payload must be 8 bytes, got 9/],
    ['FMT', '000005313233', /FMT: payload must be 8/],
    ['KEYPAD', '00', /KEYPAD: payload must be at least 2/],
    ['KEYPAD', '000231', /KEYPAD: payload must be 4/],
    ['KEYPAD', '000131', undefined],
    ['KEYPAD', '000120', /KEYPAD: byte 0 \(0x20\) is not a keypad key/],
    ['COM', '018025', /COM: payload must be 5/],
    ['CCRYPT', '00'.repeat(31), /CCRYPT: payload must be 32/],
    ['RMAC_I', '00'.repeat(15), /RMAC_I: payload must be 16/],
    ['MFGREP', '0c0b', /MFGREP/],
  ] as [keyof typeof REPLY, string, RegExp | undefined][])('%s with payload %s', (name, payload, message) => {
    const decode = () => decodeReply(REPLY[name], Buffer.from(payload, 'hex'));
    if (message === undefined) {
      expect(decode).not.toThrow();
      return;
    }
    expect(decode).toThrow(OsdpPayloadError);
    expect(decode).toThrow(message);
  });

  it.each([
    [{ type: 'KEYPAD', reader: 0, keys: '1x' }, /KEYPAD: 'x' is not a keypad key/],
    [{ type: 'RAW', reader: 0, format: 1, bitCount: 26, data: Buffer.alloc(3) }, /RAW: data must be 4 bytes/],
    [{ type: 'ISTATR', inputs: [256] }, /ISTATR: byte 0 \(256\)/],
    [{ type: 'CCRYPT', cuid: Buffer.alloc(8), rndB: Buffer.alloc(7), cryptogram: Buffer.alloc(16) }, /rndB/],
    [
      {
        type: 'PDID',
        vendor: 2 ** 24,
        model: 0,
        version: 0,
        serial: 0,
        firmware: { major: 0, minor: 0, build: 0 },
      },
      /vendor/,
    ],
  ] as [OsdpReply, RegExp][])('refuses to encode %o', (reply, message) => {
    expect(() => encodeReply(reply)).toThrow(OsdpPayloadError);
    expect(() => encodeReply(reply)).toThrow(message);
  });
});

describe('code tables', () => {
  it('names codes for logs, falling back to hex', () => {
    expect(commandName(0x60)).toBe('POLL');
    expect(commandName(0x7f)).toBe('0x7F');
    expect(replyName(0x79)).toBe('BUSY');
    expect(replyName(0x53)).toBe('KEYPAD');
    expect(nakDescription(1)).toMatch(/check character/);
    expect(nakDescription(0x42)).toBe('unknown NAK code 0x42');
  });
});

describe('Wiegand card data', () => {
  it('reads the RAW vector of protocols.md §1.7 as H10301 36:26797 with good parity', () => {
    expect(parseWiegand(26, hex('12 34 56 C0'))).toEqual({
      kind: 'wiegand26',
      facility: 36,
      card: 26797,
      parityOk: true,
      credential: 'W26:36:26797',
    });
  });

  it('encodes 26 and 34 bits with parity and reads them back', () => {
    const w26 = encodeWiegand26(18, 13398);
    expect(w26.bitCount).toBe(26);
    // P=0 | 00010010 | 0011010001010110 | P=0 (both halves already have the right parity)
    expect(w26.data.toString('hex')).toBe('091a2b00');
    expect(parseWiegand(26, w26.data)).toMatchObject({ facility: 18, card: 13398, parityOk: true });
    const w34 = encodeWiegand34(0xbeef, 0x1234);
    expect(w34.data).toHaveLength(5);
    expect(parseWiegand(34, w34.data)).toEqual({
      kind: 'wiegand34',
      facility: 0xbeef,
      card: 0x1234,
      parityOk: true,
      credential: `W34:${0xbeef}:${0x1234}`,
    });
  });

  it.each([0, 12, 13, 25])('a flipped bit %i in 26-bit data fails parity', (bit) => {
    const { data } = encodeWiegand26(200, 51234);
    data[bit >> 3] = (data[bit >> 3] ?? 0) ^ (0x80 >> (bit & 7));
    expect(parseWiegand(26, data)).toMatchObject({ parityOk: false });
  });

  it.each([0, 16, 17, 33])('a flipped bit %i in 34-bit data fails parity', (bit) => {
    const { data } = encodeWiegand34(1, 65535);
    data[bit >> 3] = (data[bit >> 3] ?? 0) ^ (0x80 >> (bit & 7));
    expect(parseWiegand(34, data)).toMatchObject({ parityOk: false });
  });

  it('keeps other lengths and format 0x00 as bits, padding bits cleared', () => {
    expect(parseWiegand(35, hex('01 23 45 67 8F'))).toEqual({
      kind: 'bits',
      bitCount: 35,
      credential: 'bits:35:0123456780',
    });
    expect(parseCardData(0x00, 26, hex('12 34 56 FF'))).toEqual({
      kind: 'bits',
      bitCount: 26,
      credential: 'bits:26:123456c0',
    });
    expect(parseCardData(0x01, 26, hex('12 34 56 C0'))).toMatchObject({ credential: 'W26:36:26797' });
    expect(bitsCredential(0, Buffer.alloc(0)).credential).toBe('bits:0:');
  });

  it('refuses short data and out-of-range fields', () => {
    expect(() => parseWiegand(26, hex('12 34 56'))).toThrow(OsdpPayloadError);
    expect(() => encodeWiegand26(256, 0)).toThrow(/W26 facility 256/);
    expect(() => encodeWiegand34(0, 65536)).toThrow(/W34 card 65536/);
  });
});
