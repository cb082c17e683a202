import { COMMAND, OsdpPayloadError } from './codes.js';

/**
 * Typed OSDP commands (CP → PD) and their payloads (protocols.md §1.5, §1.7): the bytes after
 * the command code, in plaintext. Decoding throws OsdpPayloadError for a payload of the wrong
 * length (the PD answers NAK 0x02); a code without a typed layout here decodes to UNKNOWN (the
 * PD answers NAK 0x03). Encoding throws OsdpPayloadError for a field out of its byte range.
 * All multi-byte fields are little-endian.
 */

export interface OutputRecord {
  output: number;
  /** OUT_CONTROL code. */
  control: number;
  /** u16, 100 ms units. */
  timer100ms: number;
}

/** One 14-byte LED record. Times are in 100 ms units; colours are LED_COLOR codes. */
export interface LedRecord {
  reader: number;
  led: number;
  /** LED_TEMP_CONTROL. */
  tempControl: number;
  tempOn100ms: number;
  tempOff100ms: number;
  tempOnColor: number;
  tempOffColor: number;
  /** u16: how long the temporary state lasts. */
  tempTimer100ms: number;
  /** LED_PERM_CONTROL. */
  permControl: number;
  permOn100ms: number;
  permOff100ms: number;
  permOnColor: number;
  permOffColor: number;
}

export interface BuzzerRecord {
  reader: number;
  /** BUZ_TONE. */
  tone: number;
  on100ms: number;
  off100ms: number;
  /** Repetitions; libosdp treats 0 as "until told otherwise". */
  count: number;
}

export type OsdpCommand =
  | { type: 'POLL' }
  /** Data byte 0x00 (the only report type); any value decodes, 0x00 is sent. */
  | { type: 'ID' }
  /** As ID. */
  | { type: 'CAP' }
  | { type: 'LSTAT' }
  | { type: 'ISTAT' }
  | { type: 'OSTAT' }
  | { type: 'RSTAT' }
  | { type: 'OUT'; outputs: OutputRecord[] }
  | { type: 'LED'; leds: LedRecord[] }
  | { type: 'BUZ'; buzzers: BuzzerRecord[] }
  /** `text` is printable ASCII; row and column are 1-based; tempSeconds applies to temp controls. */
  | {
      type: 'TEXT';
      reader: number;
      control: number;
      tempSeconds: number;
      row: number;
      column: number;
      text: string;
    }
  | { type: 'COMSET'; address: number; baud: number }
  /** `key` is 16 bytes (AES-128); only valid under an active secure channel. */
  | { type: 'KEYSET'; keyType: number; key: Buffer }
  | { type: 'CHLNG'; rndA: Buffer }
  | { type: 'SCRYPT'; cryptogram: Buffer }
  /** The CP's receive buffer size in bytes. */
  | { type: 'ACURXSIZE'; size: number }
  | { type: 'ABORT' }
  /** `vendor` is the 3-byte OUI read little-endian. */
  | { type: 'MFG'; vendor: number; data: Buffer }
  | { type: 'UNKNOWN'; code: number; data: Buffer };

export type OsdpCommandType = OsdpCommand['type'];

// --- Fixed-layout fields, shared with replies.ts -------------------------------------------

/** Bytes per field; every field is an unsigned little-endian integer. */
export type Width = 1 | 2 | 3 | 4;
export type Layout<K extends string> = readonly (readonly [K, Width])[];

export function layoutSize(layout: Layout<string>): number {
  return layout.reduce((sum, [, width]) => sum + width, 0);
}

export function writeFields<K extends string>(
  messageType: string,
  layout: Layout<K>,
  values: Readonly<Record<K, number>>,
): Buffer {
  const out = Buffer.alloc(layoutSize(layout));
  let at = 0;
  for (const [name, width] of layout) {
    const value = values[name];
    const max = 2 ** (8 * width) - 1;
    if (!Number.isInteger(value) || value < 0 || value > max) {
      throw new OsdpPayloadError(messageType, `${name} ${value} is not an integer in 0..${max}`);
    }
    out.writeUIntLE(value, at, width);
    at += width;
  }
  return out;
}

export function readFields<K extends string>(layout: Layout<K>, data: Buffer, at = 0): Record<K, number> {
  const values = {} as Record<K, number>;
  for (const [name, width] of layout) {
    values[name] = data.readUIntLE(at, width);
    at += width;
  }
  return values;
}

export function requireLength(messageType: string, data: Buffer, expected: number): void {
  if (data.length !== expected) {
    throw new OsdpPayloadError(messageType, `payload must be ${expected} bytes, got ${data.length}`);
  }
}

export function requireBytes(messageType: string, field: string, bytes: Buffer, expected: number): Buffer {
  if (bytes.length !== expected) {
    throw new OsdpPayloadError(messageType, `${field} must be ${expected} bytes, got ${bytes.length}`);
  }
  return bytes;
}

/** n ≥ 1 records of one layout, back to back. */
export function decodeRecords<K extends string>(
  messageType: string,
  layout: Layout<K>,
  data: Buffer,
): Record<K, number>[] {
  const size = layoutSize(layout);
  if (data.length === 0 || data.length % size !== 0) {
    throw new OsdpPayloadError(
      messageType,
      `payload must be a non-zero multiple of ${size} bytes, got ${data.length}`,
    );
  }
  const records: Record<K, number>[] = [];
  for (let at = 0; at < data.length; at += size) records.push(readFields(layout, data, at));
  return records;
}

export function encodeRecords<K extends string>(
  messageType: string,
  layout: Layout<K>,
  records: readonly Readonly<Record<K, number>>[],
): Buffer {
  if (records.length === 0) throw new OsdpPayloadError(messageType, 'needs at least one record');
  return Buffer.concat(records.map((record) => writeFields(messageType, layout, record)));
}

// --- Layouts --------------------------------------------------------------------------------

const OUT_RECORD: Layout<keyof OutputRecord> = [
  ['output', 1],
  ['control', 1],
  ['timer100ms', 2],
];

const LED_RECORD: Layout<keyof LedRecord> = [
  ['reader', 1],
  ['led', 1],
  ['tempControl', 1],
  ['tempOn100ms', 1],
  ['tempOff100ms', 1],
  ['tempOnColor', 1],
  ['tempOffColor', 1],
  ['tempTimer100ms', 2],
  ['permControl', 1],
  ['permOn100ms', 1],
  ['permOff100ms', 1],
  ['permOnColor', 1],
  ['permOffColor', 1],
];

const BUZ_RECORD: Layout<keyof BuzzerRecord> = [
  ['reader', 1],
  ['tone', 1],
  ['on100ms', 1],
  ['off100ms', 1],
  ['count', 1],
];

/** TEXT before its text: reader, control, temp time, row, column, text length. */
const TEXT_HEAD: Layout<'reader' | 'control' | 'tempSeconds' | 'row' | 'column' | 'length'> = [
  ['reader', 1],
  ['control', 1],
  ['tempSeconds', 1],
  ['row', 1],
  ['column', 1],
  ['length', 1],
];

const COMSET: Layout<'address' | 'baud'> = [
  ['address', 1],
  ['baud', 4],
];

const KEYSET_HEAD: Layout<'keyType' | 'length'> = [
  ['keyType', 1],
  ['length', 1],
];
const ACURXSIZE: Layout<'size'> = [['size', 2]];
const OUI_LENGTH = 3;
const MFG_HEAD: Layout<'vendor'> = [['vendor', OUI_LENGTH]];

const REPORT_TYPE = Buffer.of(0x00);
const KEY_LENGTH = 16;
const RND_LENGTH = 8;
const CRYPTOGRAM_LENGTH = 16;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

type NoDataType = 'POLL' | 'LSTAT' | 'ISTAT' | 'OSTAT' | 'RSTAT' | 'ABORT';
const NO_DATA = new Map<number, NoDataType>(
  (['POLL', 'LSTAT', 'ISTAT', 'OSTAT', 'RSTAT', 'ABORT'] as const).map((type) => [COMMAND[type], type]),
);

export function encodeCommand(cmd: OsdpCommand): { code: number; data: Buffer } {
  const t = cmd.type;
  switch (cmd.type) {
    case 'POLL':
    case 'LSTAT':
    case 'ISTAT':
    case 'OSTAT':
    case 'RSTAT':
    case 'ABORT':
      return { code: COMMAND[cmd.type], data: Buffer.alloc(0) };
    case 'ID':
    case 'CAP':
      return { code: COMMAND[cmd.type], data: Buffer.from(REPORT_TYPE) };
    case 'OUT':
      return { code: COMMAND.OUT, data: encodeRecords(t, OUT_RECORD, cmd.outputs) };
    case 'LED':
      return { code: COMMAND.LED, data: encodeRecords(t, LED_RECORD, cmd.leds) };
    case 'BUZ':
      return { code: COMMAND.BUZ, data: encodeRecords(t, BUZ_RECORD, cmd.buzzers) };
    case 'TEXT': {
      if (!PRINTABLE_ASCII.test(cmd.text)) throw new OsdpPayloadError(t, 'text must be printable ASCII');
      const head = writeFields(t, TEXT_HEAD, { ...cmd, length: cmd.text.length });
      return { code: COMMAND.TEXT, data: Buffer.concat([head, Buffer.from(cmd.text, 'latin1')]) };
    }
    case 'COMSET':
      return { code: COMMAND.COMSET, data: writeFields(t, COMSET, cmd) };
    case 'KEYSET': {
      requireBytes(t, 'key', cmd.key, KEY_LENGTH);
      const head = writeFields(t, KEYSET_HEAD, { keyType: cmd.keyType, length: KEY_LENGTH });
      return { code: COMMAND.KEYSET, data: Buffer.concat([head, cmd.key]) };
    }
    case 'CHLNG':
      return { code: COMMAND.CHLNG, data: Buffer.from(requireBytes(t, 'rndA', cmd.rndA, RND_LENGTH)) };
    case 'SCRYPT':
      return {
        code: COMMAND.SCRYPT,
        data: Buffer.from(requireBytes(t, 'cryptogram', cmd.cryptogram, CRYPTOGRAM_LENGTH)),
      };
    case 'ACURXSIZE':
      return { code: COMMAND.ACURXSIZE, data: writeFields(t, ACURXSIZE, cmd) };
    case 'MFG':
      return { code: COMMAND.MFG, data: Buffer.concat([writeFields(t, MFG_HEAD, cmd), cmd.data]) };
    case 'UNKNOWN':
      return { code: cmd.code, data: Buffer.from(cmd.data) };
  }
}

/** The typed command for a code and its plaintext payload. Throws OsdpPayloadError on a wrong length. */
export function decodeCommand(code: number, data: Buffer): OsdpCommand {
  const bare = NO_DATA.get(code);
  if (bare !== undefined) {
    requireLength(bare, data, 0);
    return { type: bare };
  }
  switch (code) {
    case COMMAND.ID:
    case COMMAND.CAP: {
      const type = code === COMMAND.ID ? 'ID' : 'CAP';
      requireLength(type, data, REPORT_TYPE.length);
      return { type };
    }
    case COMMAND.OUT:
      return { type: 'OUT', outputs: decodeRecords('OUT', OUT_RECORD, data) };
    case COMMAND.LED:
      return { type: 'LED', leds: decodeRecords('LED', LED_RECORD, data) };
    case COMMAND.BUZ:
      return { type: 'BUZ', buzzers: decodeRecords('BUZ', BUZ_RECORD, data) };
    case COMMAND.TEXT:
      return decodeText(data);
    case COMMAND.COMSET:
      requireLength('COMSET', data, layoutSize(COMSET));
      return { type: 'COMSET', ...readFields(COMSET, data) };
    case COMMAND.KEYSET: {
      requireLength('KEYSET', data, layoutSize(KEYSET_HEAD) + KEY_LENGTH);
      const { keyType, length } = readFields(KEYSET_HEAD, data);
      if (length !== KEY_LENGTH)
        throw new OsdpPayloadError('KEYSET', `key length byte ${length}, expected 16`);
      return { type: 'KEYSET', keyType, key: Buffer.from(data.subarray(layoutSize(KEYSET_HEAD))) };
    }
    case COMMAND.CHLNG:
      requireLength('CHLNG', data, RND_LENGTH);
      return { type: 'CHLNG', rndA: Buffer.from(data) };
    case COMMAND.SCRYPT:
      requireLength('SCRYPT', data, CRYPTOGRAM_LENGTH);
      return { type: 'SCRYPT', cryptogram: Buffer.from(data) };
    case COMMAND.ACURXSIZE:
      requireLength('ACURXSIZE', data, layoutSize(ACURXSIZE));
      return { type: 'ACURXSIZE', ...readFields(ACURXSIZE, data) };
    case COMMAND.MFG:
      if (data.length < OUI_LENGTH) throw new OsdpPayloadError('MFG', `payload must hold a 3-byte OUI`);
      return { type: 'MFG', ...readFields(MFG_HEAD, data), data: Buffer.from(data.subarray(OUI_LENGTH)) };
    default:
      return { type: 'UNKNOWN', code, data: Buffer.from(data) };
  }
}

function decodeText(data: Buffer): OsdpCommand {
  const headSize = layoutSize(TEXT_HEAD);
  if (data.length < headSize) {
    throw new OsdpPayloadError('TEXT', `payload must be at least ${headSize} bytes, got ${data.length}`);
  }
  const { length, ...head } = readFields(TEXT_HEAD, data);
  requireLength('TEXT', data, headSize + length);
  return { type: 'TEXT', ...head, text: data.toString('latin1', headSize) };
}
