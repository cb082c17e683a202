/**
 * Drops HTTP/1.1 chunked-encoding size lines (`CRLF hex-size [;extensions] CRLF`, RFC 9112 §7.1)
 * from a character stream before the XML guard scans it, so that a size line the server put
 * between any two bytes of the body — between the `/` and `>` of `<a/>`, between `<` and `/`,
 * inside `-->` — cannot change what the guard sees.
 *
 * The match is by shape only: CR LF, 1..16 hex digits, optionally `;` and up to 256 extension
 * characters (token and quoted-string characters, never `<` or `>`), CR LF. A text node that
 * happens to contain exactly that shape is dropped too; the guard's verdict never depends on
 * text content, so nothing is lost. Characters that turn out not to form a size line are passed
 * on unchanged and in order, with their own offsets.
 *
 * Pure and incremental: `push` one character code at a time, in any chunking; `flush` at the end.
 */

const CR = 0x0d;
const LF = 0x0a;
const SEMICOLON = 0x3b;
const MAX_HEX_DIGITS = 16;
const MAX_EXTENSION = 256;

type Phase = 'idle' | 'cr' | 'crlf' | 'size' | 'extension' | 'end-cr';

export class ChunkLineFilter {
  private phase: Phase = 'idle';
  private readonly pending: number[] = [];
  private pendingStart = 0;
  private count = 0;

  constructor(private readonly emit: (code: number, offset: number) => void) {}

  /** `code` is a UTF-16 code unit or a byte; `offset` its byte offset in the whole stream. */
  push(code: number, offset: number): void {
    switch (this.phase) {
      case 'idle':
        if (code === CR) this.begin(code, offset);
        else this.emit(code, offset);
        return;
      case 'cr':
        this.expect(code === LF, code, offset, 'crlf');
        return;
      case 'crlf':
        if (isHex(code)) this.count = 1;
        this.expect(isHex(code), code, offset, 'size');
        return;
      case 'size':
        if (isHex(code) && this.count < MAX_HEX_DIGITS) {
          this.count++;
          this.pending.push(code);
        } else if (code === SEMICOLON || code === 0x20 || code === 0x09) {
          this.count = 0;
          this.expect(true, code, offset, 'extension');
        } else this.expect(code === CR, code, offset, 'end-cr');
        return;
      case 'extension':
        if (code === CR) this.expect(true, code, offset, 'end-cr');
        else if (isExtensionChar(code) && this.count < MAX_EXTENSION) {
          this.count++;
          this.pending.push(code);
        } else this.fail(code, offset);
        return;
      case 'end-cr':
        if (code === LF) {
          this.pending.length = 0;
          this.phase = 'idle';
        } else this.fail(code, offset);
        return;
      default: {
        const unreachable: never = this.phase;
        throw new Error(`unknown phase ${String(unreachable)}`);
      }
    }
  }

  /** Passes on what is held back (a size line cut off by the end of the stream is not one). */
  flush(): void {
    const held = this.pending.splice(0);
    this.phase = 'idle';
    held.forEach((code, i) => {
      this.emit(code, this.pendingStart + i);
    });
  }

  private begin(code: number, offset: number): void {
    this.pending.push(code);
    this.pendingStart = offset;
    this.phase = 'cr';
  }

  private expect(ok: boolean, code: number, offset: number, next: Phase): void {
    if (!ok) {
      this.fail(code, offset);
      return;
    }
    this.pending.push(code);
    this.phase = next;
  }

  /**
   * Not a size line after all: pass on what was held, then look at `code` afresh. Only the first
   * held character and a final CR can be a CR, and a final CR was not followed by LF, so no size
   * line can start inside what was held: re-examining `code` alone is enough.
   */
  private fail(code: number, offset: number): void {
    this.flush();
    this.push(code, offset);
  }
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/** Printable ASCII but `<` and `>`: what chunk extensions (tokens, quoted strings) are made of. */
function isExtensionChar(c: number): boolean {
  return (c === 0x09 || (c >= 0x20 && c <= 0x7e)) && c !== 0x3c && c !== 0x3e;
}
