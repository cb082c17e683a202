import type { Direction, ShiftId, SiteMode } from '../domain/model.js';
import type { AlarmCode } from '../journal/events.js';
import type { DenyCode, Message } from '../rules/reasons.js';

/**
 * Short labels for report lines: zh-CN first, English beside it. (`REASON_MESSAGES` are the
 * sentences shown to the person at the gate; a report needs a noun phrase.) Typed as complete
 * records, so a new code does not compile until it has a label.
 */

export const DENY_LABELS: Readonly<Record<DenyCode, Message>> = {
  GATE_CLOSED: { zh: '非主出入口', en: 'Gate closed' },
  LOCKDOWN: { zh: '封控', en: 'Lockdown' },
  NO_CREDENTIAL: { zh: '未出示证件', en: 'No credential' },
  UNKNOWN_CREDENTIAL: { zh: '证件未登记', en: 'Unknown credential' },
  CREDENTIAL_EXPIRED: { zh: '证件过期', en: 'Credential expired' },
  CREDENTIAL_REVOKED: { zh: '证件已注销', en: 'Credential revoked' },
  IDCARD_INVALID: { zh: '身份证号校验失败', en: 'ID number invalid' },
  TEMPERATURE_REQUIRED: { zh: '未测体温', en: 'Temperature not taken' },
  FEVER: { zh: '体温异常', en: 'Fever' },
  NO_MASK: { zh: '未戴口罩', en: 'No mask' },
  QUARANTINED: { zh: '隔离期内', en: 'Under quarantine' },
  HOUSEHOLD_QUOTA_EXCEEDED: { zh: '本户外出次数已满', en: 'Household exit quota used up' },
  NOT_DESIGNATED_MEMBER: { zh: '非指定外出人员', en: 'Not the designated member' },
  VISITOR_NOT_REGISTERED: { zh: '访客未登记', en: 'Visitor not registered' },
  ESCORT_REQUIRED: { zh: '访客无人陪同', en: 'Escort required' },
  HIGH_RISK_ORIGIN: { zh: '到过中高风险地区', en: 'High-risk origin' },
  DELIVERY_NOT_ALLOWED: { zh: '快递外卖禁入', en: 'Delivery not allowed' },
  VEHICLE_NO_PERMIT: { zh: '车辆无通行证', en: 'Vehicle without permit' },
  VEHICLE_DISINFECTION_DUE: { zh: '车辆未消毒', en: 'Vehicle disinfection due' },
  ANTI_PASSBACK: { zh: '防潜回', en: 'Anti-passback' },
  INVALID_SIGNATURE: { zh: '二维码签名无效', en: 'QR signature invalid' },
  REPLAYED_CODE: { zh: '二维码重复使用', en: 'QR code replayed' },
};

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
    (DENY_LABELS as Readonly<Record<string, Message>>)[code];
  return message ? `${label(message)} (${code})` : code;
}
