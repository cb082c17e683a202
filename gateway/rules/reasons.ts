/**
 * The one catalogue of reason codes. These codes are the gateway's public contract
 * (`../shared/domain/RULES.md`): they appear in decisions, the journal, telemetry, the dashboard
 * and the CLI, and never change meaning. Add codes; never rename or reuse one.
 */

export const DENY_CODES = [
  'GATE_CLOSED',
  'BUILDING_SEALED',
  'LOCKDOWN',
  'NOT_THIS_BUILDING',
  'NO_CREDENTIAL',
  'UNKNOWN_CREDENTIAL',
  'CREDENTIAL_EXPIRED',
  'CREDENTIAL_REVOKED',
  'IDCARD_INVALID',
  'TEMPERATURE_REQUIRED',
  'FEVER',
  'TEMPERATURE_REMEASURE',
  'NO_MASK',
  'QUARANTINED',
  'HOUSEHOLD_QUOTA_EXCEEDED',
  'NOT_DESIGNATED_MEMBER',
  'VISITOR_NOT_REGISTERED',
  'ESCORT_REQUIRED',
  'HIGH_RISK_ORIGIN',
  'DELIVERY_NOT_ALLOWED',
  'VEHICLE_NO_PERMIT',
  'VEHICLE_DISINFECTION_DUE',
  'ANTI_PASSBACK',
  'INVALID_SIGNATURE',
  'REPLAYED_CODE',
  'DATA_STALE',
  'JOURNAL_UNAVAILABLE',
] as const;

export const GRANT_CODES = [
  'RESIDENT',
  'STAFF',
  'VISITOR_ESCORTED',
  /** A registered visitor or repair worker where the mode does not ask for an escort. */
  'VISITOR_REGISTERED',
  'VEHICLE_PERMIT',
  'EMERGENCY_OVERRIDE',
  'FIRE_RELEASE',
] as const;

/**
 * Notices accompany an allow without denying it, e.g. a home-quarantined resident let back
 * in raises an alarm. A notice code may share its name with a deny code when RULES.md gives
 * one code both outcomes (QUARANTINED: denied out, let in with an alarm).
 */
export const NOTICE_CODES = ['QUARANTINED', 'FEVER', 'DATA_STALE'] as const;

export type DenyCode = (typeof DENY_CODES)[number];
export type GrantCode = (typeof GRANT_CODES)[number];
export type NoticeCode = (typeof NOTICE_CODES)[number];
export type ReasonCode = DenyCode | GrantCode;

export interface Message {
  zh: string;
  en: string;
}

/** Messages shown to the person at the gate and to operators: zh-CN first, English beside it. */
export const REASON_MESSAGES: Readonly<Record<ReasonCode, Message>> = {
  GATE_CLOSED: { zh: '此门已关闭，请走主出入口', en: 'This gate is closed; use the main entrance' },
  BUILDING_SEALED: { zh: '本楼已封闭，禁止进出', en: 'Building sealed: nobody in or out' },
  LOCKDOWN: { zh: '小区封控中，禁止进出', en: 'Community in lockdown: nobody in or out' },
  NOT_THIS_BUILDING: { zh: '非本楼住户，请勿进入', en: 'Not a resident of this building' },
  NO_CREDENTIAL: { zh: '请出示出入证或身份证', en: 'Show your pass card or ID card' },
  UNKNOWN_CREDENTIAL: { zh: '证件未登记', en: 'Credential not registered' },
  CREDENTIAL_EXPIRED: { zh: '证件不在有效期内', en: 'Credential outside its validity' },
  CREDENTIAL_REVOKED: { zh: '证件已注销', en: 'Credential revoked' },
  IDCARD_INVALID: { zh: '身份证号码校验失败', en: 'ID number fails its check digit or date' },
  TEMPERATURE_REQUIRED: { zh: '请先测量体温', en: 'Take your temperature first' },
  FEVER: { zh: '体温异常，请原地等候', en: 'Temperature too high: please wait here' },
  TEMPERATURE_REMEASURE: { zh: '体温偏高，请复测', en: 'Temperature high: re-measure' },
  NO_MASK: { zh: '请佩戴口罩', en: 'Please wear a mask' },
  QUARANTINED: { zh: '隔离期内不得外出', en: 'Under quarantine: may not leave' },
  HOUSEHOLD_QUOTA_EXCEEDED: { zh: '本户外出次数已用完', en: 'Household exit quota used up' },
  NOT_DESIGNATED_MEMBER: { zh: '非本户指定外出人员', en: 'Not the household’s designated member' },
  VISITOR_NOT_REGISTERED: { zh: '访客未实名登记', en: 'Visitor not registered by real name' },
  ESCORT_REQUIRED: { zh: '访客须由住户陪同', en: 'Visitor must be led in by a resident' },
  HIGH_RISK_ORIGIN: { zh: '14天内到过中高风险地区', en: 'Travelled to a high-risk region within 14 days' },
  DELIVERY_NOT_ALLOWED: {
    zh: '快递外卖不得入内，请在门口取件',
    en: 'Couriers stay outside: collect at the gate',
  },
  VEHICLE_NO_PERMIT: { zh: '车辆无通行证', en: 'Vehicle has no permit' },
  VEHICLE_DISINFECTION_DUE: { zh: '车辆需先消毒', en: 'Vehicle must be disinfected first' },
  ANTI_PASSBACK: { zh: '此证件已入场，未曾离开', en: 'Credential already inside (anti-passback)' },
  INVALID_SIGNATURE: { zh: '二维码无效', en: 'QR pass signature invalid' },
  REPLAYED_CODE: { zh: '二维码已使用或已过期', en: 'QR code already used or out of its time step' },
  DATA_STALE: { zh: '登记数据过期，请联系值班员', en: 'Registry data out of date: see the guard' },
  JOURNAL_UNAVAILABLE: {
    zh: '系统无法记录通行，请联系值班员',
    en: 'Passes cannot be recorded: see the guard',
  },
  RESIDENT: { zh: '住户，请通行', en: 'Resident: please pass' },
  STAFF: { zh: '工作人员，请通行', en: 'Staff: please pass' },
  VISITOR_ESCORTED: { zh: '访客（有陪同），请通行', en: 'Escorted visitor: please pass' },
  VISITOR_REGISTERED: { zh: '已登记访客，请通行', en: 'Registered visitor: please pass' },
  VEHICLE_PERMIT: { zh: '车辆已登记，请通行', en: 'Vehicle with permit: please pass' },
  EMERGENCY_OVERRIDE: { zh: '紧急放行', en: 'Emergency override' },
  FIRE_RELEASE: { zh: '消防联动，全部放行', en: 'Fire alarm: all lanes released' },
};

/**
 * Short titles of the deny codes for reports and dashboards: a noun phrase where
 * REASON_MESSAGES holds the sentence shown to the person at the gate.
 */
export const REASON_TITLES: Readonly<Record<DenyCode, Message>> = {
  GATE_CLOSED: { zh: '非主出入口', en: 'Gate closed' },
  BUILDING_SEALED: { zh: '楼栋封闭', en: 'Building sealed' },
  LOCKDOWN: { zh: '封控', en: 'Lockdown' },
  NOT_THIS_BUILDING: { zh: '非本楼人员', en: 'Not this building' },
  NO_CREDENTIAL: { zh: '未出示证件', en: 'No credential' },
  UNKNOWN_CREDENTIAL: { zh: '证件未登记', en: 'Unknown credential' },
  CREDENTIAL_EXPIRED: { zh: '证件过期', en: 'Credential expired' },
  CREDENTIAL_REVOKED: { zh: '证件已注销', en: 'Credential revoked' },
  IDCARD_INVALID: { zh: '身份证号校验失败', en: 'ID number invalid' },
  TEMPERATURE_REQUIRED: { zh: '未测体温', en: 'Temperature not taken' },
  FEVER: { zh: '体温异常', en: 'Fever' },
  TEMPERATURE_REMEASURE: { zh: '体温待复测', en: 'Temperature re-measure' },
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
  DATA_STALE: { zh: '登记数据过期', en: 'Registry data out of date' },
  JOURNAL_UNAVAILABLE: { zh: '通行记录不可写', en: 'Journal unavailable' },
};

export const NOTICE_MESSAGES: Readonly<Record<NoticeCode, Message>> = {
  QUARANTINED: { zh: '居家隔离人员返家，已报警', en: 'Home-quarantined person returning: alarm raised' },
  FEVER: { zh: '发热人员，已报警', en: 'Person with fever passed under override: alarm raised' },
  DATA_STALE: {
    zh: '登记数据过期，本次通行已记录',
    en: 'Registry data out of date: decision recorded as such',
  },
};

const denySet: ReadonlySet<string> = new Set(DENY_CODES);
const grantSet: ReadonlySet<string> = new Set(GRANT_CODES);

export function isDenyCode(code: string): code is DenyCode {
  return denySet.has(code);
}

export function isGrantCode(code: string): code is GrantCode {
  return grantSet.has(code);
}
