import { createHmac } from 'node:crypto';
import { TextDecoder } from 'node:util';

/**
 * From a framed code's bytes to the text that becomes a credential, shared by the serial and
 * HID drivers.
 *
 * Encoding. A scanner sends bytes; which encoding they are in is a setting of the scanner, not
 * something the bytes reveal: ASCII is valid in both, and many non-ASCII byte strings are valid
 * UTF-8 and valid GB18030 at once, with different text. Guessing would let one printed code
 * present as two different values, so the encoding is configured per scanner and decoding is
 * strict (an invalid sequence rejects the code instead of turning into U+FFFD):
 * - `utf-8` (default): what gatewarden's own passes and HID POS scanners deliver.
 * - `gb18030`: for scanners left at a Chinese factory default of "GBK output"; GB18030 is a
 *   superset of GBK, so GBK bytes decode to the same characters.
 * A byte-order mark is kept as a character, so that decoding is one-to-one.
 *
 * Control characters (C0, DEL, C1) reject the code: on a serial line they are noise or a
 * mis-set terminator, and a credential value that holds one could not be typed, shown or
 * matched by a person. GS1 codes that use GS (0x1D) as a separator are not supported yet.
 */
export type ScanEncoding = 'utf-8' | 'gb18030';

export type DecodedText =
  | { ok: true; text: string }
  | { ok: false; reason: 'encoding' | 'control-character' | 'empty' };

const decoders: Record<ScanEncoding, TextDecoder> = {
  'utf-8': new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }),
  gb18030: new TextDecoder('gb18030', { fatal: true, ignoreBOM: true }),
};

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

export function decodeScanBytes(bytes: Uint8Array, encoding: ScanEncoding): DecodedText {
  if (bytes.length === 0) return { ok: false, reason: 'empty' };
  let text: string;
  try {
    text = decoders[encoding].decode(bytes);
  } catch {
    return { ok: false, reason: 'encoding' };
  }
  if (CONTROL.test(text)) return { ok: false, reason: 'control-character' };
  return { ok: true, text };
}

/**
 * "The same code scanned twice within the window is one scan." Scanners in presentation mode
 * re-read a code for as long as it is held in front of them, every few hundred ms; a person who
 * holds a phone up should pass once, not be re-decided (and refused by anti-passback) every
 * window. So every sighting of the code extends the window, and only the last code is
 * remembered: A, B, A are three scans (two people), memory stays constant.
 */
export class DuplicateFilter {
  private last: { text: string; at: number } | undefined;

  /** `windowMs` 0 turns suppression off. */
  constructor(private readonly windowMs: number) {
    if (!(windowMs >= 0)) throw new RangeError(`duplicate window ${windowMs} must be at least 0`);
  }

  /** Records the sighting and says whether it repeats the previous code within the window. */
  isDuplicate(text: string, at: number): boolean {
    const last = this.last;
    this.last = { text, at };
    return this.windowMs > 0 && last !== undefined && last.text === text && at - last.at < this.windowMs;
  }

  reset(): void {
    this.last = undefined;
  }
}

/** What a log line may say about a code: its length and a keyed hash prefix, never the text. */
export interface ScanFingerprint {
  /** Characters (code points). */
  length: number;
  /** First 8 hex digits of HMAC-SHA256(key, text). */
  fp: string;
}

/**
 * Keyed, because a plain hash prefix of a short numeric code (a six-digit visitor code) is
 * reversed by trying all million codes. With the key, equal codes still share a fingerprint, so
 * "the same code was scanned at 08:01 and 08:03" stays readable in the logs.
 */
export function scanFingerprint(key: Buffer, text: string): ScanFingerprint {
  const fp = createHmac('sha256', key).update(text, 'utf8').digest('hex').slice(0, 8);
  return { length: [...text].length, fp };
}
