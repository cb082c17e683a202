import type { Direction, ShiftId, SiteMode } from '../domain/model.js';
import type { AlarmCode } from '../journal/events.js';
import { type Message, REASON_TITLES } from '../rules/reasons.js';

/**
 * Short labels for report lines: zh-CN first, English beside it. Reason titles live with the
 * reason codes in `rules/reasons.ts` (REASON_TITLES). Typed as complete records, so a new code
 * does not compile until it has a label.
 */

export const ALARM_LABELS: Readonly<Record<AlarmCode, Message>> = {
  OVERDUE_RETURN: { zh: '外出逾期未归', en: 'Overdue return' },
  QUARANTINE_BREACH: { zh: '隔离户开门', en: 'Quarantine breach' },
  JOURNAL_TAMPERED: { zh: '日志被篡改', en: 'Journal tampered' },
};

export const MODE_LABELS: Readonly<Record<SiteMode, Message>> = {
  open: { zh: '常态管理', en: 'open' },
  closed: { zh: '封闭管理', en: 'closed' },
  lockdown: { zh: '封控', en: 'lockdown' },
};

export const SHIFT_LABELS: Readonly<Record<ShiftId, Message>> = {
  day: { zh: '白班', en: 'day shift' },
  evening: { zh: '晚班', en: 'evening shift' },
  night: { zh: '夜班', en: 'night shift' },
};

export const DIRECTION_LABELS: Readonly<Record<Direction, Message>> = {
  in: { zh: '进', en: 'in' },
  out: { zh: '出', en: 'out' },
};

/** `zh en`, the form every report line uses. */
export function label(message: Message): string {
  return `${message.zh} ${message.en}`;
}

/** A label for an alarm code, which may be a deny, notice or gateway alarm code. */
export function alarmLabel(code: string): string {
  const message =
    (ALARM_LABELS as Readonly<Record<string, Message>>)[code] ??
    (REASON_TITLES as Readonly<Record<string, Message>>)[code];
  return message ? `${label(message)} (${code})` : code;
}
