/**
 * A small community for rule tests: one of every kind of person, credential and vehicle the
 * rules distinguish. Instants are fixed so that tests never read the clock.
 */
import type { Credential, Direction, LaneKind, SiteMode } from '../../gateway/domain/model.js';
import { normaliseCredentialValue } from '../../gateway/registry/credential-value.js';
import { RegistrySnapshot } from '../../gateway/registry/snapshot.js';
import type { LaneContext, Policy, TemperatureReading } from '../../gateway/rules/types.js';

export const NOW = Date.UTC(2022, 3, 10, 2, 0, 0); // 2022-04-10 10:00 in Asia/Shanghai
const H = 3600_000;
const D = 24 * H;

export function policy(mode: SiteMode, overrides: Partial<Policy> = {}): Policy {
  return {
    mode,
    feverThresholdC: 37.3,
    temperatureWindowMs: 10_000,
    temperatureDirections: ['in', 'out'],
    maskRequired: true,
    escortWindowMs: 30_000,
    householdQuota: { exits: 1, periodMs: 48 * H },
    highRiskLookbackMs: 14 * D,
    disinfectionPeriodMs: 24 * H,
    antiPassback: true,
    repairNeedsEscort: false,
    unlockMs: 5000,
    ...overrides,
  };
}

/** A card value in the registry's normal form: `C-RES1` → `CRES1`, as a reader would present it. */
export const cardValue = (name: string) => normaliseCredentialValue('card', name);

const card = (id: string, holderId: string, extra: Partial<Credential> = {}): Credential => ({
  id,
  kind: 'card',
  value: cardValue(id),
  holderId,
  ...extra,
});

/** Card values are the credential ids in normal form: `c-res1` → `CRES1`. */
export const registry = new RegistrySnapshot({
  households: [
    { id: '3-2-501', building: '3', unit: '2', room: '501', designatedMemberIds: ['res1'] },
    { id: '3-2-502', building: '3', unit: '2', room: '502', designatedMemberIds: [] },
    { id: '5-1-101', building: '5', unit: '1', room: '101', designatedMemberIds: [] },
  ],
  persons: [
    { id: 'res1', kind: 'resident', householdId: '3-2-501' },
    { id: 'res2', kind: 'resident', householdId: '3-2-501' },
    { id: 'res3', kind: 'resident', householdId: '3-2-502' },
    { id: 'qhome', kind: 'resident', householdId: '3-2-502' },
    { id: 'qcentral', kind: 'resident', householdId: '3-2-502' },
    { id: 'sealed', kind: 'resident', householdId: '5-1-101' },
    { id: 'staff1', kind: 'staff', shifts: ['day'] },
    { id: 'staff-nocert', kind: 'staff' },
    { id: 'vis1', kind: 'visitor' },
    { id: 'vis-risk', kind: 'visitor' },
    { id: 'vis-unreg', kind: 'visitor' },
    { id: 'courier1', kind: 'courier' },
    { id: 'repair1', kind: 'repair' },
  ],
  credentials: [
    card('c-res1', 'res1'),
    card('c-res2', 'res2'),
    card('c-res3', 'res3'),
    card('c-qhome', 'qhome'),
    card('c-qcentral', 'qcentral'),
    card('c-sealed', 'sealed'),
    card('c-staff1', 'staff1'),
    card('c-staff-nocert', 'staff-nocert'),
    card('c-vis-risk', 'vis-risk'),
    card('c-vis-unreg', 'vis-unreg'),
    card('c-courier1', 'courier1'),
    card('c-repair1', 'repair1'),
    card('c-expired', 'res3', { validUntil: NOW - D }),
    card('c-future', 'res3', { validFrom: NOW + D }),
    card('c-revoked', 'res3', { revokedAt: NOW - H }),
    card('c-orphan', 'nobody'),
    { id: 'w-staff1', kind: 'workcert', value: 'WC-001', holderId: 'staff1', validUntil: NOW + 30 * D },
    {
      id: 'w-staff-nocert',
      kind: 'workcert',
      value: 'WC-002',
      holderId: 'staff-nocert',
      validUntil: NOW - D,
    },
    { id: 'i-vis1', kind: 'idcard', value: 'hash-vis1', holderId: 'vis1' },
    { id: 'q-res2', kind: 'qr', value: 'PASS-RES2', holderId: 'res2' },
    { id: 'p-res', kind: 'plate', value: '京A12345', holderId: 'v-res' },
    { id: 'p-work', kind: 'plate', value: '京B00001', holderId: 'v-work' },
    { id: 'p-work-fresh', kind: 'plate', value: '京B00002', holderId: 'v-work-fresh' },
    { id: 'p-out', kind: 'plate', value: '沪C99999', holderId: 'v-out' },
    { id: 'p-lapsed', kind: 'plate', value: '京A54321', holderId: 'v-lapsed' },
  ],
  visitors: [
    {
      id: 'r-vis1',
      personId: 'vis1',
      escortIds: ['res1'],
      validFrom: NOW - H,
      validUntil: NOW + 8 * H,
      travel: [],
    },
    {
      id: 'r-vis-risk',
      personId: 'vis-risk',
      escortIds: ['res1'],
      validFrom: NOW - H,
      validUntil: NOW + 8 * H,
      travel: [{ region: '420100', at: NOW - 5 * D }],
    },
    {
      id: 'r-vis-unreg-old',
      personId: 'vis-unreg',
      escortIds: ['res1'],
      validFrom: NOW - 3 * D,
      validUntil: NOW - 2 * D,
      travel: [],
    },
    {
      id: 'r-repair1',
      personId: 'repair1',
      escortIds: ['res3'],
      validFrom: NOW - H,
      validUntil: NOW + H,
      travel: [],
    },
  ],
  quarantineOrders: [
    { id: 'q1', kind: 'home', target: { person: 'qhome' }, from: NOW - 2 * D, until: NOW + 5 * D },
    { id: 'q2', kind: 'centralised', target: { person: 'qcentral' }, from: NOW - 2 * D, until: NOW + 12 * D },
    { id: 'q3', kind: 'home', target: { building: '5', unit: '1' }, from: NOW - D, until: NOW + 13 * D },
    {
      id: 'q-lifted',
      kind: 'home',
      target: { person: 'res3' },
      from: NOW - 2 * D,
      until: NOW + 5 * D,
      liftedAt: NOW - H,
    },
  ],
  highRiskRegions: [{ code: '420100', since: NOW - 30 * D }],
  vehicles: [
    {
      id: 'v-res',
      plate: '京A12345',
      kind: 'resident',
      householdId: '3-2-501',
      permit: { validUntil: NOW + 90 * D },
    },
    { id: 'v-work', plate: '京B00001', kind: 'work', permit: {}, disinfectedAt: NOW - 2 * D },
    { id: 'v-work-fresh', plate: '京B00002', kind: 'work', permit: {}, disinfectedAt: NOW - H },
    { id: 'v-out', plate: '沪C99999', kind: 'outside' },
    { id: 'v-lapsed', plate: '京A54321', kind: 'resident', permit: { validUntil: NOW - D } },
  ],
});

export interface ContextOptions {
  primary?: boolean;
  kind?: LaneKind;
  direction?: Direction;
  fire?: boolean;
  temperature?: TemperatureReading | null;
  escorts?: Record<string, number>;
  lastDirections?: Record<string, Direction>;
  exits?: Record<string, number[]>;
  seenCodes?: string[];
}

/** A healthy reading taken 2 s before NOW, with a mask. */
export const GOOD_READING: TemperatureReading = { at: NOW - 2000, celsius: 36.5, mask: true };

/**
 * A lane context from plain data, for rule tests. The real one is the checkpoint's SiteState;
 * this one applies the same window semantics so that the rules see the same answers.
 */
export function laneContext(o: ContextOptions = {}, p: Policy = policy('closed')): LaneContext {
  const reading = o.temperature === undefined ? GOOD_READING : o.temperature;
  const kind = o.kind ?? 'pedestrian';
  return {
    gate: { id: o.primary === false ? 'east' : 'north', primary: o.primary ?? true },
    lane: { id: `${kind}-${o.direction ?? 'in'}`, kind, direction: o.direction ?? 'in' },
    fireAlarm: o.fire ?? false,
    latestTemperature: (at) =>
      reading !== null && reading.at <= at && at - reading.at <= p.temperatureWindowMs ? reading : undefined,
    escortPresented: (ids, at) =>
      ids.some((id) => {
        const t = o.escorts?.[id];
        return t !== undefined && t <= at && at - t <= p.escortWindowMs;
      }),
    lastDirection: (id) => o.lastDirections?.[id],
    householdExits: (hh, since) => (o.exits?.[hh] ?? []).filter((t) => t >= since).length,
    codeSeen: (code) => o.seenCodes?.includes(code) ?? false,
  };
}
