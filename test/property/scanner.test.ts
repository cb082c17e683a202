import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import {
  BootKeyboardDecoder,
  type HidDecodeOutput,
  HidPosDecoder,
} from '../../drivers/scanner/hid-reports.js';
import { LineFramer, type Terminator } from '../../drivers/scanner/line-framer.js';
import { SerialScanner } from '../../drivers/scanner/serial-scanner.js';
import { keyboardReports, posReports } from '../../simulators/qr/hid-report-writer.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { PushTransport } from '../helpers/scanner-rig.js';

// --- Arbitraries ------------------------------------------------------------------------------

const printableAscii = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
  minLength: 1,
  maxLength: 80,
});

const typing = fc.record(
  {
    style: fc.constantFrom('release' as const, 'rollover' as const),
    repeat: fc.integer({ min: 1, max: 3 }),
    shiftFirst: fc.boolean(),
    rightShift: fc.boolean(),
  },
  { requiredKeys: [] },
);

// biome-ignore lint/suspicious/noControlCharactersInRegex: the property excludes control characters.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** Any Unicode text a scanner can carry as a code: no controls, valid UTF-16 (round-trips UTF-8). */
const code = fc
  .string({ unit: 'binary', minLength: 1, maxLength: 40 })
  .filter((s) => !CONTROL.test(s) && Buffer.from(s, 'utf8').toString('utf8') === s);

const terminator = fc.constantFrom<Terminator>('cr', 'lf', 'crlf', 0x03);

const END: Record<string, Buffer> = { cr: Buffer.of(0x0d), lf: Buffer.of(0x0a), crlf: Buffer.of(0x0d, 0x0a) };
const endOf = (t: Terminator) => (typeof t === 'number' ? Buffer.of(t) : (END[t] ?? Buffer.alloc(0)));

/** Cuts `bytes` at the given fractions into chunks (some empty cuts collapse). */
function chunk(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => Math.floor(c * bytes.length)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let at = 0;
  for (const p of [...points, bytes.length]) {
    if (p > at) chunks.push(bytes.subarray(at, p));
    at = Math.max(at, p);
  }
  return chunks;
}

async function serialScanner(options: { terminator: Terminator; maxLength?: number }) {
  const transport = new PushTransport();
  const clock = new ManualClock();
  const scanner = new SerialScanner({
    transport,
    terminator: options.terminator,
    maxLength: options.maxLength ?? 1024,
    duplicateWindowMs: 0,
    clock,
  });
  const texts: string[] = [];
  scanner.on('scan', (s) => texts.push(s.text));
  await scanner.start();
  return { transport, clock, scanner, texts };
}

// --- Properties -------------------------------------------------------------------------------

describe('keyboard wedge', () => {
  test.prop([printableAscii, typing])(
    'any printable ASCII typed as boot reports decodes back exactly',
    (text, options) => {
      const decoder = new BootKeyboardDecoder({ maxLength: 100 });
      const outputs = keyboardReports(text, options).flatMap((r) => decoder.push(r));
      expect(outputs).toEqual([{ kind: 'code', bytes: Buffer.from(text, 'latin1') }]);
      expect(decoder.pending).toBe(false);
    },
  );

  test.prop([fc.array(printableAscii, { minLength: 1, maxLength: 5 }), typing])(
    'several codes in a row decode in order',
    (texts, options) => {
      const decoder = new BootKeyboardDecoder({ maxLength: 100 });
      const reports = texts.flatMap((t) => keyboardReports(t, options));
      const outputs = reports.flatMap((r) => decoder.push(r));
      expect(outputs.map((o) => (o.kind === 'code' ? o.bytes.toString('latin1') : o.reason))).toEqual(texts);
    },
  );
});

describe('HID POS', () => {
  test.prop([fc.uint8Array({ minLength: 1, maxLength: 600 }), fc.integer({ min: 1, max: 56 })])(
    'any payload split over any report size comes back whole',
    (payload, size) => {
      const decoder = new HidPosDecoder({ maxLength: 1024 });
      const outputs = posReports(Buffer.from(payload), { chunk: size }).flatMap((r) => decoder.push(r));
      expect(outputs).toEqual([{ kind: 'code', bytes: Buffer.from(payload), symbology: ']Q1' }]);
    },
  );
});

describe('serial line mode', () => {
  test.prop([
    fc.array(code, { minLength: 1, maxLength: 8 }),
    terminator,
    fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 30 }),
  ])('any chunking of the input gives the same codes', async (codes, term, cuts) => {
    const { transport, texts } = await serialScanner({ terminator: term });
    const bytes = Buffer.concat(codes.flatMap((c) => [Buffer.from(c, 'utf8'), endOf(term)]));
    for (const part of chunk(bytes, cuts)) transport.push(part);
    expect(texts).toEqual(codes);
  });

  test.prop([
    fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 30 }),
    terminator,
    fc.integer({ min: 1, max: 64 }),
  ])(
    'random bytes never throw and never hold more than maxLength + 1 bytes',
    async (chunks, term, maxLength) => {
      const { transport, clock, scanner } = await serialScanner({ terminator: term, maxLength });
      for (const c of chunks) {
        transport.push(c);
        expect(scanner.pendingBytes).toBeLessThanOrEqual(maxLength + 1);
        clock.advance(Math.floor(c.length / 3));
      }
      // After the inter-character timeout nothing is held at all.
      clock.advance(1000);
      expect(scanner.pendingBytes).toBe(0);
    },
  );

  test.prop([
    fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 20 }),
    terminator,
    fc.integer({ min: 1, max: 64 }),
  ])('the framer alone: every line it emits is within maxLength', (chunks, term, maxLength) => {
    const framer = new LineFramer({ terminator: term, maxLength });
    for (const c of chunks)
      for (const line of framer.push(c))
        if (line.kind === 'line') expect(line.bytes.length).toBeLessThanOrEqual(maxLength);
  });
});

describe('HID decoders under noise', () => {
  const report = fc.oneof(
    fc.uint8Array({ minLength: 0, maxLength: 70 }),
    fc.uint8Array({ minLength: 8, maxLength: 8 }),
    fc.uint8Array({ minLength: 64, maxLength: 64 }).map((r) => {
      r[0] = 0x02;
      return r;
    }),
    // Typing without Enter: modifiers, then up to 6 character usages (a–z, digits, symbols).
    fc
      .tuple(
        fc.integer({ min: 0, max: 0xff }),
        fc.array(fc.integer({ min: 0x04, max: 0x27 }), { maxLength: 6 }),
      )
      .map(([modifiers, keys]) => Uint8Array.from([modifiers, 0, ...keys, 0, 0, 0, 0, 0, 0].slice(0, 8))),
  );

  test.prop([fc.array(report, { maxLength: 200 }), fc.integer({ min: 1, max: 64 })])(
    'random reports never throw, never hold more than maxLength + 1, never emit an over-long code',
    (reports, maxLength) => {
      for (const decoder of [new BootKeyboardDecoder({ maxLength }), new HidPosDecoder({ maxLength })]) {
        const outputs: HidDecodeOutput[] = [];
        for (const r of reports) {
          outputs.push(...decoder.push(r));
          expect(decoder.heldLength).toBeLessThanOrEqual(maxLength + 1);
        }
        for (const o of outputs) if (o.kind === 'code') expect(o.bytes.length).toBeLessThanOrEqual(maxLength);
      }
    },
  );
});
