/**
 * Line framing for serial-mode scanners (protocols.md §4.4): each scan is one line ended by a
 * configured terminator, optionally wrapped in a configured prefix and suffix. Pure and
 * incremental: bytes in, however chunked, lines out; no timers (the inter-character timeout
 * lives in serial-scanner.ts and calls `flush()`/`discard()`).
 *
 * Written here rather than with `@serialport/parser-readline`/`-delimiter` because those are
 * stream Transforms over a SerialPort, buffer without bound, and know nothing of a maximum
 * length, prefixes or a partial line ended by a timeout; a ByteTransport hands us chunks.
 *
 * Terminators:
 * - `cr` (the common scanner default): CR ends a line; an LF right after that CR is skipped, so
 *   a scanner set to CR LF works too.
 * - `lf`: LF ends a line; one CR right before it is dropped (CR LF works too).
 * - `crlf`: only CR LF ends a line; a lone CR or LF is part of the line (and the line is then
 *   rejected for its control character).
 * - a byte value (0–255): that byte ends a line.
 * - `none`: nothing does; only the inter-character timeout ends a code (flush mode).
 *
 * Memory is bounded: at most `maxLength` + 1 bytes are held. A line that grows past
 * `maxLength` is reported once as `too-long` when it crosses the limit, and everything up to
 * its terminator (or `discard()`) is dropped, so a scanner that never sends a terminator
 * cannot grow the buffer and is still reported.
 */
export type Terminator = 'cr' | 'lf' | 'crlf' | 'none' | number;

export interface LineFramingOptions {
  terminator: Terminator;
  /** Longest line in bytes, prefix and suffix included, terminator excluded. */
  maxLength: number;
  /** Bytes every line must start with; stripped. A line without them is rejected (`framing`). */
  prefix?: Buffer;
  /** Bytes every line must end with (before the terminator); stripped. */
  suffix?: Buffer;
}

export type FramedLine =
  | { kind: 'line'; bytes: Buffer }
  | { kind: 'rejected'; reason: 'too-long' | 'framing' | 'empty'; length: number };

const CR = 0x0d;
const LF = 0x0a;

export class LineFramer {
  private readonly buffer: Buffer;
  private length = 0;
  /** Bytes of an over-long line dropped so far; undefined while not discarding. */
  private discarding: number | undefined;
  /** `cr` mode: the previous byte ended a line with CR, so an LF now is its partner. */
  private afterCr = false;
  /** The byte before the current one, held or discarded (`crlf` mode looks for CR LF). */
  private previous = -1;

  constructor(private readonly options: LineFramingOptions) {
    const { terminator, maxLength } = options;
    if (!Number.isInteger(maxLength) || maxLength < 1) throw new RangeError(`maxLength ${maxLength} < 1`);
    if (
      typeof terminator === 'number' &&
      !(Number.isInteger(terminator) && terminator >= 0 && terminator <= 255)
    )
      throw new RangeError(`terminator byte ${terminator} is not 0–255`);
    // One spare byte for the CR that `lf` and `crlf` mode strip at the end of the line.
    this.buffer = Buffer.alloc(maxLength + 1);
  }

  /** Bytes of the current, unterminated line held (0 while discarding an over-long one). */
  get pendingLength(): number {
    return this.length;
  }

  /** Whether a line has begun (held or being discarded): the inter-character timer runs. */
  get inLine(): boolean {
    return this.length > 0 || this.discarding !== undefined;
  }

  push(bytes: Uint8Array): FramedLine[] {
    const out: FramedLine[] = [];
    for (const byte of bytes) {
      const afterCr = this.afterCr;
      const end = this.endsLine(byte);
      this.afterCr = false;
      this.previous = byte;
      if (afterCr && byte === LF) continue;
      if (end === 'no') {
        this.append(byte, out);
        continue;
      }
      this.afterCr = this.options.terminator === 'cr';
      if (this.discarding !== undefined) {
        this.discarding = undefined;
        continue;
      }
      const held = end === 'drop-cr' ? this.length - 1 : this.length;
      out.push(this.complete(held));
    }
    return out;
  }

  /** The inter-character timeout in flush mode: the partial line is a complete code. */
  flush(): FramedLine | undefined {
    if (this.discarding !== undefined) {
      this.discarding = undefined;
      return undefined;
    }
    if (this.length === 0) return undefined;
    return this.complete(this.length);
  }

  /** The inter-character timeout in discard mode, or the link went down: returns bytes dropped. */
  discard(): number {
    const dropped = this.discarding ?? this.length;
    this.discarding = undefined;
    this.length = 0;
    this.afterCr = false;
    this.previous = -1;
    return dropped;
  }

  /** Whether `byte` ends the line, and whether a held CR before it belongs to the terminator. */
  private endsLine(byte: number): 'no' | 'yes' | 'drop-cr' {
    const t = this.options.terminator;
    // While discarding nothing is held, so a CR before the LF is known from `previous` only.
    const heldCr = this.previous === CR && (this.length > 0 || this.discarding !== undefined);
    switch (t) {
      case 'cr':
        return byte === CR ? 'yes' : 'no';
      case 'lf':
        if (byte !== LF) return 'no';
        return heldCr ? 'drop-cr' : 'yes';
      case 'crlf':
        return byte === LF && heldCr ? 'drop-cr' : 'no';
      case 'none':
        return 'no';
      default:
        return byte === t ? 'yes' : 'no';
    }
  }

  private append(byte: number, out: FramedLine[]): void {
    if (this.discarding !== undefined) {
      this.discarding++;
      return;
    }
    if (this.length === this.buffer.length) {
      out.push({ kind: 'rejected', reason: 'too-long', length: this.length + 1 });
      this.discarding = this.length + 1;
      this.length = 0;
      return;
    }
    this.buffer[this.length++] = byte;
  }

  private complete(held: number): FramedLine {
    this.length = 0;
    if (held > this.options.maxLength) return { kind: 'rejected', reason: 'too-long', length: held };
    let line = Buffer.from(this.buffer.subarray(0, held));
    const { prefix, suffix } = this.options;
    if (prefix && prefix.length > 0) {
      if (!line.subarray(0, prefix.length).equals(prefix))
        return { kind: 'rejected', reason: 'framing', length: held };
      line = line.subarray(prefix.length);
    }
    if (suffix && suffix.length > 0) {
      if (line.length < suffix.length || !line.subarray(line.length - suffix.length).equals(suffix))
        return { kind: 'rejected', reason: 'framing', length: held };
      line = line.subarray(0, line.length - suffix.length);
    }
    if (line.length === 0) return { kind: 'rejected', reason: 'empty', length: held };
    return { kind: 'line', bytes: line };
  }
}
