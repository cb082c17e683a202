import { describe, expect, it } from 'vitest';
import { type FramedLine, LineFramer, type LineFramingOptions } from '../../drivers/scanner/line-framer.js';
import { DuplicateFilter, decodeScanBytes, scanFingerprint } from '../../drivers/scanner/scan-text.js';

/** Pushes each chunk and lists what came out: `line:<latin1>` or `<reason>:<length>`. */
function frame(options: Partial<LineFramingOptions>, ...chunks: (string | Buffer)[]): string[] {
  const framer = new LineFramer({ terminator: 'cr', maxLength: 64, ...options });
  return chunks.flatMap((c) => framer.push(Buffer.from(c as string, 'latin1')).map(show));
}

function show(line: FramedLine): string {
  return line.kind === 'line' ? `line:${line.bytes.toString('latin1')}` : `${line.reason}:${line.length}`;
}

describe('LineFramer terminators', () => {
  it('cr: CR ends a line, an LF right after it is the second half of CR LF', () => {
    expect(frame({ terminator: 'cr' }, 'ABC\rDEF\r')).toEqual(['line:ABC', 'line:DEF']);
    expect(frame({ terminator: 'cr' }, 'ABC\r\nDEF\r\n')).toEqual(['line:ABC', 'line:DEF']);
    expect(frame({ terminator: 'cr' }, 'ABC\r', '\n', 'DEF\r')).toEqual(['line:ABC', 'line:DEF']);
    // An LF anywhere else is data (and the line is rejected later for it).
    expect(frame({ terminator: 'cr' }, 'A\nB\r')).toEqual(['line:A\nB']);
    expect(frame({ terminator: 'cr' }, '\r')).toEqual(['empty:0']);
  });

  it('lf: LF ends a line and one CR before it is dropped', () => {
    expect(frame({ terminator: 'lf' }, 'ABC\nDEF\n')).toEqual(['line:ABC', 'line:DEF']);
    expect(frame({ terminator: 'lf' }, 'ABC\r', '\nDEF\r\n')).toEqual(['line:ABC', 'line:DEF']);
    expect(frame({ terminator: 'lf' }, 'ABC\r\r\n')).toEqual(['line:ABC\r']);
    expect(frame({ terminator: 'lf' }, 'ABC\r')).toEqual([]);
  });

  it('crlf: only CR LF ends a line; a lone CR or LF is data', () => {
    expect(frame({ terminator: 'crlf' }, 'ABC\r\n')).toEqual(['line:ABC']);
    expect(frame({ terminator: 'crlf' }, 'AB', 'C\r', '\nX', 'Y\r\n')).toEqual(['line:ABC', 'line:XY']);
    expect(frame({ terminator: 'crlf' }, 'A\rB\nC\r\n')).toEqual(['line:A\rB\nC']);
    expect(frame({ terminator: 'crlf' }, 'ABC\n')).toEqual([]);
    expect(frame({ terminator: 'crlf' }, '\r\n')).toEqual(['empty:0']);
  });

  it('a byte value: that byte ends a line, CR and LF are data', () => {
    expect(frame({ terminator: 0x03 }, 'ABC\x03D\rE\x03')).toEqual(['line:ABC', 'line:D\rE']);
  });

  it('none: no byte ends a line; flush() does', () => {
    const framer = new LineFramer({ terminator: 'none', maxLength: 16 });
    expect(framer.push(Buffer.from('ABC\r\n'))).toEqual([]);
    expect(framer.inLine).toBe(true);
    expect(show(framer.flush() as FramedLine)).toBe('line:ABC\r\n');
    expect(framer.flush()).toBeUndefined();
    expect(framer.inLine).toBe(false);
  });

  it('rejects an out-of-range terminator byte and a maximum below 1', () => {
    expect(() => new LineFramer({ terminator: 256, maxLength: 8 })).toThrow(RangeError);
    expect(() => new LineFramer({ terminator: 'cr', maxLength: 0 })).toThrow(RangeError);
  });
});

describe('LineFramer limits and affixes', () => {
  it('takes a line of exactly maxLength, rejects one byte more, in every mode', () => {
    for (const [terminator, end] of [
      ['cr', '\r'],
      ['lf', '\r\n'],
      ['crlf', '\r\n'],
      [0x03, '\x03'],
    ] as const) {
      expect(frame({ terminator, maxLength: 8 }, `12345678${end}`)).toEqual(['line:12345678']);
      expect(frame({ terminator, maxLength: 8 }, `123456789${end}`)).toEqual([
        expect.stringMatching(/^too-long:(9|10)$/),
      ]);
    }
  });

  it('reports an over-long line once when it crosses the limit, holds no more than maxLength + 1 bytes, and recovers at the terminator', () => {
    const framer = new LineFramer({ terminator: 'cr', maxLength: 8 });
    const out: string[] = [];
    for (let i = 0; i < 1000; i++) {
      out.push(...framer.push(Buffer.from('XXXXXXXXXX')).map(show));
      expect(framer.pendingLength).toBeLessThanOrEqual(9);
    }
    expect(out).toEqual(['too-long:10']);
    expect(framer.inLine).toBe(true);
    expect(framer.push(Buffer.from('XX\rOK\r')).map(show)).toEqual(['line:OK']);
  });

  it('discard() ends an over-long line too (the inter-character timeout), and the next line is clean', () => {
    const framer = new LineFramer({ terminator: 'cr', maxLength: 4 });
    expect(framer.push(Buffer.from('ABCDEFG')).map(show)).toEqual(['too-long:6']);
    expect(framer.discard()).toBe(7);
    expect(framer.push(Buffer.from('OK\r')).map(show)).toEqual(['line:OK']);
    // And in crlf mode an over-long line still ends at CR LF, not at a lone LF.
    const crlf = new LineFramer({ terminator: 'crlf', maxLength: 4 });
    expect(crlf.push(Buffer.from('ABCDEF\nGH\r\nOK\r\n')).map(show)).toEqual(['too-long:6', 'line:OK']);
  });

  it('strips a configured prefix and suffix, and rejects a line without them', () => {
    const options = { prefix: Buffer.of(0x02), suffix: Buffer.from('#') };
    expect(frame(options, '\x02ABC#\r')).toEqual(['line:ABC']);
    expect(frame(options, 'ABC#\r', '\x02ABC\r', '\x02#\r')).toEqual(['framing:4', 'framing:4', 'empty:2']);
    // A code whose start was cut off (its head dropped by a timeout) fails the prefix check.
    expect(frame(options, 'C#\r')).toEqual(['framing:2']);
  });
});

describe('decodeScanBytes', () => {
  it('decodes strict UTF-8 and rejects invalid sequences instead of replacing them', () => {
    expect(decodeScanBytes(Buffer.from('通行证-01'), 'utf-8')).toEqual({ ok: true, text: '通行证-01' });
    expect(decodeScanBytes(Buffer.from('c4e3bac3', 'hex'), 'utf-8')).toEqual({
      ok: false,
      reason: 'encoding',
    });
    expect(decodeScanBytes(Buffer.from('41ff42', 'hex'), 'utf-8')).toEqual({ ok: false, reason: 'encoding' });
  });

  it('decodes GB18030 (GBK) when configured', () => {
    expect(decodeScanBytes(Buffer.from('c4e3bac3', 'hex'), 'gb18030')).toEqual({ ok: true, text: '你好' });
  });

  it('rejects C0, DEL and C1 control characters and empty input', () => {
    for (const bad of ['A\x00B', 'A\tB', 'A\x1dB', 'AB\x7f', 'A\u0085B', 'A\u009fB'])
      expect(decodeScanBytes(Buffer.from(bad), 'utf-8')).toEqual({ ok: false, reason: 'control-character' });
    expect(decodeScanBytes(Buffer.alloc(0), 'utf-8')).toEqual({ ok: false, reason: 'empty' });
    expect(decodeScanBytes(Buffer.from('A B~\u00a0'), 'utf-8')).toEqual({ ok: true, text: 'A B~\u00a0' });
  });
});

describe('DuplicateFilter', () => {
  it('drops a repeat within the window and extends the window with every sighting', () => {
    const filter = new DuplicateFilter(1000);
    expect(filter.isDuplicate('A', 0)).toBe(false);
    expect(filter.isDuplicate('A', 999)).toBe(true);
    // Held in front of the scanner, re-read every 500 ms for 5 s: still the one scan.
    for (let t = 1500; t <= 6000; t += 500) expect(filter.isDuplicate('A', t)).toBe(true);
    expect(filter.isDuplicate('A', 7000)).toBe(false);
    expect(filter.isDuplicate('B', 7100)).toBe(false);
    expect(filter.isDuplicate('A', 7200)).toBe(false);
  });

  it('window 0 turns suppression off', () => {
    const filter = new DuplicateFilter(0);
    expect(filter.isDuplicate('A', 0)).toBe(false);
    expect(filter.isDuplicate('A', 0)).toBe(false);
  });
});

describe('scanFingerprint', () => {
  it('is keyed: the same code gives the same fingerprint under one key, another under another', () => {
    const a = Buffer.alloc(32, 1);
    const b = Buffer.alloc(32, 2);
    expect(scanFingerprint(a, '123456')).toEqual(scanFingerprint(a, '123456'));
    expect(scanFingerprint(a, '123456').fp).not.toBe(scanFingerprint(b, '123456').fp);
    expect(scanFingerprint(a, '通行证')).toMatchObject({
      length: 3,
      fp: expect.stringMatching(/^[0-9a-f]{8}$/),
    });
  });
});
