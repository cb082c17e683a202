/**
 * A small community with building entrances, for the building-gate rule tests: buildings 3
 * (units 1 and 2), 5 and 7, one of every kind of person the building rules distinguish, and
 * registries with the quarantine orders a test asks for. Instants are fixed (world.ts's NOW).
 */
import type { SiteLayout } from '../../gateway/checkpoint/checkpoint.js';
import type { BuildingEntrance, Credential, QuarantineOrder } from '../../gateway/domain/model.js';
import { RegistrySnapshot, type RegistrySnapshotInput } from '../../gateway/registry/snapshot.js';
import type { GateRef, LaneContext, Policy, RegistryView } from '../../gateway/rules/types.js';
import { type ContextOptions, cardValue, laneContext, NOW, policy } from './world.js';

const H = 3600_000;
const D = 24 * H;

const card = (id: string, holderId: string): Credential => ({
  id,
  kind: 'card',
  value: cardValue(id),
  holderId,
});

/** Card values are the credential ids in normal form: `c-r31` → `CR31`. */
export const BUILDING_INPUT: RegistrySnapshotInput = {
  households: [
    { id: '3-1-101', building: '3', unit: '1', room: '101', designatedMemberIds: [] },
    { id: '3-2-501', building: '3', unit: '2', room: '501', designatedMemberIds: ['r32'] },
    { id: '5-1-101', building: '5', unit: '1', room: '101', designatedMemberIds: [] },
    { id: '7-1-101', building: '7', unit: '1', room: '101', designatedMemberIds: [] },
  ],
  persons: [
    { id: 'r31', kind: 'resident', householdId: '3-1-101' },
    { id: 'r32', kind: 'resident', householdId: '3-2-501' },
    { id: 'r32b', kind: 'resident', householdId: '3-2-501' },
    { id: 'r5', kind: 'resident', householdId: '5-1-101' },
    { id: 'r7', kind: 'resident', householdId: '7-1-101' },
    { id: 'staff1', kind: 'staff', shifts: ['day'] },
    { id: 'staff-nocert', kind: 'staff' },
    { id: 'vis3', kind: 'visitor' },
    { id: 'vis5', kind: 'visitor' },
    { id: 'vis-nohost', kind: 'visitor' },
    { id: 'repair3', kind: 'repair' },
    { id: 'courier1', kind: 'courier' },
  ],
  credentials: [
    card('c-r31', 'r31'),
    card('c-r32', 'r32'),
    card('c-r32b', 'r32b'),
    card('c-r5', 'r5'),
    card('c-r7', 'r7'),
    card('c-staff1', 'staff1'),
    card('c-staff-nocert', 'staff-nocert'),
    card('c-vis3', 'vis3'),
    card('c-vis5', 'vis5'),
    card('c-vis-nohost', 'vis-nohost'),
    card('c-repair3', 'repair3'),
    card('c-courier1', 'courier1'),
    { id: 'w-staff1', kind: 'workcert', value: 'WC-001', holderId: 'staff1', validUntil: NOW + 30 * D },
    { id: 'p-r5', kind: 'plate', value: '京A55555', holderId: 'v-r5' },
  ],
  visitors: [
    { id: 'g-vis3', personId: 'vis3', escortIds: ['r32'], hostHouseholdId: '3-2-501', travel: [] },
    { id: 'g-vis5', personId: 'vis5', escortIds: ['r5'], hostHouseholdId: '5-1-101', travel: [] },
    { id: 'g-vis-nohost', personId: 'vis-nohost', escortIds: ['r31'], travel: [] },
    { id: 'g-repair3', personId: 'repair3', escortIds: ['r31'], hostHouseholdId: '3-1-101', travel: [] },
  ].map((v) => ({ ...v, validFrom: NOW - H, validUntil: NOW + 8 * H })),
  vehicles: [
    {
      id: 'v-r5',
      plate: '京A55555',
      kind: 'resident',
      householdId: '5-1-101',
      permit: { validUntil: NOW + 90 * D },
    },
  ],
};

/** An order in force around NOW (from a day before, for 14 days). */
export function order(
  id: string,
  target: QuarantineOrder['target'],
  kind: QuarantineOrder['kind'] = 'home',
  extra: Partial<QuarantineOrder> = {},
): QuarantineOrder {
  return { id, kind, target, from: NOW - D, until: NOW + 13 * D, ...extra };
}

/**
 * The snapshot with `entranceOrders` (the exact answer, as RegistryView describes it), and the
 * same view without it (the fallback through the presenter's and host's orders): a building gate
 * must decide the same on both.
 */
export function buildingRegistries(orders: readonly QuarantineOrder[] = []): {
  exact: RegistryView;
  fallback: RegistryView;
} {
  const snapshot = new RegistrySnapshot({ ...BUILDING_INPUT, quarantineOrders: orders });
  const entranceOrders = (e: BuildingEntrance) =>
    orders.filter((o) => {
      const t = o.target;
      return 'building' in t && t.building === e.building && (!('unit' in t) || t.unit === e.unit);
    });
  return { exact: view(snapshot, entranceOrders), fallback: view(snapshot, undefined) };
}

/** The snapshot with `entranceOrders` replaced (or hidden, when undefined); every other member unchanged. */
function view(
  snapshot: RegistrySnapshot,
  entranceOrders: RegistryView['entranceOrders'] | undefined,
): RegistryView {
  return new Proxy(snapshot, {
    get(target, property) {
      if (property === 'entranceOrders') return entranceOrders;
      const member = Reflect.get(target, property, target);
      return typeof member === 'function' ? member.bind(target) : member;
    },
  });
}

export const B3: BuildingEntrance = { building: '3' };
export const B3U1: BuildingEntrance = { building: '3', unit: '1' };
export const B3U2: BuildingEntrance = { building: '3', unit: '2' };

export function buildingGate(entrance: BuildingEntrance): GateRef {
  return { id: `b${entrance.building}${entrance.unit ?? ''}`, kind: 'building', primary: false, entrance };
}

/** world.ts's lane context at a building door: no reading unless one is given. */
export function buildingContext(
  entrance: BuildingEntrance,
  o: ContextOptions = {},
  p: Policy = policy('closed'),
): LaneContext {
  return { ...laneContext({ temperature: null, ...o }, p), gate: buildingGate(entrance) };
}

/** A main gate (primary perimeter) and the entrance of building 3, each with a lane in and out. */
export const PERIMETER_LAYOUT: SiteLayout = {
  gates: [
    {
      id: 'main',
      primary: true,
      lanes: [
        { id: 'main-in', kind: 'pedestrian', direction: 'in' },
        { id: 'main-out', kind: 'pedestrian', direction: 'out' },
      ],
    },
  ],
};

export const BUILDING_LAYOUT: SiteLayout = {
  gates: [
    ...PERIMETER_LAYOUT.gates,
    {
      id: 'b3',
      primary: false,
      kind: 'building',
      building: '3',
      lanes: [
        { id: 'b3-in', kind: 'pedestrian', direction: 'in' },
        { id: 'b3-out', kind: 'pedestrian', direction: 'out' },
      ],
    },
  ],
};
