import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  BootKeyboardDecoder,
  type HidDecodeOutput,
  HidPosDecoder,
  POS_REPORT,
} from '../../drivers/scanner/hid-reports.js';
import { USAGE } from '../../drivers/scanner/hid-usage-us.js';
import {
  type FramedLine,
  LineFramer,
  type LineFramingOptions,
  type Terminator,
} from '../../drivers/scanner/line-framer.js';
import { decodeScanBytes, type ScanEncoding } from '../../drivers/scanner/scan-text.js';
import { keyboardReports, posReports } from '../../simulators/qr/hid-report-writer.js';
import { defineTarget, neverThrows } from '../target.js';
import { byte, bytes, chunked, chunkSizes, noise } from './bytes.js';

/** QR scanners (drivers/scanner): serial line framing, USB HID keyboard and POS reports, scan text. */

const CR = 0x0d;
const LF = 0x0a;
// biome-ignore lint/suspicious/noControlCharactersInRegex: the codes exclude control characters.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** What a scanner can carry as a code: no controls, valid UTF-16 (so it round-trips UTF-8). */
const code = fc
  .string({ unit: 'binary', minLength: 1, maxLength: 60 })
  .filter((s) => !CONTROL.test(s) && Buffer.from(s, 'utf8').toString('utf8') === s);

const terminator = fc.constantFrom<Terminator>('cr', 'lf', 'crlf', 'none', 0x03, 0x04);
const END: Readonly<Record<string, Buffer>> = {
  cr: Buffer.of(CR),
  lf: Buffer.of(LF),
  crlf: Buffer.of(CR, LF),
  none: Buffer.alloc(0),
};
const endOf = (t: Terminator): Buffer => (typeof t === 'number' ? Buffer.of(t) : (END[t] ?? Buffer.alloc(0)));

/** Framing bytes: printable ASCII, so never a terminator, CR or LF. */
const frameBytes = fc.uint8Array({ maxLength: 3 }).map((a) => Buffer.from(a.map((b) => 0x21 + (b % 94))));

const serialCase = fc.record(
  {
    terminator,
    maxLength: fc.integer({ min: 1, max: 120 }),
    prefix: frameBytes,
    suffix: frameBytes,
    encoding: fc.constantFrom<ScanEncoding>('utf-8', 'gb18030'),
    garbage: noise([CR, LF, 0x03, 0x04, 0x00, 0x7f, 0xc3, 0xa9, 0xe4, 0xb8, 0x80, 0x21], 300),
    code,
    sizes: chunkSizes,
  },
  { noNullPrototype: true },
);

function frameAll(options: LineFramingOptions, chunks: readonly Buffer[]): FramedLine[] {
  const framer = new LineFramer(options);
  const out: FramedLine[] = [];
  for (const chunk of chunks) {
    out.push(...neverThrows(() => framer.push(chunk)));
    assert.ok(framer.pendingLength <= options.maxLength + 1, `framer holds ${framer.pendingLength} bytes`);
  }
  const flushed = neverThrows(() => framer.flush());
  if (flushed !== undefined) out.push(flushed);
  return out;
}

export const scannerSerialLines = defineTarget({
  name: 'scanner-serial-lines',
  contract:
    'LineFramer (every terminator, prefix and suffix, any maximum) on noise, then a terminated code, in any ' +
    'chunks: never throws, holds at most maxLength + 1 bytes, frames the same lines however chunked, finds ' +
    'the code after the noise, and decodeScanBytes never throws and passes no control character.',
  arbitrary: serialCase,
  check(c) {
    const options: LineFramingOptions = {
      terminator: c.terminator,
      maxLength: c.maxLength,
      prefix: c.prefix,
      suffix: c.suffix,
    };
    const end = endOf(c.terminator);
    const framed = Buffer.concat([c.prefix, Buffer.from(c.code, 'utf8'), c.suffix]);
    const stream = Buffer.concat([c.garbage, end, framed, end]);
    if (c.terminator === 'none') {
      // Flush mode: only the inter-character timeout ends a code; the timeout after noise discards it.
      const framer = new LineFramer(options);
      for (const chunk of chunked(c.garbage, c.sizes)) neverThrows(() => framer.push(chunk));
      framer.discard();
      const lines = chunked(framed, c.sizes).flatMap((chunk) => neverThrows(() => framer.push(chunk)));
      const flushed = framer.flush();
      expectCode([...lines, ...(flushed === undefined ? [] : [flushed])], framed.length, c);
      return;
    }
    const whole = frameAll(options, [stream]);
    assert.deepStrictEqual(frameAll(options, chunked(stream, c.sizes)), whole, 'chunking changed the lines');
    expectCode(whole.slice(-1), framed.length, c);
    for (const line of whole) {
      if (line.kind !== 'line') continue;
      const text = neverThrows(() => decodeScanBytes(line.bytes, c.encoding));
      if (text.ok) assert.ok(!CONTROL.test(text.text), 'a control character passed');
    }
  },
});

/**
 * The last line(s) must be the code, or its refusal as too long. The framer holds maxLength + 1
 * bytes (a spare for the CR that `lf` and `crlf` strip): a line that fits them is refused at its
 * terminator with its length; a longer one when it crosses, as maxLength + 2. In `crlf` mode the
 * CR is held with the line until the LF arrives.
 */
function expectCode(
  lines: readonly FramedLine[],
  length: number,
  c: { terminator: Terminator; maxLength: number; code: string },
) {
  if (length > c.maxLength) {
    const held = length + (c.terminator === 'crlf' ? 1 : 0);
    const refused = {
      kind: 'rejected',
      reason: 'too-long',
      length: held > c.maxLength + 1 ? c.maxLength + 2 : length,
    };
    assert.deepStrictEqual(lines, [refused], 'an over-long code was not refused');
    return;
  }
  const line = { kind: 'line', bytes: Buffer.from(c.code, 'utf8') };
  assert.deepStrictEqual(lines, [line], 'the code after the noise was lost');
  assert.deepStrictEqual(decodeScanBytes(Buffer.from(c.code, 'utf8'), 'utf-8'), { ok: true, text: c.code });
}

const printable = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((n) => String.fromCharCode(n)),
  minLength: 1,
  maxLength: 60,
});

/** Usages biased to letters, digits, Enter, modifiers and the rollover error codes. */
const usage = fc.oneof(
  fc.integer({ min: 0x04, max: 0x38 }),
  fc.constantFrom(USAGE.ENTER, USAGE.KEYPAD_ENTER, USAGE.ERROR_ROLLOVER, USAGE.CAPS_LOCK, 0xe1, 0x00),
  byte,
);
const keyboardReport = fc.record(
  {
    modifiers: fc.oneof(fc.constantFrom(0, 0x02, 0x20, 0x01), byte),
    keys: fc.array(usage, { minLength: 6, maxLength: 6 }),
    extra: fc.oneof({ weight: 9, arbitrary: fc.constant(Buffer.alloc(0)) }, bytes(1, 3)),
  },
  { noNullPrototype: true },
);

const keyboardCase = fc.record(
  {
    reportId: fc.option(byte, { nil: undefined }),
    maxLength: fc.integer({ min: 1, max: 100 }),
    garbage: fc.array(keyboardReport, { maxLength: 30 }),
    text: printable,
    style: fc.constantFrom('release' as const, 'rollover' as const),
    shiftFirst: fc.boolean(),
  },
  { noNullPrototype: true },
);

function wellFormed(outputs: readonly HidDecodeOutput[], maxLength: number): void {
  for (const o of outputs) {
    if (o.kind === 'code')
      assert.ok(o.bytes.length >= 1 && o.bytes.length <= maxLength, 'code length out of range');
    else assert.ok(['unknown-key', 'too-long', 'malformed-report', 'empty'].includes(o.reason));
  }
}

export const scannerHidKeyboard = defineTarget({
  name: 'scanner-hid-keyboard',
  contract:
    'BootKeyboardDecoder on any boot keyboard reports (wrong lengths, rollover errors, modifiers, report ' +
    'ids) never throws and holds at most maxLength + 1 characters; after the keys are released and the ' +
    'timeout reset, a typed code decodes to exactly its text.',
  arbitrary: keyboardCase,
  check(c) {
    const decoder = new BootKeyboardDecoder(
      c.reportId === undefined
        ? { maxLength: c.maxLength }
        : { maxLength: c.maxLength, reportId: c.reportId },
    );
    const withId = (report: Buffer) =>
      c.reportId === undefined ? report : Buffer.concat([Buffer.of(c.reportId), report]);
    for (const r of c.garbage) {
      const report = withId(Buffer.concat([Buffer.of(r.modifiers, 0, ...r.keys), r.extra]));
      wellFormed(
        neverThrows(() => decoder.push(report)),
        c.maxLength,
      );
      assert.ok(decoder.heldLength <= c.maxLength + 1, `decoder holds ${decoder.heldLength} characters`);
    }
    decoder.push(withId(Buffer.alloc(8)));
    decoder.reset();
    const typed = keyboardReports(c.text, {
      style: c.style,
      shiftFirst: c.shiftFirst,
      ...(c.reportId === undefined ? {} : { reportId: c.reportId }),
    });
    const outputs = typed.flatMap((r) => neverThrows(() => decoder.push(r)));
    const expected: HidDecodeOutput =
      c.text.length > c.maxLength
        ? { kind: 'rejected', reason: 'too-long', length: c.text.length }
        : { kind: 'code', bytes: Buffer.from(c.text, 'latin1') };
    assert.deepStrictEqual(outputs, [expected], 'the typed code did not come through');
  },
});

const posReport = fc.record(
  {
    id: fc.oneof({ weight: 4, arbitrary: fc.constant(POS_REPORT.REPORT_ID) }, byte),
    count: fc.oneof(fc.integer({ min: 0, max: POS_REPORT.MAX_DATA }), byte),
    continued: fc.boolean(),
    body: bytes(POS_REPORT.LENGTH),
    length: fc.oneof(
      { weight: 9, arbitrary: fc.constant(POS_REPORT.LENGTH) },
      fc.integer({ min: 0, max: 80 }),
    ),
  },
  { noNullPrototype: true },
);

export const scannerHidPos = defineTarget({
  name: 'scanner-hid-pos',
  contract:
    'HidPosDecoder on any reports (wrong ids, counts over 56, wrong lengths, unfinished continuations) never ' +
    'throws and holds at most maxLength + 1 bytes; after the timeout reset, a code split over reports ' +
    'decodes to exactly its bytes and AIM symbology, and decodeScanBytes never throws on it.',
  arbitrary: fc.record(
    {
      maxLength: fc.integer({ min: 1, max: 400 }),
      garbage: fc.array(posReport, { maxLength: 12 }),
      data: bytes(1, 300),
      chunk: fc.integer({ min: 1, max: POS_REPORT.MAX_DATA }),
      symbology: fc.constantFrom(']Q1', ']E0', null),
    },
    { noNullPrototype: true },
  ),
  check(c) {
    const decoder = new HidPosDecoder({ maxLength: c.maxLength });
    for (const r of c.garbage) {
      const report = Buffer.alloc(r.length);
      r.body.copy(report);
      report[0] = r.id;
      if (r.length > 1) report[1] = r.count;
      if (r.length > POS_REPORT.FLAGS) report[POS_REPORT.FLAGS] = r.continued ? POS_REPORT.CONTINUED : 0;
      wellFormed(
        neverThrows(() => decoder.push(report)),
        c.maxLength,
      );
      assert.ok(decoder.heldLength <= c.maxLength + 1, `decoder holds ${decoder.heldLength} bytes`);
    }
    decoder.reset();
    const outputs = posReports(c.data, { chunk: c.chunk, symbology: c.symbology }).flatMap((r) =>
      decoder.push(r),
    );
    const expected: HidDecodeOutput =
      c.data.length > c.maxLength
        ? { kind: 'rejected', reason: 'too-long', length: c.data.length }
        : { kind: 'code', bytes: c.data, ...(c.symbology === null ? {} : { symbology: c.symbology }) };
    assert.deepStrictEqual(outputs, [expected], 'the code after the noise did not come through');
    for (const o of outputs) if (o.kind === 'code') neverThrows(() => decodeScanBytes(o.bytes, 'gb18030'));
  },
});
