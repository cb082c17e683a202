import { MAX_ADU_LENGTH } from './constants.js';
import { crcMatches } from './crc.js';

/**
 * Length of a frame that would start at `at`: a byte count, `'more'` when the bytes that tell
 * have not arrived, or undefined when no frame of interest can start there (wrong unit, an
 * unknown function, a byte count that cannot be right).
 */
export type FrameLengthAt = (data: Buffer, at: number) => number | 'more' | undefined;

/**
 * What one push found (the taxonomy of style H9):
 * - `frame`: bytes whose header the caller accepted and whose CRC matches; `frame` is the whole
 *   ADU, CRC included.
 * - `rejected`: a complete candidate whose CRC failed: a frame damaged on the line, or foreign
 *   bytes (another protocol, noise) that happened to look like a header. Scanning goes on at the
 *   next byte, so a real frame inside the false candidate is still found.
 * "Need more bytes" produces no event: the bytes stay buffered (`pending()`).
 */
export type ScanEvent = { kind: 'frame'; frame: Buffer } | { kind: 'rejected'; length: number };

/**
 * Finds Modbus RTU frames in a byte stream that also carries other traffic (OSDP on the same
 * RS-485 pair, line noise), without relying on the t3.5 silence: a pty or a USB adapter
 * delivers bytes in chunks whose timing says nothing about frame boundaries. A frame is a
 * position the caller's `lengthAt` accepts, followed by a matching CRC.
 *
 * Every position is tried, also past a candidate that is still waiting for bytes, so a short
 * frame (an exception, 5 bytes) right after a false header that announced a longer one is found
 * as soon as it is complete. A frame consumes everything before it. Between pushes at most one
 * ADU (256 bytes) plus the unresolved bytes after its start are kept: a candidate is resolved
 * once its length has arrived. Never throws on input; chunking does not change what is found,
 * except when a false candidate's CRC happens to match (1 in 65536 per candidate).
 */
export class FrameScanner {
  private buffer: Buffer = Buffer.alloc(0);
  /** Offsets in `buffer` of candidates still waiting for bytes; every other offset below `scannedTo` is settled. */
  private waiting: number[] = [];
  private scannedTo = 0;

  constructor(private readonly lengthAt: FrameLengthAt) {}

  push(chunk: Buffer): ScanEvent[] {
    const data = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const events: ScanEvent[] = [];
    const waiting: number[] = [];
    let start = 0;
    const positions = [...this.waiting];
    for (let at = this.scannedTo; at < data.length; at++) positions.push(at);
    for (const at of positions) {
      if (at < start) continue;
      const length = this.lengthAt(data, at);
      if (length === undefined) continue;
      if (length === 'more' || at + length > data.length) {
        waiting.push(at);
        continue;
      }
      if (length < 4 || length > MAX_ADU_LENGTH || !crcMatches(data, at, length)) {
        events.push({ kind: 'rejected', length });
        continue;
      }
      events.push({ kind: 'frame', frame: Buffer.from(data.subarray(at, at + length)) });
      start = at + length;
    }
    const kept = waiting.filter((at) => at >= start);
    const keepFrom = kept[0] ?? data.length;
    this.buffer = Buffer.from(data.subarray(keepFrom));
    this.waiting = kept.map((at) => at - keepFrom);
    this.scannedTo = data.length - keepFrom;
    return events;
  }

  /** Bytes held for candidates still waiting for their length to arrive. */
  pending(): number {
    return this.buffer.length;
  }

  /** Drops buffered bytes (after an inter-character timeout, or when the line reopens). */
  reset(): void {
    this.buffer = Buffer.alloc(0);
    this.waiting = [];
    this.scannedTo = 0;
  }
}
