import { type PosixTz, parsePosixTz, posixOffsetAt } from './posix-tz.js';

/**
 * The Time Zone Information Format (RFC 8536): the files of the system's tz database
 * (`/usr/share/zoneinfo/Asia/Shanghai`). Version 1 files are read from their 32-bit block,
 * later versions from the 64-bit one and the footer's TZ string, which gives the offsets after
 * the last transition. Files with leap-second records (the `right/` zones) are refused: their
 * times are not POSIX times.
 *
 * Pure: bytes in, rules out; every way a file can be wrong is a TzifError naming the offset.
 */
export interface ZoneRules {
  /** Transition instants, epoch seconds, ascending. */
  transitions: Float64Array;
  /** Offset east of UTC in seconds from each transition on. */
  offsets: Int32Array;
  /** Offset before the first transition (time type 0). */
  initial: number;
  /** Offsets after the last transition, when the file has a footer. */
  footer?: PosixTz;
}

export class TzifError extends Error {
  constructor(
    readonly offset: number,
    what: string,
  ) {
    super(`TZif at byte ${offset}: ${what}`);
    this.name = 'TzifError';
  }
}

const HEADER_BYTES = 44;
const TTINFO_BYTES = 6;

interface Counts {
  isut: number;
  isstd: number;
  leap: number;
  time: number;
  type: number;
  char: number;
}

export function parseTzif(bytes: Uint8Array): ZoneRules {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const first = header(view, 0);
  if (first.version === 1) return block(view, HEADER_BYTES, first.counts, 4, undefined);
  const secondAt = HEADER_BYTES + blockBytes(first.counts, 4);
  const second = header(view, secondAt);
  const dataAt = secondAt + HEADER_BYTES;
  const footerAt = dataAt + blockBytes(second.counts, 8);
  return block(view, dataAt, second.counts, 8, footer(bytes, footerAt));
}

/** Offset east of UTC in seconds at `atMs` (epoch ms). */
export function offsetAt(rules: ZoneRules, atMs: number): number {
  const { transitions, offsets } = rules;
  const at = Math.floor(atMs / 1000);
  if (transitions.length === 0 || at < (transitions[0] as number))
    return transitions.length === 0 && rules.footer !== undefined
      ? posixOffsetAt(rules.footer, atMs)
      : rules.initial;
  const last = transitions.length - 1;
  if (at >= (transitions[last] as number) && rules.footer !== undefined)
    return posixOffsetAt(rules.footer, atMs);
  let lo = 0;
  let hi = last;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if ((transitions[mid] as number) <= at) lo = mid;
    else hi = mid - 1;
  }
  return offsets[lo] as number;
}

function header(view: DataView, at: number): { version: number; counts: Counts } {
  need(view, at, HEADER_BYTES, 'a header');
  const magic = String.fromCharCode(
    view.getUint8(at),
    view.getUint8(at + 1),
    view.getUint8(at + 2),
    view.getUint8(at + 3),
  );
  if (magic !== 'TZif') throw new TzifError(at, `magic "${magic}", not "TZif"`);
  const v = view.getUint8(at + 4);
  const version = v === 0 ? 1 : v - 0x30;
  if (version < 1 || version > 9) throw new TzifError(at + 4, `version byte 0x${v.toString(16)}`);
  const count = (i: number) => view.getUint32(at + 20 + 4 * i);
  const counts = {
    isut: count(0),
    isstd: count(1),
    leap: count(2),
    time: count(3),
    type: count(4),
    char: count(5),
  };
  if (counts.type === 0) throw new TzifError(at + 36, 'no local time types');
  if (counts.leap !== 0) throw new TzifError(at + 28, 'leap-second records (a right/ zone): not POSIX time');
  return { version, counts };
}

function blockBytes(c: Counts, timeBytes: number): number {
  return (
    c.time * timeBytes + c.time + c.type * TTINFO_BYTES + c.char + c.leap * (timeBytes + 4) + c.isstd + c.isut
  );
}

function block(
  view: DataView,
  at: number,
  c: Counts,
  timeBytes: 4 | 8,
  tail: PosixTz | undefined,
): ZoneRules {
  need(view, at, blockBytes(c, timeBytes), 'the data block');
  const typesAt = at + c.time * timeBytes;
  const ttinfoAt = typesAt + c.time;
  const typeOffsets = new Int32Array(c.type);
  for (let i = 0; i < c.type; i++) typeOffsets[i] = view.getInt32(ttinfoAt + i * TTINFO_BYTES);
  const transitions = new Float64Array(c.time);
  const offsets = new Int32Array(c.time);
  for (let i = 0; i < c.time; i++) {
    const t = timeBytes === 4 ? view.getInt32(at + 4 * i) : Number(view.getBigInt64(at + 8 * i));
    if (i > 0 && t <= (transitions[i - 1] as number))
      throw new TzifError(at + timeBytes * i, 'transition times not in ascending order');
    const type = view.getUint8(typesAt + i);
    if (type >= c.type) throw new TzifError(typesAt + i, `time type ${type} of ${c.type}`);
    transitions[i] = t;
    offsets[i] = typeOffsets[type] as number;
  }
  const rules: ZoneRules = { transitions, offsets, initial: typeOffsets[0] as number };
  if (tail !== undefined) rules.footer = tail;
  return rules;
}

function footer(bytes: Uint8Array, at: number): PosixTz | undefined {
  if (bytes[at] !== 0x0a) throw new TzifError(at, 'no newline opening the footer');
  const close = bytes.indexOf(0x0a, at + 1);
  if (close < 0) throw new TzifError(at, 'no newline closing the footer');
  const tz = String.fromCharCode(...bytes.subarray(at + 1, close));
  if (tz === '') return undefined;
  try {
    return parsePosixTz(tz);
  } catch (err) {
    throw new TzifError(at + 1, (err as Error).message);
  }
}

function need(view: DataView, at: number, bytes: number, what: string): void {
  if (at + bytes > view.byteLength)
    throw new TzifError(
      at,
      `${what} needs ${bytes} bytes, the file ends after ${Math.max(0, view.byteLength - at)}`,
    );
}
