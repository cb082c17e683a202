import { describe, expect, it } from 'vitest';
import { ChunkLineFilter } from '../../drivers/onvif/codec-chunk-lines.js';
import {
  checkXml,
  DEFAULT_XML_LIMITS,
  describePath,
  OnvifXmlError,
  type OnvifXmlErrorKind,
  XmlGuard,
  type XmlLimits,
} from '../../drivers/onvif/xml-guard.js';

function verdict(input: string | Buffer, limits?: XmlLimits): 'ok' | OnvifXmlErrorKind {
  try {
    checkXml(input, limits);
    return 'ok';
  } catch (err) {
    if (err instanceof OnvifXmlError) return err.kind;
    throw err;
  }
}

function failure(run: () => void): OnvifXmlError {
  try {
    run();
  } catch (err) {
    if (err instanceof OnvifXmlError) return err;
    throw err;
  }
  throw new Error('expected an OnvifXmlError');
}

/** A chunked HTTP/1.1 body: each piece behind its size line, then the last chunk. */
function chunkedBody(pieces: readonly string[]): string {
  return `${pieces.map((p) => `${Buffer.byteLength(p).toString(16)}\r\n${p}\r\n`).join('')}0\r\n\r\n`;
}

const ENVELOPE =
  '<?xml version="1.0" encoding="UTF-8"?>\n' +
  '<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope" xmlns:tt="http://www.onvif.org/ver10/schema">' +
  '<env:Header/><env:Body><tt:Data><tt:SimpleItem Name="Temperature" Value="310.15"/>' +
  '<tt:SimpleItem Name="Note" Value="a/>b"/><!-- <x><y> --><![CDATA[<z><z>]]><?pi <w>?></tt:Data>' +
  '</env:Body></env:Envelope>';

describe('XmlGuard: what it accepts', () => {
  it('accepts a SOAP envelope with empty elements, comments, CDATA, PIs and quoted > and /', () => {
    expect(verdict(ENVELOPE)).toBe('ok');
  });

  it('has the documented defaults', () => {
    expect(DEFAULT_XML_LIMITS).toEqual({ maxBytes: 1024 * 1024, maxDepth: 64 });
  });

  it('accepts exactly maxDepth levels and exactly maxBytes bytes', () => {
    const nested = (n: number) => '<a>'.repeat(n) + '</a>'.repeat(n);
    expect(verdict(nested(64))).toBe('ok');
    expect(verdict(nested(65))).toBe('too-deep');
    const doc = '<a>xxxxxxxx</a>';
    expect(verdict(doc, { maxBytes: doc.length, maxDepth: 4 })).toBe('ok');
    expect(verdict(doc, { maxBytes: doc.length - 1, maxDepth: 4 })).toBe('too-large');
  });

  it('ignores an HTTP head and any bytes before the first <', () => {
    const raw = `HTTP/1.1 200 OK\r\nContent-Type: application/soap+xml\r\n\r\n\u0000\u00ff garbage ${ENVELOPE}`;
    expect(verdict(raw)).toBe('ok');
  });

  it('accepts a chunked body whose size lines fall anywhere, even between / and > of <a/>', () => {
    const pieces: string[] = [];
    let rest = ENVELOPE;
    // Cut after every '/' and every '<', and inside '-->' and ']]>'.
    while (rest.length > 0) {
      const cut = rest.search(/[/<]|-(?=->)|](?=]>)/);
      const at = cut < 0 ? rest.length : cut + 1;
      pieces.push(rest.slice(0, at));
      rest = rest.slice(at);
    }
    expect(pieces.length).toBeGreaterThan(20);
    const body = chunkedBody(pieces);
    expect(body).toMatch(/\/\r\n[0-9a-f]+\r\n>/);
    expect(verdict(body, { maxBytes: 1 << 20, maxDepth: 4 })).toBe('ok');
  });

  it('counts bytes as UTF-8, whatever the input type', () => {
    const doc = '<a>京A0123😷</a>';
    const bytes = Buffer.byteLength(doc);
    expect(verdict(doc, { maxBytes: bytes, maxDepth: 2 })).toBe('ok');
    expect(verdict(doc, { maxBytes: bytes - 1, maxDepth: 2 })).toBe('too-large');
    expect(verdict(Buffer.from(doc), { maxBytes: bytes - 1, maxDepth: 2 })).toBe('too-large');
    const guard = new XmlGuard();
    guard.feed(doc.slice(0, 9)); // splits the surrogate pair of 😷
    guard.feed(doc.slice(9));
    expect(guard.size).toBe(bytes);
  });

  it('tolerates <!DOCTYPE html> only when asked, and never an internal subset', () => {
    const page = '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0//EN" "x>y[z"><html><body/></html>';
    expect(verdict(page)).toBe('doctype');
    const tolerant = new XmlGuard(DEFAULT_XML_LIMITS, { tolerateDoctypeDeclaration: true });
    tolerant.feed(page);
    tolerant.end();
    const subset = new XmlGuard(DEFAULT_XML_LIMITS, { tolerateDoctypeDeclaration: true });
    expect(failure(() => subset.feed('<!DOCTYPE x [<!ENTITY a "b">]><x/>')).kind).toBe('doctype');
    const entity = new XmlGuard(DEFAULT_XML_LIMITS, { tolerateDoctypeDeclaration: true });
    expect(failure(() => entity.feed('<x><!ENTITY a "b"></x>')).kind).toBe('doctype');
  });
});

describe('XmlGuard: hostile input', () => {
  it('refuses a huge response as soon as the limit is passed, naming the byte', () => {
    const guard = new XmlGuard({ maxBytes: 1000, maxDepth: 8 });
    guard.feed('<a>');
    const err = failure(() => guard.feed('x'.repeat(2000)));
    expect(err.kind).toBe('too-large');
    expect(err.offset).toBe(1000);
    expect(err.message).toContain('1000');
    // The refusal sticks: later input gets the same error.
    expect(failure(() => guard.feed('</a>'))).toBe(err);
  });

  it('refuses deep nesting and names the element path', () => {
    const deep = `<env:Envelope><env:Body>${'<tt:Data>'.repeat(100)}`;
    const err = failure(() => checkXml(deep));
    expect(err.kind).toBe('too-deep');
    expect(err.message).toContain('65');
    expect(err.message).toContain('/env:Envelope/env:Body/tt:Data');
    expect(err.offset).toBe(deep.indexOf('<tt:Data>') + 62 * '<tt:Data>'.length);
  });

  it('refuses a billion-laughs DTD at the DOCTYPE, before any entity', () => {
    const laughs = [
      '<?xml version="1.0"?>',
      '<!DOCTYPE lolz [',
      ' <!ENTITY lol "lol">',
      ...Array.from({ length: 9 }, (_, i) => ` <!ENTITY lol${i + 1} "${`&lol${i || ''};`.repeat(10)}">`),
      ']>',
      '<lolz>&lol9;</lolz>',
    ].join('\n');
    const err = failure(() => checkXml(laughs));
    expect(err.kind).toBe('doctype');
    expect(err.offset).toBe(laughs.indexOf('<!DOCTYPE'));
  });

  it('refuses a DOCTYPE with an external entity, and a lower-case one', () => {
    expect(verdict('<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><foo>&xxe;</foo>')).toBe(
      'doctype',
    );
    expect(verdict('<!doctype html><html/>')).toBe('doctype');
    expect(verdict('<a><!ENTITY x "y"></a>')).toBe('doctype');
    expect(verdict('<a><!ATTLIST a b CDATA "c"></a>')).toBe('doctype');
  });

  it('refuses a DOCTYPE cut by a chunk size line', () => {
    expect(verdict(chunkedBody(['<!DOC', 'TYPE x><x/>']))).toBe('doctype');
  });

  it('reports unterminated, empty and unbalanced input as malformed on end()', () => {
    expect(verdict('<env:Envelope><env:Body>')).toBe('malformed');
    expect(verdict('<a x="never closed')).toBe('malformed');
    expect(verdict('<a><!-- no end </a>')).toBe('malformed');
    expect(verdict('just text, no element')).toBe('malformed');
    expect(verdict('')).toBe('malformed');
    expect(verdict('<a></a></b>')).toBe('malformed');
    expect(failure(() => checkXml('<a><b>')).message).toContain('/a/b');
  });

  it('survives random garbage bytes without throwing anything but OnvifXmlError', () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed & 0xff;
    };
    for (let n = 0; n < 50; n++) {
      const bytes = Buffer.from(Array.from({ length: 4096 }, random));
      const v = verdict(bytes);
      expect(['ok', 'malformed', 'too-deep', 'doctype']).toContain(v);
    }
  });
});

describe('ChunkLineFilter', () => {
  const run = (input: string, cut = input.length) => {
    const out: string[] = [];
    const filter = new ChunkLineFilter((code) => out.push(String.fromCharCode(code)));
    [...input].forEach((c, i) => {
      if (i === cut) out.push('|');
      filter.push(c.charCodeAt(0), i);
    });
    filter.flush();
    return out.join('');
  };

  it('drops size lines with extensions and keeps everything else in order', () => {
    expect(run('<a/\r\n1f;name="v"\r\n>')).toBe('<a/>');
    expect(run('x\r\n\r\n12\r\ny')).toBe('x\r\ny');
    expect(run('x\r\nzz\r\ny')).toBe('x\r\nzz\r\ny');
    expect(run('x\r\n12\r\r\n1\r\ny')).toBe('x\r\n12\ry');
    expect(run('x\r\n12')).toBe('x\r\n12');
    expect(run(`x\r\n${'f'.repeat(17)}\r\ny`)).toBe(`x\r\n${'f'.repeat(17)}\r\ny`);
  });

  it('keeps the offsets of what it passes on', () => {
    const offsets: number[] = [];
    const filter = new ChunkLineFilter((_code, offset) => offsets.push(offset));
    for (const [i, c] of [...'ab\r\nzc'].entries()) filter.push(c.charCodeAt(0), i);
    filter.flush();
    expect(offsets).toEqual([0, 1, 2, 3, 4, 5]);
  });
});

describe('describePath', () => {
  it('shortens long paths', () => {
    expect(describePath(['a', 'b'])).toBe('/a/b');
    expect(describePath(Array.from({ length: 20 }, (_, i) => `e${i}`))).toBe(
      '/e0/e1/e2/…(14 more)…/e17/e18/e19',
    );
  });
});
