/**
 * Single-record changes of the registry store (store-edit.ts): put as a one-record merge import,
 * revocation, removal refused while referred to, and the invariant behind those refusals: after
 * any sequence of changes, refused or not, the registry exports as a document that imports again.
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Db, openDatabase } from '../../gateway/db.js';
import { GatewardenError } from '../../gateway/errors.js';
import { hashIdNumber } from '../../gateway/registry/id-number.js';
import { type RecordPut, RegistryStore } from '../../gateway/registry/store.js';
import { syntheticIdNumber } from '../fixtures/registry/synthetic-ids.js';

const NOW = Date.UTC(2022, 3, 10, 2);
const KEY = Buffer.alloc(32, 7);
const ID = [syntheticIdNumber(1), syntheticIdNumber(2), syntheticIdNumber(3)] as const;

function openStore(): { db: Db; store: RegistryStore } {
  const db = openDatabase(':memory:');
  return { db, store: new RegistryStore(db, { key: KEY, now: () => NOW }) };
}

/** The error a call throws (fails the test when it throws none). */
function thrown(call: () => unknown): GatewardenError {
  try {
    call();
  } catch (err) {
    expect(err).toBeInstanceOf(GatewardenError);
    return err as GatewardenError;
  }
  throw new Error('expected a refusal');
}

let db: Db;
let store: RegistryStore;

beforeEach(() => {
  ({ db, store } = openStore());
  store.put({ section: 'households', entry: { id: 'h-1', building: '1', unit: '1', room: '101' } });
  store.put({
    section: 'persons',
    entry: { id: 'p-1', kind: 'resident', householdId: 'h-1', name: '测试甲', idNumber: ID[0] },
  });
});

afterEach(() => db.close());

describe('putting one record', () => {
  it('creates, then replaces, and checks the record as an import would', () => {
    const card: RecordPut = {
      section: 'credentials',
      entry: { id: 'c-1', kind: 'card', value: '0a:1b:2c:3d', holder: 'p-1' },
    };
    expect(store.put(card)).toEqual({ id: 'c-1', created: true });
    expect(store.put(card)).toEqual({ id: 'c-1', created: false });
    expect(store.row('credentials', 'c-1')).toMatchObject({ value: '0A1B2C3D', holder: 'p-1' });
    const dangling = thrown(() =>
      store.put({ section: 'persons', entry: { id: 'p-2', kind: 'resident', householdId: 'h-9' } }),
    );
    expect(dangling.code).toBe('REGISTRY_IMPORT_INVALID');
    expect(dangling.problems).toEqual([{ field: 'householdId', message: 'no household h-9' }]);
    expect(store.counts().persons).toBe(1);
  });

  it('hashes a new ID number into the person and its ID card, and keeps the stored one when left out', () => {
    const hash = (n: string) => hashIdNumber(KEY, n);
    expect(store.loadSnapshot().credential('idcard', hash(ID[0]))?.holderId).toBe('p-1');
    store.put({ section: 'persons', entry: { id: 'p-1', kind: 'resident', householdId: 'h-1' } });
    expect(store.loadSnapshot().credential('idcard', hash(ID[0]))?.holderId).toBe('p-1');
    expect(store.export({ includeNames: true }).persons?.[0]).toMatchObject({ name: '测试甲' });
    store.put({ section: 'persons', entry: { id: 'p-1', kind: 'resident', idNumber: ID[1] } });
    const snapshot = store.loadSnapshot();
    expect(snapshot.credential('idcard', hash(ID[0]))).toBeUndefined();
    expect(snapshot.credential('idcard', hash(ID[1]))?.id).toBe('p-1#idcard');
    expect(JSON.stringify(db.prepare('SELECT * FROM reg_persons').all())).not.toContain(ID[1]);
  });

  it("keeps a vehicle's revoked plate when the vehicle is changed, and replaces it with a new plate", () => {
    const vehicle = (plate: string): RecordPut => ({
      section: 'vehicles',
      entry: { id: 'v-1', plate, kind: 'resident', householdId: 'h-1', permit: {} },
    });
    store.put(vehicle('京A12345'));
    expect(store.revokeCredential('v-1#plate', NOW).changed).toBe(true);
    expect(store.revokeCredential('v-1#plate', NOW + 1).changed).toBe(false);
    store.put(vehicle('京A·12345'));
    expect(store.row('credentials', 'v-1#plate')?.revokedAt).not.toBeNull();
    store.put(vehicle('京B54321'));
    expect(store.row('credentials', 'v-1#plate')).toMatchObject({ value: '京B54321', revokedAt: null });
  });

  it('keeps a revoked ID card revoked when a merge import brings the same person again', () => {
    store.revokeCredential('p-1#idcard', NOW - 1000);
    const again = { id: 'p-1', kind: 'resident' as const, householdId: 'h-1', idNumber: ID[0] };
    store.import({ version: 1, persons: [again] }, { mode: 'merge' });
    expect(store.row('credentials', 'p-1#idcard')).toMatchObject({ revokedAt: expect.anything() });
    // A new ID number is a new card: not revoked.
    store.import({ version: 1, persons: [{ ...again, idNumber: ID[1] }] }, { mode: 'merge' });
    expect(store.row('credentials', 'p-1#idcard')?.revokedAt ?? null).toBeNull();
  });

  it('refuses a credential id that a person ID number or a vehicle plate implies', () => {
    const e = thrown(() =>
      store.put({
        section: 'credentials',
        entry: { id: 'p-1#idcard', kind: 'card', value: 'ABCD', holder: 'p-1' },
      }),
    );
    expect(e.problems[0]?.field).toBe('id');
  });
});

describe('removing one record', () => {
  /** One way of referring to a record, and how to stop referring. */
  const cases: {
    what: string;
    target: ['households' | 'persons', string];
    refer: () => void;
    release: () => void;
  }[] = [
    {
      what: 'a member',
      target: ['households', 'h-1'],
      refer: () => {},
      release: () => store.remove('persons', 'p-1'),
    },
    {
      what: 'a vehicle of the household',
      target: ['households', 'h-2'],
      refer: () =>
        store.put({
          section: 'vehicles',
          entry: { id: 'v-2', plate: '京A2', kind: 'resident', householdId: 'h-2' },
        }),
      release: () => store.remove('vehicles', 'v-2'),
    },
    {
      what: 'a quarantine order on its building',
      target: ['households', 'h-2'],
      refer: () =>
        store.addQuarantine({
          id: 'q-1',
          kind: 'home',
          target: { building: '2' },
          from: NOW,
          until: NOW + 1,
        }),
      release: () =>
        store.put({ section: 'households', entry: { id: 'h-3', building: '2', unit: '9', room: '1' } }),
    },
    {
      what: 'a card the person holds',
      target: ['persons', 'p-1'],
      refer: () =>
        store.put({
          section: 'credentials',
          entry: { id: 'c-1', kind: 'card', value: 'ABCD', holder: 'p-1' },
        }),
      release: () => store.remove('credentials', 'c-1'),
    },
    {
      what: 'a household that designates the person',
      target: ['persons', 'p-1'],
      refer: () =>
        store.put({
          section: 'households',
          entry: { id: 'h-1', building: '1', unit: '1', room: '101', designatedMembers: ['p-1'] },
        }),
      release: () =>
        store.put({ section: 'households', entry: { id: 'h-1', building: '1', unit: '1', room: '101' } }),
    },
    {
      what: 'a visitor the person escorts',
      target: ['persons', 'p-1'],
      refer: () =>
        store.registerVisitor({
          id: 'reg-1',
          idNumber: ID[2],
          escorts: ['p-1'],
          validFrom: NOW,
          validUntil: NOW + 1,
        }),
      release: () => db.prepare('DELETE FROM reg_visitor_registrations').run(),
    },
  ];

  for (const c of cases) {
    it(`refuses while ${c.what} refers to it, and removes it after`, () => {
      store.put({ section: 'households', entry: { id: 'h-2', building: '2', unit: '1', room: '201' } });
      c.refer();
      const [section, id] = c.target;
      const e = thrown(() => store.remove(section, id));
      expect(e.code).toBe('REGISTRY_IN_USE');
      expect(e.problems.every((p) => p.field === 'id')).toBe(true);
      c.release();
      expect(store.remove(section, id).id).toBe(id);
      expect(store.row(section, id)).toBeUndefined();
    });
  }

  it("removes a person's ID card with it, and refuses to remove that card alone", () => {
    expect(thrown(() => store.remove('credentials', 'p-1#idcard')).code).toBe('REGISTRY_IN_USE');
    expect(store.remove('persons', 'p-1')).toEqual({ id: 'p-1', credentials: 1 });
    expect(store.counts().credentials).toBe(0);
    expect(thrown(() => store.remove('persons', 'p-1')).code).toBe('REGISTRY_NOT_FOUND');
  });
});

/** Where every sequence starts: a little of everything, so that changes meet references. */
const SEED = {
  version: 1 as const,
  households: [
    { id: 'h-1', building: '1', unit: '1', room: '1', designatedMembers: ['p-1'] },
    { id: 'h-2', building: '2', unit: '1', room: '1' },
    { id: 'h-3', building: '2', unit: '1', room: '2' },
  ],
  persons: [
    { id: 'p-1', kind: 'resident' as const, householdId: 'h-1', name: '测试甲', idNumber: ID[0] },
    { id: 'p-2', kind: 'resident' as const, householdId: 'h-2' },
    { id: 'p-3', kind: 'visitor' as const },
  ],
  credentials: [{ id: 'c-1', kind: 'card' as const, value: 'AAAA', holder: 'p-1' }],
  vehicles: [{ id: 'v-1', plate: '京A1', kind: 'resident' as const, householdId: 'h-2', permit: {} }],
};

/** One change, from a small pool of ids so that changes collide and refer to each other. */
const change = fc.oneof(
  fc.record({
    op: fc.constant('household' as const),
    id: fc.constantFrom('h-1', 'h-2', 'h-3'),
    building: fc.constantFrom('1', '2'),
    designated: fc.subarray(['p-1', 'p-2', 'p-3']),
  }),
  fc.record({
    op: fc.constant('person' as const),
    id: fc.constantFrom('p-1', 'p-2', 'p-3'),
    householdId: fc.option(fc.constantFrom('h-1', 'h-2', 'h-3'), { nil: undefined }),
    idNumber: fc.option(fc.constantFrom(...ID), { nil: undefined }),
  }),
  fc.record({
    op: fc.constant('card' as const),
    id: fc.constantFrom('c-1', 'c-2'),
    value: fc.constantFrom('AAAA', 'BBBB'),
    holder: fc.constantFrom('p-1', 'p-2', 'p-3'),
  }),
  fc.record({
    op: fc.constant('vehicle' as const),
    id: fc.constantFrom('v-1', 'v-2'),
    plate: fc.constantFrom('京A1', '京A2'),
    ownerId: fc.option(fc.constantFrom('p-1', 'p-2'), { nil: undefined }),
  }),
  fc.record({
    op: fc.constant('revoke' as const),
    id: fc.constantFrom('c-1', 'c-2', 'p-1#idcard', 'v-1#plate'),
    at: fc.integer({ min: 0, max: 3 }),
  }),
  fc.record({
    op: fc.constant('remove' as const),
    target: fc.constantFrom(
      ...(['h-1', 'h-2', 'h-3'] as const).map((id) => ['households', id] as const),
      ...(['p-1', 'p-2', 'p-3'] as const).map((id) => ['persons', id] as const),
      ...(['c-1', 'c-2', 'p-1#idcard', 'v-1#plate'] as const).map((id) => ['credentials', id] as const),
      ...(['v-1', 'v-2'] as const).map((id) => ['vehicles', id] as const),
    ),
  }),
  fc.record({
    op: fc.constant('order' as const),
    id: fc.constantFrom('q-1', 'q-2'),
    target: fc.constantFrom({ building: '2' }, { household: 'h-2' }, { person: 'p-2' }),
  }),
  fc.record({
    op: fc.constant('visitor' as const),
    id: fc.constantFrom('reg-1', 'reg-2'),
    escort: fc.constantFrom('p-1', 'p-3'),
  }),
);
type Change = typeof change extends fc.Arbitrary<infer T> ? T : never;

function apply(s: RegistryStore, c: Change): void {
  switch (c.op) {
    case 'household':
      s.put({
        section: 'households',
        entry: { id: c.id, building: c.building, unit: '1', room: '1', designatedMembers: c.designated },
      });
      return;
    case 'person':
      s.put({
        section: 'persons',
        entry: { id: c.id, kind: 'resident', householdId: c.householdId, idNumber: c.idNumber },
      });
      return;
    case 'card':
      s.put({ section: 'credentials', entry: { id: c.id, kind: 'card', value: c.value, holder: c.holder } });
      return;
    case 'vehicle':
      s.put({
        section: 'vehicles',
        entry: { id: c.id, plate: c.plate, kind: 'resident', ownerId: c.ownerId },
      });
      return;
    case 'revoke':
      s.revokeCredential(c.id, NOW + c.at * 60_000);
      return;
    case 'remove':
      s.remove(c.target[0], c.target[1]);
      return;
    case 'order':
      s.addQuarantine({ id: c.id, kind: 'home', target: c.target, from: NOW, until: NOW + 86_400_000 });
      return;
    case 'visitor':
      s.registerVisitor({
        id: c.id,
        personId: 'p-3',
        escorts: [c.escort],
        validFrom: NOW,
        validUntil: NOW + 3_600_000,
      });
      return;
  }
}

describe('any sequence of changes', () => {
  it('leaves a registry whose export imports again, and a refused change leaves it as it was', () => {
    fc.assert(
      fc.property(fc.array(change, { maxLength: 25 }), (changes) => {
        const { db: scratch, store: s } = openStore();
        s.import(SEED, { mode: 'replace' });
        try {
          for (const c of changes) {
            const before = s.export({ includeNames: true });
            try {
              apply(s, c);
            } catch (err) {
              if (!(err instanceof GatewardenError)) throw err;
              expect(s.export({ includeNames: true })).toEqual(before);
            }
            const exported = s.export({ includeNames: true });
            const copy = openStore();
            copy.store.import(exported, { mode: 'replace' });
            expect(copy.store.export({ includeNames: true })).toEqual(exported);
            copy.db.close();
          }
        } finally {
          scratch.close();
        }
      }),
      { numRuns: 100 },
    );
  });
});
