import { describe, expect, it } from 'vitest';
import type { Credential, Person } from '../../gateway/domain/model.js';
import { normaliseCredentialValue, RegistrySnapshot } from '../../gateway/registry/snapshot.js';

const T = Date.UTC(2022, 3, 10);
const H = 3_600_000;

const persons: Person[] = [
  { id: 'a', kind: 'resident', householdId: '3-2-501' },
  { id: 'b', kind: 'resident', householdId: '3-2-502' },
  { id: 'c', kind: 'resident', householdId: '5-1-101' },
  { id: 'orphan', kind: 'resident', householdId: 'gone' },
  { id: 's', kind: 'staff', shifts: ['day'] },
  { id: 'v', kind: 'visitor' },
];
const workcert = (id: string, extra: Partial<Credential>): Credential => ({
  id,
  kind: 'workcert',
  value: id,
  holderId: 's',
  ...extra,
});

const snapshot = new RegistrySnapshot({
  households: [
    { id: '3-2-501', building: '3', unit: '2', room: '501', designatedMemberIds: ['a'] },
    { id: '3-2-502', building: '3', unit: '2', room: '502', designatedMemberIds: [] },
    { id: '5-1-101', building: '5', unit: '1', room: '101', designatedMemberIds: [] },
  ],
  persons,
  credentials: [
    { id: 'c1', kind: 'card', value: '04A22B9C', holderId: 'a' },
    { id: 'c2', kind: 'qr', value: '04A22B9C', holderId: 'b' },
    { id: 'p1', kind: 'plate', value: '京A12345', holderId: 'car' },
  ],
  visitors: [
    { id: 'r1', personId: 'v', escortIds: ['a'], validFrom: T, validUntil: T + H, travel: [] },
    { id: 'r2', personId: 'v', escortIds: ['a'], validFrom: T + 24 * H, validUntil: T + 25 * H, travel: [] },
  ],
  quarantineOrders: [
    { id: 'q-person', kind: 'home', target: { person: 'a' }, from: T, until: T + H },
    { id: 'q-household', kind: 'home', target: { household: '3-2-502' }, from: T, until: T + H },
    { id: 'q-building', kind: 'centralised', target: { building: '3' }, from: T, until: T + H },
    { id: 'q-unit', kind: 'home', target: { building: '5', unit: '1' }, from: T, until: T + H },
    { id: 'q-other-unit', kind: 'home', target: { building: '5', unit: '2' }, from: T, until: T + H },
  ],
  highRiskRegions: [{ code: '420100', since: T - 24 * H }],
  vehicles: [{ id: 'car', plate: '京A12345', kind: 'resident', permit: {} }],
});

const person = (id: string): Person => {
  const p = snapshot.person(id);
  if (!p) throw new Error(`no person ${id}`);
  return p;
};
const orderIds = (id: string) =>
  snapshot
    .quarantineOrders(person(id))
    .map((q) => q.id)
    .sort();

describe('RegistrySnapshot', () => {
  it('finds credentials by kind and normalised value, and only by both', () => {
    expect(snapshot.credential('card', '04A22B9C')?.holderId).toBe('a');
    expect(snapshot.credential('qr', '04A22B9C')?.holderId).toBe('b');
    expect(snapshot.credential('idcard', '04A22B9C')).toBeUndefined();
    expect(snapshot.credential('plate', normaliseCredentialValue('plate', '京a·12345'))?.holderId).toBe(
      'car',
    );
  });

  it('finds persons, households, vehicles and regions by id', () => {
    expect(snapshot.household('3-2-501')?.designatedMemberIds).toEqual(['a']);
    expect(snapshot.vehicle('car')?.plate).toBe('京A12345');
    expect(snapshot.highRiskRegion('420100')?.since).toBe(T - 24 * H);
    expect(snapshot.person('nobody')).toBeUndefined();
    expect(snapshot.size).toMatchObject({ persons: 6, credentials: 3, quarantineOrders: 5 });
  });

  it('finds quarantine orders by person, household, building and unit', () => {
    expect(orderIds('a')).toEqual(['q-building', 'q-person']);
    expect(orderIds('b')).toEqual(['q-building', 'q-household']);
    expect(orderIds('c')).toEqual(['q-unit']);
    expect(orderIds('s')).toEqual([]);
    expect(orderIds('orphan')).toEqual([]);
  });

  it('lists visitor registrations of a person, any validity', () => {
    expect(snapshot.visitorRegistrations('v').map((r) => r.id)).toEqual(['r1', 'r2']);
    expect(snapshot.visitorRegistrations('a')).toEqual([]);
  });

  it('checks work certificates for validity and revocation', () => {
    const s = new RegistrySnapshot({
      persons,
      credentials: [
        workcert('expired', { validUntil: T }),
        workcert('future', { validFrom: T + 2 * H }),
        workcert('revoked', { validFrom: T - H, revokedAt: T + H }),
      ],
    });
    expect(s.hasValidWorkCertificate('s', T - 1)).toBe(true); // 'expired' still valid
    expect(s.hasValidWorkCertificate('s', T)).toBe(true); // 'revoked' not yet revoked
    expect(s.hasValidWorkCertificate('s', T + H)).toBe(false); // validUntil exclusive, revoked at T+H
    expect(s.hasValidWorkCertificate('s', T + 2 * H)).toBe(true); // 'future' from T+2H inclusive
    expect(s.hasValidWorkCertificate('a', T)).toBe(false);
  });

  it('holds the entities it was given, without copying them', () => {
    expect(snapshot.person('a')).toBe(persons[0]);
  });
});

describe('normaliseCredentialValue', () => {
  it.each([
    ['card', '04:a2-2b 9c', '04A22B9C'],
    ['plate', ' 京a·12345 ', '京A12345'],
    ['plate', '京Ａ　１２３４５', '京A12345'],
    ['plate', 'yue-b 88888', 'YUEB88888'],
    ['idcard', ' ABCDEF ', 'abcdef'],
    ['qr', ' PASS-1 ', 'PASS-1'],
    ['workcert', 'wc-001', 'wc-001'],
  ] as const)('%s %j → %j', (kind, value, expected) => {
    expect(normaliseCredentialValue(kind, value)).toBe(expected);
  });
});
