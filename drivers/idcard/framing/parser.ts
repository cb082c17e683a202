import { checkIsValid, decodeFrame } from './codec.js';
import { HEADER_LENGTH, MAX_LEN, MIN_LEN, OFFSET, PREAMBLE, PREAMBLE_LENGTH } from './constants.js';
import type { FrameDirection, FrameOf } from './frame.js';

/**
 * What one push of bytes produced (style H9). "Need more bytes" has no event: the bytes stay
 * buffered and `pending()` is non-zero.
 *
 * - `frame`: a complete frame whose CHK matched. Every LEN within range is a valid layout, so
 *   there is no "malformed" outcome at this layer; whether the data suits the command is the
 *   message layer's question. `packet` is preamble..CHK as received.
 * - `bad-check`: complete as announced by LEN, but CHK is wrong. A SAM answers it with SW3 0x10.
 *   `length` only: the packet may hold card data (the photo), which is not passed around.
 *   The bytes after the preamble's first byte are rescanned.
 * - `discarded`: bytes skipped. `reason` is `noise` for bytes that cannot start a frame, or
 *   names the bad header (LEN out of range for this direction); a bad header discards only the
 *   first preamble byte and rescans the rest.
 */
export type SamParseEvent<F> =
  | { kind: 'frame'; frame: F; packet: Buffer }
  | { kind: 'bad-check'; length: number }
  | { kind: 'discarded'; bytes: number; reason: string };

const PREAMBLE_BYTES = Buffer.from(PREAMBLE);

/**
 * Incremental SAM frame parser for one direction: push bytes as they arrive, however chunked;
 * the same bytes in any chunking give the same frames and the same total of discarded bytes.
 * Never throws on input.
 *
 * Memory: between pushes it keeps either one incomplete frame (at most HEADER_LENGTH +
 * MAX_LEN[direction] bytes) or a trailing partial preamble (at most 4 bytes).
 *
 * Resynchronisation: a frame starts at the 5-byte preamble. When a preamble turns out to start
 * a bad header or a frame with a wrong CHK, scanning resumes one byte after it, so a real frame
 * hidden inside the false one is still found. Data inside a good frame (the photo can contain
 * the preamble bytes) is skipped by LEN. A frame is lost only if a false preamble before it
 * announces a frame whose XOR happens to match (1 in 256); the session's retries cover that.
 */
export class SamFrameParser<D extends FrameDirection> {
  private buffer: Buffer = Buffer.alloc(0);

  constructor(readonly direction: D) {}

  push(chunk: Buffer): SamParseEvent<FrameOf<D>>[] {
    const data = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const events: SamParseEvent<FrameOf<D>>[] = [];
    let noise = 0;
    const flushNoise = (): void => {
      if (noise > 0) events.push({ kind: 'discarded', bytes: noise, reason: 'noise' });
      noise = 0;
    };
    let pos = 0;
    let keepFrom = data.length;
    while (pos < data.length) {
      const start = data.indexOf(PREAMBLE_BYTES, pos);
      if (start < 0) {
        keepFrom = partialPreambleStart(data, pos);
        noise += keepFrom - pos;
        break;
      }
      noise += start - pos;
      if (data.length - start < HEADER_LENGTH) {
        keepFrom = start;
        break;
      }
      const len = data.readUInt16BE(start + OFFSET.LEN_H);
      if (len < MIN_LEN[this.direction] || len > MAX_LEN[this.direction]) {
        flushNoise();
        events.push({ kind: 'discarded', bytes: 1, reason: `bad header: LEN ${len} out of range` });
        pos = start + 1;
        continue;
      }
      const total = HEADER_LENGTH + len;
      if (data.length - start < total) {
        keepFrom = start;
        break;
      }
      const packet = Buffer.from(data.subarray(start, start + total));
      flushNoise();
      if (!checkIsValid(packet)) {
        events.push({ kind: 'bad-check', length: total });
        pos = start + 1;
        continue;
      }
      events.push({ kind: 'frame', frame: decodeFrame(packet, this.direction), packet });
      pos = start + total;
    }
    flushNoise();
    this.buffer = Buffer.from(data.subarray(keepFrom));
    return events;
  }

  /** Drop buffered bytes, e.g. at the start of a new exchange or when the link reopens. */
  reset(): void {
    this.buffer = Buffer.alloc(0);
  }

  /** Bytes held for an incomplete frame or a partial preamble at the end of the input. */
  pending(): number {
    return this.buffer.length;
  }
}

/** Where a trailing proper prefix of the preamble starts (those bytes are kept), else `data.length`. */
function partialPreambleStart(data: Buffer, from: number): number {
  for (let i = Math.max(from, data.length - (PREAMBLE_LENGTH - 1)); i < data.length; i++) {
    let prefix = true;
    for (let j = i; j < data.length && prefix; j++) prefix = data[j] === PREAMBLE[j - i];
    if (prefix) return i;
  }
  return data.length;
}
