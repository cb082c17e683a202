import { describe, expect, it } from 'vitest';
import {
  BootKeyboardDecoder,
  type HidDecodeOutput,
  HidPosDecoder,
  type HidReportDecoder,
} from '../../drivers/scanner/hid-reports.js';
import { US_KEY_FOR_CHAR, US_LAYOUT, USAGE } from '../../drivers/scanner/hid-usage-us.js';
import { keyboardReports, posReports } from '../../simulators/qr/hid-report-writer.js';
import { hex, KEYBOARD_VECTORS, US_PRINTABLE } from '../fixtures/scanner/boot-keyboard.hex.js';
import { POS_VECTORS } from '../fixtures/scanner/hid-pos.hex.js';

function run(decoder: HidReportDecoder, reports: readonly Uint8Array[]): HidDecodeOutput[] {
  return reports.flatMap((r) => decoder.push(r));
}

/** Keyboard outputs as strings: the code's text, or `reject:<reason>`. */
function keyboardCodes(outputs: HidDecodeOutput[]): string[] {
  return outputs.map((o) => (o.kind === 'code' ? o.bytes.toString('latin1') : `reject:${o.reason}`));
}

describe('BootKeyboardDecoder with the §4.2 vectors', () => {
  for (const vector of KEYBOARD_VECTORS) {
    it(vector.name, () => {
      const decoder = new BootKeyboardDecoder({ maxLength: 64 });
      expect(keyboardCodes(run(decoder, vector.reports))).toEqual(vector.expected);
      expect(decoder.pending).toBe(false);
    });
  }

  it('maps every printable ASCII character as the spec table says', () => {
    expect(US_PRINTABLE).toHaveLength(95);
    for (const [char, shift, usage] of US_PRINTABLE) {
      expect(
        US_LAYOUT.get(usage)?.[shift ? 1 : 0],
        `${char} = ${shift ? 'Shift+' : ''}0x${usage.toString(16)}`,
      ).toBe(char);
      expect(US_KEY_FOR_CHAR.get(char)).toEqual({ usage, shift });
    }
  });
});

describe('BootKeyboardDecoder edge cases', () => {
  const decode = (reports: Buffer[], options = {}) =>
    keyboardCodes(run(new BootKeyboardDecoder({ maxLength: 8, ...options }), reports));

  it('a terminator with nothing before it is an empty code', () => {
    expect(decode([hex('00 00 28 00 00 00 00 00')])).toEqual(['reject:empty']);
  });

  it('keys past the maximum are counted, not kept, and reject the code as too long', () => {
    const decoder = new BootKeyboardDecoder({ maxLength: 8 });
    const outputs = run(decoder, keyboardReports('A'.repeat(500), { terminator: null }));
    expect(outputs).toEqual([]);
    expect(decoder.heldLength).toBeLessThanOrEqual(9);
    expect(keyboardCodes(run(decoder, keyboardReports('')))).toEqual(['reject:too-long']);
    expect(decode(keyboardReports('12345678'))).toEqual(['12345678']);
  });

  it('ignores CapsLock and modifier usages listed as keys; Ctrl+Enter does not end the code', () => {
    expect(
      decode([
        hex('00 00 39 00 00 00 00 00'), // CapsLock
        hex('00 00 00 00 00 00 00 00'),
        hex('02 00 E1 04 00 00 00 00'), // LShift listed as a key too, with a
        hex('00 00 00 00 00 00 00 00'),
        hex('01 00 28 00 00 00 00 00'), // Ctrl+Enter: a shortcut, not the end
        hex('00 00 00 00 00 00 00 00'),
        hex('00 00 28 00 00 00 00 00'), // Enter
      ]),
    ).toEqual(['reject:unknown-key']);
  });

  it('Tab ends codes only when configured as a terminator', () => {
    const tabbed = keyboardReports('AB', { terminator: USAGE.TAB });
    expect(decode(tabbed)).toEqual([]);
    expect(decode(tabbed, { terminators: [USAGE.TAB] })).toEqual(['AB']);
  });

  it('strips a configured report ID and ignores reports with another one; other lengths are malformed', () => {
    expect(decode(keyboardReports('Q1', { reportId: 1 }), { reportId: 1 })).toEqual(['Q1']);
    expect(decode(keyboardReports('Q1', { reportId: 3 }), { reportId: 1 })).toEqual([]);
    expect(decode([hex('00 00 04 00 00 00 00')])).toEqual(['reject:malformed-report']);
  });

  it('reset() drops a code begun without its Enter and says how long it was', () => {
    const decoder = new BootKeyboardDecoder({ maxLength: 8 });
    run(decoder, keyboardReports('ABC', { terminator: null }));
    expect(decoder.pending).toBe(true);
    expect(decoder.reset()).toBe(3);
    expect(keyboardCodes(run(decoder, keyboardReports('D')))).toEqual(['D']);
  });

  it('the writer’s typing styles all decode to the text', () => {
    const text = 'Pass:aa//BB"1!';
    for (const options of [
      {},
      { style: 'rollover' as const },
      { repeat: 3 },
      { shiftFirst: true, rightShift: true },
      { style: 'rollover' as const, shiftFirst: true, repeat: 2 },
    ])
      expect(decode(keyboardReports(text, options), { maxLength: 64 })).toEqual([text]);
  });
});

describe('HidPosDecoder with the §4.1 vectors', () => {
  for (const vector of POS_VECTORS) {
    it(vector.name, () => {
      const outputs = run(new HidPosDecoder({ maxLength: 256 }), vector.reports);
      expect(
        outputs.map((o) =>
          o.kind === 'code'
            ? { text: o.bytes.toString('utf8'), ...(o.symbology ? { symbology: o.symbology } : {}) }
            : `reject:${o.reason}`,
        ),
      ).toEqual(vector.expected);
    });
  }

  it('the writer produces the same bytes as the hand-written single-report vector', () => {
    expect(posReports('QR-PASS-0001')).toEqual(POS_VECTORS[0]?.reports);
  });

  it('a code over the maximum is rejected whole, keeping at most maxLength bytes meanwhile', () => {
    const decoder = new HidPosDecoder({ maxLength: 100 });
    const reports = posReports(Buffer.alloc(1000, 0x41));
    const outputs: HidDecodeOutput[] = [];
    for (const r of reports) {
      outputs.push(...decoder.push(r));
      expect(decoder.heldLength).toBeLessThanOrEqual(100);
    }
    expect(outputs).toEqual([{ kind: 'rejected', reason: 'too-long', length: 1000 }]);
  });

  it('rejects a report of the wrong length and an empty code; reset() drops a continued code', () => {
    const decoder = new HidPosDecoder({ maxLength: 100 });
    expect(decoder.push(Buffer.concat([Buffer.of(0x02, 1, 0x5d, 0x51, 0x31, 0x41)]))).toEqual([
      { kind: 'rejected', reason: 'malformed-report', length: 0 },
    ]);
    expect(run(decoder, posReports(''))).toEqual([{ kind: 'rejected', reason: 'empty', length: 0 }]);
    const first = posReports(Buffer.alloc(80, 0x42))[0] as Buffer;
    decoder.push(first);
    expect(decoder.pending).toBe(true);
    expect(decoder.reset()).toBe(56);
    expect(decoder.pending).toBe(false);
  });
});
