import { describe, expect, it } from 'vitest';
import { LED_COLOR, PDCAP_FUNCTION } from '../../drivers/osdp/messages/codes.js';
import {
  annunciatorsOf,
  denyText,
  indicationCommands,
  NO_ANNUNCIATORS,
} from '../../drivers/osdp/reader-indications.js';
import type { Decision } from '../../gateway/rules/types.js';

const ALL = { led: true, buzzer: true, text: true };

describe('reader indications', () => {
  it('reads LEDs, buzzer and display off PDCAP, a compliance of 0 meaning none', () => {
    expect(
      annunciatorsOf([
        { func: PDCAP_FUNCTION.READER_LED, compliance: 4, items: 1 },
        { func: PDCAP_FUNCTION.READER_AUDIBLE, compliance: 0, items: 1 },
        { func: PDCAP_FUNCTION.CONTACT_STATUS, compliance: 1, items: 4 },
      ]),
    ).toEqual({ led: true, buzzer: false, text: false });
    expect(annunciatorsOf([])).toEqual(NO_ANNUNCIATORS);
  });

  it('sends only what the reader has, and text only when given', () => {
    const types = (shows: typeof ALL, text?: string) =>
      indicationCommands(0, shows, LED_COLOR.RED, 'long', text).map((c) => c.type);
    expect(types(ALL, 'UNKNOWN CREDENTIAL')).toEqual(['LED', 'BUZ', 'TEXT']);
    expect(types(ALL)).toEqual(['LED', 'BUZ']);
    expect(types({ led: true, buzzer: false, text: false }, 'X')).toEqual(['LED']);
    expect(types(NO_ANNUNCIATORS, 'X')).toEqual([]);
  });

  it('a pass: steady LED and a 100-ms beep; a refusal: flashing LED and a 1-s beep', () => {
    const [passLed, passBuz] = indicationCommands(1, ALL, LED_COLOR.GREEN, 'short');
    expect(passLed).toMatchObject({
      type: 'LED',
      leds: [{ reader: 1, tempOnColor: LED_COLOR.GREEN, tempOffColor: LED_COLOR.GREEN }],
    });
    expect(passBuz).toMatchObject({ type: 'BUZ', buzzers: [{ reader: 1, on100ms: 1 }] });
    const [denyLed, denyBuz] = indicationCommands(1, ALL, LED_COLOR.RED, 'long');
    expect(denyLed).toMatchObject({ leds: [{ tempOnColor: LED_COLOR.RED, tempOffColor: LED_COLOR.OFF }] });
    expect(denyBuz).toMatchObject({ buzzers: [{ on100ms: 10 }] });
  });

  it("shows the first deny reason's English title in ASCII capitals", () => {
    const decision: Decision = {
      allow: false,
      reasons: [
        { effect: 'grant', code: 'RESIDENT' },
        { effect: 'deny', code: 'UNKNOWN_CREDENTIAL' },
      ],
      subject: { kind: 'unknown' },
      direction: 'in',
      actions: [],
    };
    expect(denyText(decision)).toBe('UNKNOWN CREDENTIAL');
    expect(denyText({ ...decision, reasons: [] })).toBe('DENIED');
  });
});
