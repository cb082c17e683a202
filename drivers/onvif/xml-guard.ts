import { ChunkLineFilter } from './codec-chunk-lines.js';

/**
 * A streaming check of what a camera sends, run on every byte before any XML parser (ours or the
 * `onvif` package's xml2js + `linerase`, which recurses without a depth limit) sees it. It refuses,
 * as soon as the offending byte arrives:
 * - more than `maxBytes` bytes in all (`too-large`);
 * - an element nested deeper than `maxDepth` (`too-deep`);
 * - any DTD markup: `<!DOCTYPE`, `<!ENTITY`, `<!ELEMENT`, `<!ATTLIST`, `<!NOTATION` (`doctype`).
 *   We never accept a DTD, so no entity can ever be declared, let alone expanded.
 *
 * It is a scanner, not a parser: it counts start tags, end tags and empty-element tags, skips
 * comments, CDATA sections, processing instructions and quoted attribute values (which may hold
 * `>` or `/`), and leaves well-formedness to the parser (`end()` reports only what is unfinished).
 * It accepts whatever comes before the first `<` (an HTTP head, a chunk size line), and drops
 * chunked-encoding size lines wherever they fall (codec-chunk-lines.ts), so it can be fed the raw
 * body of a chunked HTTP response. The approximations, all on the side of counting a depth no
 * larger than the parser would: a `<` not followed by a name, `/`, `!` or `?` is taken as text; an
 * end tag is not matched against its start tag; a size-line-shaped run of text is skipped.
 *
 * Input may be split anywhere (inside a tag, an attribute value, a UTF-8 sequence, a surrogate
 * pair); the verdict and the offset it names do not depend on the split. Byte counts are UTF-8:
 * a string is counted as its UTF-8 encoding (a lone surrogate as 2 bytes).
 */

export type OnvifXmlErrorKind =
  /** More bytes than the limit. */
  | 'too-large'
  /** Elements nested deeper than the limit. */
  | 'too-deep'
  /** A DTD: DOCTYPE, ENTITY or another markup declaration. */
  | 'doctype'
  /** Not well-formed XML (the parser's complaint, or a document that ends unfinished). */
  | 'malformed'
  /** Well-formed, but not a SOAP envelope with a body. */
  | 'not-soap'
  /** A SOAP envelope whose body is not the answer that was asked for. */
  | 'unexpected-body';

export class OnvifXmlError extends Error {
  constructor(
    readonly kind: OnvifXmlErrorKind,
    message: string,
    /** Byte offset of the offending markup in what was checked, when there is one. */
    readonly offset?: number,
  ) {
    super(message);
    this.name = 'OnvifXmlError';
  }
}

export interface XmlLimits {
  maxBytes: number;
  maxDepth: number;
}

/** 1 MiB and 64 levels: a PullMessagesResponse of 10 notifications is a few kB and 10 levels deep. */
export const DEFAULT_XML_LIMITS: Readonly<XmlLimits> = Object.freeze({ maxBytes: 1024 * 1024, maxDepth: 64 });

export interface XmlGuardOptions {
  /**
   * Let a `<!DOCTYPE name …>` without an internal subset pass (a `[` in it is still refused, and so
   * is every other declaration). Only for HTTP error pages (`<!DOCTYPE html>`) that no XML parser of
   * ours reads; see guarded-agent.ts.
   */
  tolerateDoctypeDeclaration?: boolean;
}

type State =
  | 'text'
  | 'lt'
  | 'open-name'
  | 'open-tag'
  | 'attr-dq'
  | 'attr-sq'
  | 'close-tag'
  | 'bang'
  | 'comment'
  | 'cdata'
  | 'pi'
  | 'doctype'
  | 'skip-markup';

const DECLARATIONS = ['DOCTYPE', 'ENTITY', 'ELEMENT', 'ATTLIST', 'NOTATION'];
const MAX_NAME_KEPT = 64;

export class XmlGuard {
  private readonly filter = new ChunkLineFilter((code, offset) => this.scan(code, offset));
  private readonly limits: XmlLimits;
  private bytes = 0;
  private failure: OnvifXmlError | undefined;
  private state: State = 'text';
  private markupStart = 0;
  private word = '';
  private run = 0;
  private slash = false;
  private quoted: number | undefined;
  private readonly path: string[] = [];
  private elements = 0;
  private strayEndTag: number | undefined;

  constructor(
    limits: XmlLimits = DEFAULT_XML_LIMITS,
    private readonly options: XmlGuardOptions = {},
  ) {
    this.limits = { ...limits };
  }

  /** Bytes accepted so far. */
  get size(): number {
    return this.bytes;
  }

  /** Checks the next piece of input; throws OnvifXmlError (and the same one ever after) on refusal. */
  feed(chunk: Buffer | Uint8Array | string): void {
    if (this.failure) throw this.failure;
    this.guarded(() => (typeof chunk === 'string' ? this.feedString(chunk) : this.feedBytes(chunk)));
  }

  /** The input is complete: throws `malformed` when markup is unfinished or no element was seen. */
  end(): void {
    if (this.failure) throw this.failure;
    this.guarded(() => {
      this.filter.flush();
      if (this.state !== 'text')
        throw new OnvifXmlError(
          'malformed',
          `unterminated markup opened at byte ${this.markupStart}`,
          this.markupStart,
        );
      if (this.elements === 0)
        throw new OnvifXmlError('malformed', 'no XML element in the input', this.bytes);
      if (this.path.length > 0)
        throw new OnvifXmlError(
          'malformed',
          `unclosed element ${describePath(this.path)} at the end of the input`,
        );
      if (this.strayEndTag !== undefined)
        throw new OnvifXmlError(
          'malformed',
          `end tag without a start tag at byte ${this.strayEndTag}`,
          this.strayEndTag,
        );
    });
  }

  private guarded(check: () => void): void {
    try {
      check();
    } catch (err) {
      if (err instanceof OnvifXmlError) this.failure = err;
      throw err;
    }
  }

  private feedBytes(chunk: Uint8Array): void {
    for (const code of chunk) {
      const at = this.bytes;
      this.count(1);
      this.filter.push(code, at);
    }
  }

  private feedString(chunk: string): void {
    for (let i = 0; i < chunk.length; i++) {
      const code = chunk.charCodeAt(i);
      const at = this.bytes;
      this.count(code < 0x80 ? 1 : code < 0x800 || (code >= 0xd800 && code <= 0xdfff) ? 2 : 3);
      this.filter.push(code, at);
    }
  }

  private count(bytes: number): void {
    if (this.bytes + bytes > this.limits.maxBytes) {
      this.filter.flush();
      // The offset is the first byte past the limit, however the input is cut or encoded.
      throw new OnvifXmlError(
        'too-large',
        `more than ${this.limits.maxBytes} bytes (the limit)`,
        this.limits.maxBytes,
      );
    }
    this.bytes += bytes;
  }

  private scan(code: number, offset: number): void {
    switch (this.state) {
      case 'text':
        if (code === 0x3c) {
          this.state = 'lt';
          this.markupStart = offset;
        }
        return;
      case 'lt':
        this.afterLt(code, offset);
        return;
      case 'open-name':
        if (code === 0x3e) this.openElement(false);
        else if (code === 0x2f) this.toTag(true);
        else if (isSpace(code)) this.toTag(false);
        else if (this.word.length < MAX_NAME_KEPT) this.word += String.fromCharCode(code);
        return;
      case 'open-tag':
        this.inTag(code);
        return;
      case 'attr-dq':
      case 'attr-sq':
        if (code === this.quoted) this.toTag(false);
        return;
      case 'close-tag':
        if (code === 0x3e) this.closeElement();
        return;
      case 'bang':
        this.inBang(code);
        return;
      case 'comment':
        this.until(code, 0x2d);
        return;
      case 'cdata':
        this.until(code, 0x5d);
        return;
      case 'pi':
        if (code === 0x3e && this.run > 0) this.state = 'text';
        this.run = code === 0x3f ? 1 : 0;
        return;
      case 'doctype':
        this.inDoctype(code, offset);
        return;
      case 'skip-markup':
        if (code === 0x3e) this.state = 'text';
        return;
      default: {
        const unreachable: never = this.state;
        throw new Error(`unknown state ${String(unreachable)}`);
      }
    }
  }

  private afterLt(code: number, offset: number): void {
    if (code === 0x2f) this.state = 'close-tag';
    else if (code === 0x21) {
      this.state = 'bang';
      this.word = '';
    } else if (code === 0x3f) {
      this.state = 'pi';
      this.run = 0;
    } else if (isNameStart(code)) {
      this.state = 'open-name';
      this.word = String.fromCharCode(code);
    } else {
      this.state = 'text';
      this.scan(code, offset);
    }
  }

  private toTag(slash: boolean): void {
    this.state = 'open-tag';
    this.slash = slash;
  }

  private inTag(code: number): void {
    if (code === 0x22 || code === 0x27) {
      this.state = code === 0x22 ? 'attr-dq' : 'attr-sq';
      this.quoted = code;
    } else if (code === 0x3e) this.openElement(this.slash);
    else this.slash = code === 0x2f;
  }

  private openElement(empty: boolean): void {
    this.state = 'text';
    this.elements++;
    if (empty) return;
    this.path.push(this.word);
    if (this.path.length > this.limits.maxDepth)
      throw new OnvifXmlError(
        'too-deep',
        `element depth ${this.path.length} exceeds the limit ${this.limits.maxDepth} at byte ${this.markupStart} (${describePath(this.path)})`,
        this.markupStart,
      );
  }

  private closeElement(): void {
    this.state = 'text';
    if (this.path.length > 0) this.path.pop();
    else this.strayEndTag ??= this.markupStart;
  }

  /** After `<!`: a comment, a CDATA section, or a declaration (refused), decided by the first letters. */
  private inBang(code: number): void {
    this.word += String.fromCharCode(code).toUpperCase();
    if (this.word === '--') {
      this.state = 'comment';
      this.run = 0;
    } else if (this.word === '[CDATA[') {
      this.state = 'cdata';
      this.run = 0;
    } else if (DECLARATIONS.includes(this.word)) {
      if (this.word === 'DOCTYPE' && this.options.tolerateDoctypeDeclaration) {
        this.state = 'doctype';
        this.quoted = undefined;
      } else this.refuseDeclaration();
    } else if (!['--', '[CDATA[', ...DECLARATIONS].some((w) => w.startsWith(this.word)))
      this.state = code === 0x3e ? 'text' : 'skip-markup';
  }

  private refuseDeclaration(): never {
    throw new OnvifXmlError(
      'doctype',
      `<!${this.word} at byte ${this.markupStart}${this.path.length > 0 ? ` in ${describePath(this.path)}` : ''}: DTDs are refused`,
      this.markupStart,
    );
  }

  /** Inside a comment (`-->`) or a CDATA section (`]]>`): `mark` is `-` or `]`. */
  private until(code: number, mark: number): void {
    if (code === 0x3e && this.run >= 2) this.state = 'text';
    this.run = code === mark ? this.run + 1 : 0;
  }

  private inDoctype(code: number, offset: number): void {
    if (this.quoted !== undefined) {
      if (code === this.quoted) this.quoted = undefined;
    } else if (code === 0x22 || code === 0x27) this.quoted = code;
    else if (code === 0x3e) this.state = 'text';
    else if (code === 0x5b)
      throw new OnvifXmlError(
        'doctype',
        `DOCTYPE with an internal subset at byte ${offset}: DTDs are refused`,
        this.markupStart,
      );
  }
}

/** Checks a whole document at once (feed + end). */
export function checkXml(xml: string | Buffer, limits: XmlLimits = DEFAULT_XML_LIMITS): void {
  const guard = new XmlGuard(limits);
  guard.feed(xml);
  guard.end();
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

/** Letters, `_`, `:` and anything non-ASCII: what an XML name may start with. */
function isNameStart(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c === 0x3a || c >= 0x80;
}

/** `/a/b/c`, or the first and last three elements of a long path. */
export function describePath(path: readonly string[]): string {
  if (path.length <= 8) return `/${path.join('/')}`;
  return `/${path.slice(0, 3).join('/')}/…(${path.length - 6} more)…/${path.slice(-3).join('/')}`;
}
