import { DEFAULT_XML_LIMITS, OnvifXmlError, XmlGuard, type XmlLimits } from './xml-guard.js';

/**
 * Checks the bytes of one HTTP/1.x response as they arrive on a socket: the head (status line
 * and header fields) is skipped up to its blank line, at most MAX_HEAD_BYTES long; the body, raw
 * (chunk size lines included: the guard drops them), goes through a fresh XmlGuard.
 *
 * A 401 body is checked with `tolerateDoctypeDeclaration`: cameras answer 401 with an HTML page
 * (`<!DOCTYPE html>`), and the `onvif` package reacts to a 401 by retrying with credentials (it
 * either discards the body, or only searches its text for "unauthorized"). Refusing that page
 * would stop the retry. Its size and depth are still bounded, and a DTD with an internal subset
 * or any entity declaration is still refused (sax, under xml2js, would not expand one anyway).
 *
 * Interim 1xx responses are skipped whole; whatever follows is checked as the next response.
 */

export const MAX_HEAD_BYTES = 64 * 1024;

export class HttpResponseGuard {
  private headBytes = 0;
  private lineEnds = 0;
  private statusLine = '';
  private statusLineDone = false;
  private body: XmlGuard | undefined;
  private status: number | undefined;

  constructor(private readonly limits: XmlLimits = DEFAULT_XML_LIMITS) {}

  /** The status code, once the head has arrived. */
  get statusCode(): number | undefined {
    return this.status;
  }

  /** Checks the next bytes received; throws OnvifXmlError (naming the status) on refusal. */
  accept(chunk: Uint8Array): void {
    let at = 0;
    if (this.body === undefined) {
      at = this.scanHead(chunk);
      if (this.body === undefined) return;
    }
    try {
      this.body.feed(at === 0 ? chunk : chunk.subarray(at));
    } catch (err) {
      if (!(err instanceof OnvifXmlError)) throw err;
      throw new OnvifXmlError(err.kind, `HTTP ${this.status} response body: ${err.message}`, err.offset);
    }
  }

  /** Consumes head bytes; returns the index just past the head, having started the body guard. */
  private scanHead(chunk: Uint8Array): number {
    for (let i = 0; i < chunk.length; i++) {
      const code = chunk[i] ?? 0;
      if (++this.headBytes > MAX_HEAD_BYTES)
        throw new OnvifXmlError('too-large', `HTTP response head longer than ${MAX_HEAD_BYTES} bytes`);
      if (!this.statusLineDone) {
        if (code === 0x0a || this.statusLine.length >= 64) this.statusLineDone = true;
        else if (code !== 0x0d) this.statusLine += String.fromCharCode(code);
      }
      // Header lines end with CRLF (bare LF from sloppy servers too); the head ends at an empty one.
      if (code === 0x0a) this.lineEnds++;
      else if (code !== 0x0d) this.lineEnds = 0;
      if (this.lineEnds === 2) {
        this.endHead();
        if (this.body !== undefined) return i + 1;
      }
    }
    return chunk.length;
  }

  private endHead(): void {
    const status = /^HTTP\/\d(?:\.\d)? (\d{3})/.exec(this.statusLine)?.[1];
    if (status === undefined)
      throw new OnvifXmlError(
        'malformed',
        `not an HTTP response: ${JSON.stringify(this.statusLine.slice(0, 40))}`,
      );
    this.status = Number(status);
    this.statusLine = '';
    this.statusLineDone = false;
    this.lineEnds = 0;
    if (this.status >= 100 && this.status < 200) return;
    this.body = new XmlGuard(this.limits, { tolerateDoctypeDeclaration: this.status === 401 });
  }
}
