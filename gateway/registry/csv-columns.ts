import type { CredentialKind, ShiftId, VehicleKind } from '../domain/model.js';
import { SHIFT_IDS } from '../domain/model.js';
import type { DocumentPath } from './fragment.js';

/**
 * The columns of each CSV roster, with the headers community offices actually use. Headers are
 * matched after trimming, lower-casing and turning spaces and hyphens into `_`, so `Person ID`,
 * `person-id` and `person_id` are one column. Columns may come in any order.
 */

export const ROSTER_KINDS = ['residents', 'staff', 'vehicles'] as const;
export type RosterKind = (typeof ROSTER_KINDS)[number];

export interface ColumnSpec {
  /** Canonical name: what problems call the field. */
  name: string;
  required: boolean;
  /** Other accepted headers (Chinese and English). */
  aliases: readonly string[];
}

const col = (name: string, aliases: readonly string[], required = false): ColumnSpec => ({
  name,
  required,
  aliases,
});

const PERSON_ID = col('person_id', ['人员编号']);
const NAME = col('name', ['姓名']);
const ID_NUMBER = col('id_number', [
  '身份证号',
  '身份证号码',
  '公民身份号码',
  '证件号码',
  'idcard',
  'id_card',
]);
const CARD = col('card', ['卡号', '门禁卡号', '门禁卡', 'card_uid']);
const PLATE = col('plate', ['车牌', '车牌号', '车牌号码']);

export const ROSTER_COLUMNS: Record<RosterKind, readonly ColumnSpec[]> = {
  residents: [
    col('building', ['楼栋', '楼号', '栋', '楼'], true),
    col('unit', ['单元', '单元号'], true),
    col('room', ['房号', '房间号', '门牌号', '室'], true),
    PERSON_ID,
    NAME,
    ID_NUMBER,
    CARD,
    col('qr', ['二维码', '通行码', '二维码编号']),
    col('designated', ['指定采购员', '采购员', 'designated_member']),
    PLATE,
  ],
  staff: [
    PERSON_ID,
    NAME,
    ID_NUMBER,
    CARD,
    col('workcert', ['工作证', '工作证号', '工作证编号'], true),
    col('workcert_until', ['工作证有效期至', '工作证有效期', '有效期至']),
    col('shifts', ['班次', 'shift']),
  ],
  vehicles: [
    { ...PLATE, required: true },
    col('kind', ['类型', '车辆类型', 'type'], true),
    col('building', ['楼栋', '楼号', '栋', '楼']),
    col('unit', ['单元', '单元号']),
    col('room', ['房号', '房间号', '门牌号', '室']),
    col('owner_id', ['车主编号', 'owner']),
    col('permit_from', ['通行证起始', '通行证生效', '许可起始']),
    col('permit_until', ['通行证有效期至', '通行证截止', '许可截止']),
    col('disinfected_at', ['消毒时间', '最近消毒']),
  ],
};

/** Columns people keep for themselves (remarks): accepted and ignored. Anything else unknown is a problem. */
export const IGNORED_COLUMNS: ReadonlySet<string> = new Set(['note', 'notes', 'remark', 'remarks', '备注']);

export function normaliseHeader(h: string): string {
  return h
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');
}

/** Header (normalised) → column, for one roster. */
export function headerIndex(roster: RosterKind): Map<string, ColumnSpec> {
  const index = new Map<string, ColumnSpec>();
  for (const spec of ROSTER_COLUMNS[roster]) {
    for (const h of [spec.name, ...spec.aliases]) index.set(normaliseHeader(h), spec);
  }
  return index;
}

const YES = new Set(['yes', 'y', 'true', '1', '是', '√', '✓']);
const NO = new Set(['no', 'n', 'false', '0', '否', '']);

/** `yes`/`no` (and 是/否, 1/0, true/false); empty = no; undefined = not a yes/no. */
export function parseYesNo(text: string): boolean | undefined {
  const t = text.trim().toLowerCase();
  if (YES.has(t)) return true;
  if (NO.has(t)) return false;
  return undefined;
}

const SHIFT_ALIASES = new Map<string, ShiftId>(
  Object.entries({
    day: 'day',
    白班: 'day',
    日班: 'day',
    evening: 'evening',
    晚班: 'evening',
    中班: 'evening',
    night: 'night',
    夜班: 'night',
  }) as [string, ShiftId][],
);

/** `day;night`, `白班、夜班`, `all` / `全部` → shift ids; undefined when a token is not a shift. */
export function parseShifts(text: string): ShiftId[] | undefined {
  const t = text.trim().toLowerCase();
  if (t === 'all' || t === '全部' || t === '全天') return [...SHIFT_IDS];
  const shifts = new Set<ShiftId>();
  for (const token of t.split(/[;,，；、|/\s]+/).filter(Boolean)) {
    const shift = SHIFT_ALIASES.get(token);
    if (!shift) return undefined;
    shifts.add(shift);
  }
  return SHIFT_IDS.filter((s) => shifts.has(s));
}

const VEHICLE_KIND_ALIASES = new Map<string, VehicleKind>(
  Object.entries({
    resident: 'resident',
    住户: 'resident',
    业主: 'resident',
    居民: 'resident',
    staff: 'staff',
    工作人员: 'staff',
    员工: 'staff',
    work: 'work',
    工作车: 'work',
    工作车辆: 'work',
    作业车: 'work',
    outside: 'outside',
    外来: 'outside',
    外来车辆: 'outside',
  }) as [string, VehicleKind][],
);

export function parseVehicleKind(text: string): VehicleKind | undefined {
  return VEHICLE_KIND_ALIASES.get(text.trim().toLowerCase());
}

const HOUSEHOLD = 'building/unit/room';
/** Document keys → roster columns, per section (credentials depend on their kind). */
const COLUMN_OF: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  households: {
    id: HOUSEHOLD,
    building: 'building',
    unit: 'unit',
    room: 'room',
    designatedMembers: 'designated',
  },
  persons: {
    id: 'person_id',
    idHash: 'id_number',
    idMasked: 'id_number',
    name: 'name',
    householdId: HOUSEHOLD,
    shifts: 'shifts',
  },
  vehicles: {
    id: 'plate',
    plate: 'plate',
    kind: 'kind',
    householdId: HOUSEHOLD,
    ownerId: 'owner_id',
    disinfectedAt: 'disinfected_at',
  },
};

/**
 * The roster column a path of a roster's document came from, so that problems found later, at
 * import (a card someone else holds, an ID number already registered), name the column.
 */
export function rosterColumnOf(
  path: DocumentPath,
  credentialKindAt: (index: number) => CredentialKind | undefined,
): string | undefined {
  const [section, index, key] = path;
  if (typeof section !== 'string' || typeof index !== 'number' || typeof key !== 'string') return undefined;
  if (section === 'credentials') {
    const kind = credentialKindAt(index);
    if (kind === 'workcert' && key === 'validUntil') return 'workcert_until';
    return key === 'value' || key === 'id' || key === 'holder' ? kind : undefined;
  }
  if (section === 'vehicles' && key === 'permit')
    return path[3] === 'validFrom' ? 'permit_from' : 'permit_until';
  const columns = Object.hasOwn(COLUMN_OF, section) ? COLUMN_OF[section] : undefined;
  return columns && Object.hasOwn(columns, key) ? columns[key] : undefined;
}
