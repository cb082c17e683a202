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
  DOOR_FORCED_OPEN: { zh: '门被强行打开', en: 'Door forced open' },
  DOOR_HELD_OPEN: { zh: '门长时间未关', en: 'Door held open' },
  DEVICE_OFFLINE: { zh: '设备离线', en: 'Device offline' },
  SECURE_CHANNEL_REFUSED: { zh: '设备未建立加密通道', en: 'Secure channel refused' },
  DEVICE_TAMPER: { zh: '设备被拆动', en: 'Device tamper' },
  DEVICE_POWER_FAILURE: { zh: '设备电源故障', en: 'Device power failure' },
  CARD_UNREADABLE: { zh: '证件读取失败，请重新放置', en: 'Card could not be read; place it again' },
  KEYPAD_LOCKED: {
    zh: '密码错误次数过多，键盘暂时锁定',
    en: 'Too many wrong codes; keypad locked for a while',
  },
  BARRIER_STUCK: { zh: '道闸卡滞', en: 'Barrier stuck' },
  TAILGATING: { zh: '车辆尾随', en: 'Tailgating' },
  RELAY_FAILURE: { zh: '继电器故障', en: 'Relay failure' },
  TELEMETRY_REFUSED: { zh: '遥测服务器拒绝写入', en: 'Telemetry server refused writes' },
  TELEMETRY_DEAD_LETTER: { zh: '遥测数据点被拒收', en: 'Telemetry point refused' },
  TELEMETRY_THINNED: { zh: '高频遥测已抽稀', en: 'High-rate telemetry thinned' },
  MQTT_AUTH_FAILED: { zh: 'MQTT 客户端认证失败', en: 'MQTT client failed authentication' },
  MQTT_ACCESS_DENIED: { zh: 'MQTT 客户端越权访问', en: 'MQTT client access denied' },
  MQTT_CLIENT_REFUSED: {
    zh: 'MQTT 客户端被断开（超大报文或泛洪）',
    en: 'MQTT client refused (oversized or flooding)',
  },
  UPSTREAM_REQUEST_REFUSED: { zh: '上级请求被拒绝', en: 'Upstream request refused' },
  UPSTREAM_REFUSED: { zh: '上级 MQTT 拒绝连接', en: 'Upstream MQTT broker refused the connection' },
  CAMERA_AUTH_FAILED: { zh: '摄像机拒绝登录', en: 'Camera refused the user or password' },
  CAMERA_CLOCK_SKEW: { zh: '摄像机时钟偏差过大', en: 'Camera clock is off' },
  CAMERA_SILENT: { zh: '测温摄像机无读数', en: 'Thermal camera sends no readings' },
  PATROL_MISSED: { zh: '巡更点漏巡', en: 'Patrol point missed' },
  PATROL_LATE: { zh: '巡更点迟到', en: 'Patrol point late' },
  CHECKPOINT_UNATTENDED: { zh: '卡口无人值守', en: 'Checkpoint unattended' },
  SENSOR_LOW_BATTERY: { zh: '传感器电量低', en: 'Sensor battery low' },
  JOURNAL_UNAVAILABLE: { zh: '通行记录无法写入（磁盘满）', en: 'Journal cannot be written (disk full)' },
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
