import { isDenyCode, REASON_TITLES } from '../../gateway/rules/reasons.js';
import type { Decision } from '../../gateway/rules/types.js';
import type { PdCapability } from './link/pd-link.js';
import {
  BUZ_TONE,
  LED_COLOR,
  LED_PERM_CONTROL,
  LED_TEMP_CONTROL,
  PDCAP_FUNCTION,
  TEXT_CONTROL,
} from './messages/codes.js';
import type { OsdpCommand } from './messages/commands.js';

/**
 * What a reader shows a person, as OSDP commands: pure, so the door adapter only queues them.
 * `short`: a pass (steady LED for 3 s, a 100-ms beep); `long`: anything else (flashing LED for
 * 2 s, a 1-s beep). Each command goes only to a reader that has the part: a reader NAKs a
 * command for what it lacks, which costs bus time and counts as an error.
 */
export type Beep = 'short' | 'long';

/** What a reader has, from its PDCAP. */
export interface Annunciators {
  led: boolean;
  buzzer: boolean;
  text: boolean;
}

export const NO_ANNUNCIATORS: Annunciators = { led: false, buzzer: false, text: false };

const TEXT_MAX = 32;

/** PDCAP functions 4, 5 and 6 with a compliance level above 0: LEDs, a buzzer, a display. */
export function annunciatorsOf(capabilities: readonly PdCapability[]): Annunciators {
  const has = (func: number) => capabilities.some((c) => c.func === func && c.compliance > 0);
  return {
    led: has(PDCAP_FUNCTION.READER_LED),
    buzzer: has(PDCAP_FUNCTION.READER_AUDIBLE),
    text: has(PDCAP_FUNCTION.READER_TEXT),
  };
}

/** LED, buzzer and (when given and the reader has a display) text, in that order. */
export function indicationCommands(
  reader: number,
  shows: Annunciators,
  color: number,
  beep: Beep,
  text?: string,
): OsdpCommand[] {
  const seconds = beep === 'short' ? 3 : 2;
  const commands: OsdpCommand[] = [];
  if (shows.led) commands.push(ledCommand(reader, color, beep, seconds));
  if (shows.buzzer) {
    const on100ms = beep === 'short' ? 1 : 10;
    commands.push({
      type: 'BUZ',
      buzzers: [{ reader, tone: BUZ_TONE.DEFAULT, on100ms, off100ms: 0, count: 1 }],
    });
  }
  if (text !== undefined && shows.text) {
    commands.push({
      type: 'TEXT',
      reader,
      control: TEXT_CONTROL.TEMP_NO_WRAP,
      tempSeconds: seconds,
      row: 1,
      column: 1,
      text: text.slice(0, TEXT_MAX),
    });
  }
  return commands;
}

/** The reader's display takes ASCII: the English title of the first deny reason. */
export function denyText(decision: Decision): string {
  const deny = decision.reasons.find((r) => r.effect === 'deny');
  if (!deny || !isDenyCode(deny.code)) return 'DENIED';
  return REASON_TITLES[deny.code].en.replace(/[^\x20-\x7e]/g, '').toUpperCase();
}

/** The reader's first LED: steady for a pass, flashing for anything else, for `seconds`. */
function ledCommand(reader: number, color: number, beep: Beep, seconds: number): OsdpCommand {
  return {
    type: 'LED',
    leds: [
      {
        reader,
        led: 0,
        tempControl: LED_TEMP_CONTROL.SET,
        tempOn100ms: beep === 'short' ? 10 : 2,
        tempOff100ms: beep === 'short' ? 0 : 2,
        tempOnColor: color,
        tempOffColor: beep === 'short' ? color : LED_COLOR.OFF,
        tempTimer100ms: seconds * 10,
        permControl: LED_PERM_CONTROL.NOP,
        permOn100ms: 0,
        permOff100ms: 0,
        permOnColor: 0,
        permOffColor: 0,
      },
    ],
  };
}
