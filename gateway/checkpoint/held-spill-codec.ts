import { crc32 } from 'node:zlib';
import type { AppendItem } from '../journal/journal.js';

/**
 * The bytes of the held-entries spill file (held-spill.ts): pure, so that a file cut short by a
 * power cut, overwritten in part or full of garbage decodes to a prefix of what was written and
 * never throws.
 *
 * Layout (little-endian):
 * - header, 32 bytes at 0: magic "GWHELD1\n" | u16 version (1) | u16 flags (bit 0: an outage is
 *   open, its records follow) | u32 generation | 12 zero bytes | u32 CRC-32 of bytes 0–27;
 * - records from byte 32, back to back: u32 body length | u32 generation | u32 CRC-32 of the
 *   generation's 4 bytes and the body | body (UTF-8 JSON `{ item, heldAt }`).
 *
 * A record counts only with the header's generation: opening an outage bumps the generation, so
 * the records of an earlier, longer outage farther in the file end the list instead of joining
 * it. The list ends at a zero length (the preallocated zeros), a record of another generation,
 * or one that does not check (a write torn by a power cut, which was never acknowledged).
 */

const MAGIC = Buffer.from('GWHELD1\n', 'latin1');
const VERSION = 1;
const FLAG_OPEN = 1;
export const HEADER_BYTES = 32;
export const RECORD_HEAD_BYTES = 12;

/** One held entry as spilled: what the journal should get, and when it was held (for the bound). */
export interface SpilledEntry {
  item: AppendItem;
  heldAt: number;
}

export interface SpillImage {
  generation: number;
  /** An outage was open when the file was last written: `records` were held and not landed. */
  open: boolean;
  records: SpilledEntry[];
  /** Where the next record goes. */
  end: number;
  /** Why the file, or a record of the open outage, could not be read: records may be missing. */
  problem?: string;
}

export function encodeHeader(generation: number, open: boolean): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(header, 0);
  header.writeUInt16LE(VERSION, 8);
  header.writeUInt16LE(open ? FLAG_OPEN : 0, 10);
  header.writeUInt32LE(generation >>> 0, 12);
  header.writeUInt32LE(crc32(header.subarray(0, 28)), 28);
  return header;
}

export function encodeRecord(generation: number, entry: SpilledEntry): Buffer {
  const body = Buffer.from(JSON.stringify({ item: entry.item, heldAt: entry.heldAt }), 'utf8');
  const record = Buffer.alloc(RECORD_HEAD_BYTES + body.length);
  record.writeUInt32LE(body.length, 0);
  record.writeUInt32LE(generation >>> 0, 4);
  body.copy(record, RECORD_HEAD_BYTES);
  record.writeUInt32LE(crc32(body, crc32(record.subarray(4, 8))), 8);
  return record;
}

export function decodeSpill(bytes: Uint8Array): SpillImage {
  const file = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const empty = (problem?: string): SpillImage => ({
    generation: 0,
    open: false,
    records: [],
    end: HEADER_BYTES,
    ...(problem === undefined ? {} : { problem }),
  });
  if (file.length < HEADER_BYTES) return empty(`the file has ${file.length} bytes, less than a header`);
  if (!file.subarray(0, MAGIC.length).equals(MAGIC)) return empty('no spill header (magic) at byte 0');
  if (file.readUInt32LE(28) !== crc32(file.subarray(0, 28)))
    return empty('the header does not check (CRC-32)');
  const version = file.readUInt16LE(8);
  if (version !== VERSION) return empty(`spill version ${version}, this gateway reads ${VERSION}`);
  const generation = file.readUInt32LE(12);
  const open = (file.readUInt16LE(10) & FLAG_OPEN) !== 0;
  const image: SpillImage = { generation, open, records: [], end: HEADER_BYTES };
  if (!open) return image;
  let at = HEADER_BYTES;
  while (at + RECORD_HEAD_BYTES <= file.length) {
    const length = file.readUInt32LE(at);
    if (length === 0 || file.readUInt32LE(at + 4) !== generation) break;
    const bodyAt = at + RECORD_HEAD_BYTES;
    const body = file.subarray(bodyAt, bodyAt + length);
    if (
      body.length < length ||
      file.readUInt32LE(at + 8) !== crc32(body, crc32(file.subarray(at + 4, at + 8)))
    ) {
      image.problem = `record ${image.records.length + 1} at byte ${at} does not check (torn or damaged): the list ends there`;
      break;
    }
    const entry = parseEntry(body);
    if (entry === undefined) {
      image.problem = `record ${image.records.length + 1} at byte ${at} is not a held entry: the list ends there`;
      break;
    }
    image.records.push(entry);
    at = bodyAt + length;
  }
  image.end = at;
  return image;
}

function parseEntry(body: Buffer): SpilledEntry | undefined {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  const { item, heldAt } = (value ?? {}) as { item?: Partial<AppendItem>; heldAt?: unknown };
  if (typeof heldAt !== 'number' || !Number.isFinite(heldAt)) return undefined;
  if (item === null || typeof item !== 'object' || typeof item.type !== 'string') return undefined;
  if (!Number.isSafeInteger(item.at) || (item.at as number) < 0) return undefined;
  if (item.payload === null || typeof item.payload !== 'object') return undefined;
  return { item: item as AppendItem, heldAt };
}
