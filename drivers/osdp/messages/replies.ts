import { KEYPAD_KEY, OsdpPayloadError, REPLY } from './codes.js';
import {
  decodeRecords,
  encodeRecords,
  type Layout,
  layoutSize,
  readFields,
  requireBytes,
  requireLength,
  writeFields,
} from './commands.js';

/**
 * Typed OSDP replies (PD → CP) and their payloads (protocols.md §1.6–1.7), in plaintext.
 * Decoding throws OsdpPayloadError when the payload does not fit the reply type; a code without
 * a typed layout decodes to UNKNOWN. Multi-byte fields are little-endian.
 */

export interface PdCapability {
  /** PDCAP_FUNCTION code. */
  func: number;
  compliance: number;
  items: number;
}

export type OsdpReply =
  | { type: 'ACK' }
  /** `code` is a NAK code; `detail` holds any bytes after it (OSDP.Net allows them). */
  | { type: 'NAK'; code: number; detail?: Buffer }
  /** `vendor` is the 3-byte OUI read little-endian (libosdp); `serial` is u32. */
  | {
      type: 'PDID';
      vendor: number;
      model: number;
      version: number;
      serial: number;
      firmware: { major: number; minor: number; build: number };
    }
  | { type: 'PDCAP'; capabilities: PdCapability[] }
  /** 0 normal; tamper 1 = tampered, power 1 = power failure. */
  | { type: 'LSTATR'; tamper: number; power: number }
  /** One byte per input: 0 inactive, 1 active. */
  | { type: 'ISTATR'; inputs: number[] }
  /** One byte per output: 0 inactive, 1 active. */
  | { type: 'OSTATR'; outputs: number[] }
  /** One status byte per remote reader. */
  | { type: 'RSTATR'; readers: number[] }
  /** Card read; `data` is ceil(bitCount / 8) bytes, first bit in the MSB. See card-data.ts. */
  | { type: 'RAW'; reader: number; format: number; bitCount: number; data: Buffer }
  /** Deprecated formatted card data: ASCII text. */
  | { type: 'FMT'; reader: number; direction: number; text: string }
  /** `keys`: one character per key press, see KEYPAD_CHARS. */
  | { type: 'KEYPAD'; reader: number; keys: string }
  | { type: 'COM'; address: number; baud: number }
  | { type: 'BUSY' }
  | { type: 'CCRYPT'; cuid: Buffer; rndB: Buffer; cryptogram: Buffer }
  | { type: 'RMAC_I'; rmac: Buffer }
  | { type: 'MFGREP'; vendor: number; data: Buffer }
  | { type: 'UNKNOWN'; code: number; data: Buffer };

export type OsdpReplyType = OsdpReply['type'];

/**
 * KEYPAD byte → character. Every key is one character, so `keys.length` is the digit count and
 * the mapping is lossless: digits as themselves, 0x7F '*' (clear), 0x0D '#' (enter), and the
 * function keys as their ASCII letters 'A'–'H' (0x41–0x48): A=F1, B=F2, C=F3, D=F4, E=F1+F2,
 * F=F2+F3, G=F3+F4, H=F1+F4. Letters rather than 'F1' names keep PIN strings one char per key.
 */
export const KEYPAD_CHARS: ReadonlyMap<number, string> = new Map([
  ...Array.from({ length: 10 }, (_, digit): [number, string] => [0x30 + digit, String(digit)]),
  [KEYPAD_KEY.STAR, '*'],
  [KEYPAD_KEY.POUND, '#'],
  ...Array.from({ length: KEYPAD_KEY.F1_F4 - KEYPAD_KEY.F1 + 1 }, (_, i): [number, string] => [
    KEYPAD_KEY.F1 + i,
    String.fromCharCode(KEYPAD_KEY.F1 + i),
  ]),
]);
const KEYPAD_BYTES: ReadonlyMap<string, number> = new Map(
  [...KEYPAD_CHARS].map(([byte, char]) => [char, byte]),
);

const PDID: Layout<'vendor' | 'model' | 'version' | 'serial' | 'major' | 'minor' | 'build'> = [
  ['vendor', 3],
  ['model', 1],
  ['version', 1],
  ['serial', 4],
  ['major', 1],
  ['minor', 1],
  ['build', 1],
];
const PDCAP_ENTRY: Layout<keyof PdCapability> = [
  ['func', 1],
  ['compliance', 1],
  ['items', 1],
];
const LSTATR: Layout<'tamper' | 'power'> = [
  ['tamper', 1],
  ['power', 1],
];
const RAW_HEAD: Layout<'reader' | 'format' | 'bitCount'> = [
  ['reader', 1],
  ['format', 1],
  ['bitCount', 2],
];
const FMT_HEAD: Layout<'reader' | 'direction' | 'length'> = [
  ['reader', 1],
  ['direction', 1],
  ['length', 1],
];
const KEYPAD_HEAD: Layout<'reader' | 'length'> = [
  ['reader', 1],
  ['length', 1],
];
const COM: Layout<'address' | 'baud'> = [
  ['address', 1],
  ['baud', 4],
];
const MFGREP_HEAD: Layout<'vendor'> = [['vendor', 3]];
const UID_LENGTH = 8;
const RND_LENGTH = 8;
const CRYPTOGRAM_LENGTH = 16;
const RMAC_LENGTH = 16;

export function encodeReply(reply: OsdpReply): { code: number; data: Buffer } {
  const t = reply.type;
  switch (reply.type) {
    case 'ACK':
    case 'BUSY':
      return { code: REPLY[reply.type], data: Buffer.alloc(0) };
    case 'NAK':
      return {
        code: REPLY.NAK,
        data: Buffer.concat([byteArray(t, [reply.code]), reply.detail ?? Buffer.alloc(0)]),
      };
    case 'PDID':
      return { code: REPLY.PDID, data: writeFields(t, PDID, { ...reply, ...reply.firmware }) };
    case 'PDCAP':
      return { code: REPLY.PDCAP, data: encodeRecords(t, PDCAP_ENTRY, reply.capabilities) };
    case 'LSTATR':
      return { code: REPLY.LSTATR, data: writeFields(t, LSTATR, reply) };
    case 'ISTATR':
      return { code: REPLY.ISTATR, data: byteArray(t, reply.inputs) };
    case 'OSTATR':
      return { code: REPLY.OSTATR, data: byteArray(t, reply.outputs) };
    case 'RSTATR':
      return { code: REPLY.RSTATR, data: byteArray(t, reply.readers) };
    case 'RAW':
      requireBytes(t, 'data', reply.data, Math.ceil(reply.bitCount / 8));
      return { code: REPLY.RAW, data: Buffer.concat([writeFields(t, RAW_HEAD, reply), reply.data]) };
    case 'FMT':
      return { code: REPLY.FMT, data: encodeCounted(t, FMT_HEAD, reply, asciiBytes(t, reply.text)) };
    case 'KEYPAD':
      return { code: REPLY.KEYPAD, data: encodeCounted(t, KEYPAD_HEAD, reply, keypadBytes(reply.keys)) };
    case 'COM':
      return { code: REPLY.COM, data: writeFields(t, COM, reply) };
    case 'CCRYPT':
      return {
        code: REPLY.CCRYPT,
        data: Buffer.concat([
          requireBytes(t, 'cuid', reply.cuid, UID_LENGTH),
          requireBytes(t, 'rndB', reply.rndB, RND_LENGTH),
          requireBytes(t, 'cryptogram', reply.cryptogram, CRYPTOGRAM_LENGTH),
        ]),
      };
    case 'RMAC_I':
      return { code: REPLY.RMAC_I, data: Buffer.from(requireBytes(t, 'rmac', reply.rmac, RMAC_LENGTH)) };
    case 'MFGREP':
      return { code: REPLY.MFGREP, data: Buffer.concat([writeFields(t, MFGREP_HEAD, reply), reply.data]) };
    case 'UNKNOWN':
      return { code: reply.code, data: Buffer.from(reply.data) };
  }
}

/** The typed reply for a code and its plaintext payload. Throws OsdpPayloadError when it does not fit. */
export function decodeReply(code: number, data: Buffer): OsdpReply {
  switch (code) {
    case REPLY.ACK:
      requireLength('ACK', data, 0);
      return { type: 'ACK' };
    case REPLY.BUSY:
      requireLength('BUSY', data, 0);
      return { type: 'BUSY' };
    case REPLY.NAK:
      return decodeNak(data);
    case REPLY.PDID: {
      requireLength('PDID', data, layoutSize(PDID));
      const { major, minor, build, ...id } = readFields(PDID, data);
      return { type: 'PDID', ...id, firmware: { major, minor, build } };
    }
    case REPLY.PDCAP:
      return { type: 'PDCAP', capabilities: decodeRecords('PDCAP', PDCAP_ENTRY, data) };
    case REPLY.LSTATR:
      requireLength('LSTATR', data, layoutSize(LSTATR));
      return { type: 'LSTATR', ...readFields(LSTATR, data) };
    case REPLY.ISTATR:
      return { type: 'ISTATR', inputs: [...data] };
    case REPLY.OSTATR:
      return { type: 'OSTATR', outputs: [...data] };
    case REPLY.RSTATR:
      return { type: 'RSTATR', readers: [...data] };
    case REPLY.RAW:
      return decodeRaw(data);
    case REPLY.FMT: {
      const { head, body } = decodeCounted('FMT', FMT_HEAD, data);
      return { type: 'FMT', reader: head.reader, direction: head.direction, text: body.toString('latin1') };
    }
    case REPLY.KEYPAD: {
      const { head, body } = decodeCounted('KEYPAD', KEYPAD_HEAD, data);
      return { type: 'KEYPAD', reader: head.reader, keys: keypadChars(body) };
    }
    case REPLY.COM:
      requireLength('COM', data, layoutSize(COM));
      return { type: 'COM', ...readFields(COM, data) };
    case REPLY.CCRYPT:
      requireLength('CCRYPT', data, UID_LENGTH + RND_LENGTH + CRYPTOGRAM_LENGTH);
      return {
        type: 'CCRYPT',
        cuid: Buffer.from(data.subarray(0, UID_LENGTH)),
        rndB: Buffer.from(data.subarray(UID_LENGTH, UID_LENGTH + RND_LENGTH)),
        cryptogram: Buffer.from(data.subarray(UID_LENGTH + RND_LENGTH)),
      };
    case REPLY.RMAC_I:
      requireLength('RMAC_I', data, RMAC_LENGTH);
      return { type: 'RMAC_I', rmac: Buffer.from(data) };
    case REPLY.MFGREP:
      if (data.length < layoutSize(MFGREP_HEAD))
        throw new OsdpPayloadError('MFGREP', 'payload must hold a 3-byte OUI');
      return { type: 'MFGREP', ...readFields(MFGREP_HEAD, data), data: Buffer.from(data.subarray(3)) };
    default:
      return { type: 'UNKNOWN', code, data: Buffer.from(data) };
  }
}

function decodeNak(data: Buffer): OsdpReply {
  const [code] = data;
  if (code === undefined) throw new OsdpPayloadError('NAK', 'payload must hold the NAK code byte');
  return data.length > 1
    ? { type: 'NAK', code, detail: Buffer.from(data.subarray(1)) }
    : { type: 'NAK', code };
}

function decodeRaw(data: Buffer): OsdpReply {
  const headSize = layoutSize(RAW_HEAD);
  if (data.length < headSize) {
    throw new OsdpPayloadError('RAW', `payload must be at least ${headSize} bytes, got ${data.length}`);
  }
  const head = readFields(RAW_HEAD, data);
  requireLength('RAW', data, headSize + Math.ceil(head.bitCount / 8));
  return { type: 'RAW', ...head, data: Buffer.from(data.subarray(headSize)) };
}

/** A head whose last field, `length`, counts the bytes that follow it. */
function decodeCounted<K extends string>(
  messageType: string,
  layout: Layout<K | 'length'>,
  data: Buffer,
): { head: Record<K | 'length', number>; body: Buffer } {
  const headSize = layoutSize(layout);
  if (data.length < headSize) {
    throw new OsdpPayloadError(messageType, `payload must be at least ${headSize} bytes, got ${data.length}`);
  }
  const head = readFields(layout, data);
  requireLength(messageType, data, headSize + head.length);
  return { head, body: Buffer.from(data.subarray(headSize)) };
}

function encodeCounted<K extends string>(
  messageType: string,
  layout: Layout<K | 'length'>,
  values: Readonly<Record<K, number>>,
  body: Buffer,
): Buffer {
  const head = writeFields(messageType, layout, { ...values, length: body.length } as Record<
    K | 'length',
    number
  >);
  return Buffer.concat([head, body]);
}

function byteArray(messageType: string, values: readonly number[]): Buffer {
  for (const [i, value] of values.entries()) {
    if (!Number.isInteger(value) || value < 0 || value > 0xff) {
      throw new OsdpPayloadError(messageType, `byte ${i} (${value}) is not an integer in 0..255`);
    }
  }
  return Buffer.from(values);
}

function asciiBytes(messageType: string, text: string): Buffer {
  if (!/^[\x20-\x7e]*$/.test(text)) throw new OsdpPayloadError(messageType, 'text must be printable ASCII');
  return Buffer.from(text, 'latin1');
}

function keypadChars(bytes: Buffer): string {
  return [...bytes]
    .map((byte, i) => {
      const char = KEYPAD_CHARS.get(byte);
      if (char === undefined) {
        throw new OsdpPayloadError('KEYPAD', `byte ${i} (0x${byte.toString(16)}) is not a keypad key`);
      }
      return char;
    })
    .join('');
}

function keypadBytes(keys: string): Buffer {
  return Buffer.from(
    [...keys].map((char) => {
      const byte = KEYPAD_BYTES.get(char);
      if (byte === undefined) throw new OsdpPayloadError('KEYPAD', `'${char}' is not a keypad key`);
      return byte;
    }),
  );
}
