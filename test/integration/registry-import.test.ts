import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Db, openDatabase } from '../../gateway/db.js';
import { GatewardenError } from '../../gateway/errors.js';
import { readRosterFiles } from '../../gateway/registry/csv.js';
import { parseRegistryText } from '../../gateway/registry/fragment.js';
import { hashIdNumber, pseudonymKey } from '../../gateway/registry/id-number.js';
import { RegistryStore } from '../../gateway/registry/store.js';
import { syntheticIdNumber, withWrongCheckChar } from '../fixtures/registry/synthetic-ids.js';

const NOW = Date.UTC(2022, 3, 10, 2); // 2022-04-10 10:00 in Asia/Shanghai
const H = 3_600_000;
const FIXTURES = new URL('../fixtures/registry/', import.meta.url);
const fixture = (name: string) => new URL(name, FIXTURES).pathname;

let dir: string;
let key: Buffer;
let db: Db;
let store: RegistryStore;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gw-registry-'));
  key = pseudonymKey(join(dir, 'keys', 'pseudonym.key'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function freshStore(name: string): void {
  db?.close();
  db = openDatabase(join(dir, `${name}.db`));
  store = new RegistryStore(db, { key, now: () => NOW });
}

/** `n` residents, three to a household, each with a synthetic ID number and a card. */
function residentsCsv(n: number, badLine?: number): string {
  const lines = ['building,unit,room,name,id_number,card,designated'];
  for (let i = 0; i < n; i++) {
    const household = Math.floor(i / 3);
    const building = 1 + Math.floor(household / 400);
    const unit = 1 + (Math.floor(household / 100) % 4);
    const room = 101 + (household % 100);
    let id = syntheticIdNumber(i);
    if (lines.length + 1 === badLine) id = withWrongCheckChar(id);
    const card = (0x10000000 + i).toString(16).toUpperCase();
    lines.push(`${building},${unit},${room},Resident ${i},${id},${card},${i % 3 === 0 ? 'yes' : 'no'}`);
  }
  return `${lines.join('\n')}\n`;
}

describe('registry import into SQLite', () => {
  it('imports a generated 100,000-resident CSV', () => {
    freshStore('large');
    const path = join(dir, 'residents-100k.csv');
    writeFileSync(path, residentsCsv(100_000));
    const started = performance.now();
    const fragments = readRosterFiles([{ path, roster: 'residents' }], { key, now: NOW });
    const parsed = performance.now();
    const counts = store.import(fragments, { mode: 'replace' });
    const done = performance.now();
    console.info(
      `100k residents: parse ${(parsed - started).toFixed(0)} ms, check+write ${(done - parsed).toFixed(0)} ms`,
    );
    expect(counts).toMatchObject({ households: 33_334, persons: 100_000, credentials: 200_000 });
    expect(db.prepare('SELECT COUNT(*) AS n FROM reg_persons WHERE id_hash IS NOT NULL').get()).toEqual({
      n: 100_000,
    });
    const snapshot = store.loadSnapshot();
    const holder = snapshot.credential('idcard', hashIdNumber(key, syntheticIdNumber(4242)));
    expect(snapshot.person(holder?.holderId ?? '')?.householdId).toBe('4-3-115');
  });

  it('writes nothing when one ID number is bad, and names the file, the line and id_number', () => {
    freshStore('bad');
    store.import({ version: 1, highRiskRegions: [{ code: '420100' }] }, { mode: 'merge' });
    const path = join(dir, 'residents-bad-line.csv');
    writeFileSync(path, residentsCsv(1000, 734));
    let error: unknown;
    try {
      store.import(readRosterFiles([{ path, roster: 'residents' }], { key, now: NOW }), { mode: 'replace' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(GatewardenError);
    const e = error as GatewardenError;
    expect(e.code).toBe('REGISTRY_IMPORT_INVALID');
    expect(e.problems).toEqual([
      { file: path, line: 734, field: 'id_number', message: expect.stringMatching(/check character/) },
    ]);
    expect(e.describe()).toContain(`${path}, line 734, field id_number`);
    expect(store.counts()).toMatchObject({ households: 0, persons: 0, credentials: 0, highRiskRegions: 1 });
  });

  it('rolls back a whole import when the database refuses part of it', () => {
    freshStore('rollback');
    store.import({ version: 1, persons: [{ id: 'p1', kind: 'staff' }] }, { mode: 'merge' });
    db.exec(`CREATE TRIGGER refuse_r2 BEFORE INSERT ON reg_high_risk_regions WHEN NEW.code = 'R2'
             BEGIN SELECT RAISE(ABORT, 'refused by test'); END`);
    const doc = {
      version: 1 as const,
      persons: [{ id: 'p2', kind: 'staff' as const }],
      highRiskRegions: [{ code: 'R1' }, { code: 'R2' }],
    };
    expect(() => store.import(doc, { mode: 'merge' })).toThrow(/refused by test/);
    expect(store.counts()).toMatchObject({ persons: 1, highRiskRegions: 0 });
  });
});

describe('registry store', () => {
  beforeEach(() => {
    freshStore(`store-${Math.random().toString(36).slice(2)}`);
    const yaml = parseRegistryText(readFileSync(fixture('registry.yaml'), 'utf8'), 'registry.yaml');
    if (!yaml.ok) throw new Error(JSON.stringify(yaml.problems));
    store.import(yaml.value, { mode: 'replace' });
  });

  it('round-trips export → import', () => {
    const exported = store.export({ includeNames: true });
    expect(JSON.stringify(exported)).not.toMatch(/11010519491231002X|310104198503151231/);
    const before = store.loadSnapshot();
    freshStore('roundtrip');
    store.import(exported, { mode: 'replace' });
    expect(store.export({ includeNames: true })).toEqual(exported);
    const after = store.loadSnapshot();
    expect(after.size).toEqual(before.size);
    const zhang = hashIdNumber(key, '11010519491231002X');
    expect(after.credential('idcard', zhang)).toEqual(before.credential('idcard', zhang));
  });

  it('exports names only when asked', () => {
    expect(store.export().persons?.some((p) => p.name !== undefined)).toBe(false);
    expect(store.export({ includeNames: true }).persons?.find((p) => p.id === 'res-zhang')?.name).toBe(
      '张伟',
    );
  });

  it('merge adds and updates; replace leaves only the import', () => {
    const residents = readRosterFiles([{ path: fixture('residents.csv'), roster: 'residents' }], {
      key,
      now: NOW,
    });
    // Zhang's and Li's ID numbers and Zhang's plate already belong to the document's records.
    expect(() => store.import(residents, { mode: 'merge' })).toThrow(
      expect.objectContaining({
        problems: [
          {
            file: fixture('residents.csv'),
            line: 2,
            field: 'id_number',
            message: 'this ID number is already registered as res-zhang#idcard',
          },
          {
            file: fixture('residents.csv'),
            line: 3,
            field: 'id_number',
            message: 'this ID number is already registered as res-li#idcard',
          },
          {
            file: fixture('residents.csv'),
            line: 2,
            field: 'plate',
            message: 'plate 京A12345 is already registered as v-zhang#plate',
          },
        ],
      }),
    );
    const more = {
      version: 1 as const,
      households: [{ id: '3-2-501', building: '3', unit: '2', room: '501', designatedMembers: ['res-li'] }],
      persons: [{ id: 'res-new', kind: 'resident' as const, householdId: '3-2-502' }],
    };
    store.import(more, { mode: 'merge' });
    expect(store.counts()).toMatchObject({ households: 3, persons: 6, quarantineOrders: 2 });
    expect(store.loadSnapshot().household('3-2-501')?.designatedMemberIds).toEqual(['res-li']);

    store.import(residents, { mode: 'replace' });
    expect(store.counts()).toMatchObject({ households: 3, persons: 4, quarantineOrders: 0, visitors: 0 });
    const exported = store.export();
    store.import(residents, { mode: 'merge' }); // the same roster again changes nothing
    expect(store.export()).toEqual(exported);
  });

  it('refuses a merge that gives an existing card or ID number to another credential', () => {
    const doc = {
      version: 1 as const,
      persons: [{ id: 'twin', kind: 'visitor' as const, idNumber: '11010519491231002X' }],
      credentials: [{ id: 'twin-card', kind: 'card' as const, value: '04A22B9C', holder: 'twin' }],
    };
    expect(() => store.import(doc, { mode: 'merge' })).toThrow(
      expect.objectContaining({
        problems: [
          expect.objectContaining({
            field: 'credentials.0.value',
            message: 'card 04A22B9C is already registered as card:04A22B9C',
          }),
          expect.objectContaining({
            field: 'persons.0.idNumber',
            message: 'this ID number is already registered as res-zhang#idcard',
          }),
        ],
      }),
    );
  });

  it('adds, lists and lifts quarantine orders', () => {
    const order = {
      id: 'q-3',
      kind: 'home' as const,
      target: { person: 'res-li' },
      from: NOW,
      until: NOW + 14 * 24 * H,
    };
    store.addQuarantine(order);
    expect(() => store.addQuarantine(order)).toThrow(/refused/);
    expect(() => store.addQuarantine({ ...order, id: 'q-4', target: { person: 'ghost' } })).toThrow(
      GatewardenError,
    );
    expect(store.listQuarantines({ activeAt: NOW }).map((q) => q.id)).toEqual(['q-1', 'q-2', 'q-3']);
    expect(store.liftQuarantine('q-3', NOW + H).liftedAt).toBe(NOW + H);
    expect(store.liftQuarantine('q-3', NOW + 2 * H).liftedAt).toBe(NOW + H);
    expect(store.listQuarantines({ activeAt: NOW + H }).map((q) => q.id)).toEqual(['q-1', 'q-2']);
    expect(() => store.liftQuarantine('nope', NOW)).toThrow(
      expect.objectContaining({ code: 'REGISTRY_NOT_FOUND' }),
    );
    const li = store.loadSnapshot().person('res-li');
    expect(
      li &&
        store
          .loadSnapshot()
          .quarantineOrders(li)
          .map((q) => q.id),
    ).toEqual(['q-3']);
  });

  it('registers a new visitor by ID number, and a returning one as the same person', () => {
    const idNumber = syntheticIdNumber(77);
    const request = {
      idNumber,
      escorts: ['res-zhang'],
      validFrom: NOW,
      validUntil: NOW + 4 * H,
      travel: [{ region: '420100', at: NOW - 3 * 24 * H }],
      purpose: 'delivery of medicine',
      hostHouseholdId: '3-2-501',
    };
    const first = store.registerVisitor(request);
    const second = store.registerVisitor({ ...request, validFrom: NOW + 24 * H, validUntil: NOW + 28 * H });
    expect(second.personId).toBe(first.personId);
    const snapshot = store.loadSnapshot();
    expect(snapshot.credential('idcard', hashIdNumber(key, idNumber))?.holderId).toBe(first.personId);
    expect(snapshot.person(first.personId)?.kind).toBe('visitor');
    expect(snapshot.visitorRegistrations(first.personId)).toHaveLength(2);
    expect(JSON.stringify(db.prepare('SELECT * FROM reg_persons').all())).not.toContain(idNumber);

    expect(() => store.registerVisitor({ ...request, idNumber: '11010519491231002X' })).toThrow(/refused/);
    expect(() => store.registerVisitor({ ...request, escorts: ['ghost'] })).toThrow(GatewardenError);
    expect(() => store.registerVisitor({ ...request, idNumber: withWrongCheckChar(idNumber) })).toThrow(
      GatewardenError,
    );
  });

  it('lists masked rows', () => {
    const persons = store.list('persons', { limit: 2 });
    expect(persons).toEqual([
      {
        id: 'res-li',
        kind: 'resident',
        household: '3-2-501',
        name: null,
        idNumber: '3101**********1231',
        shifts: null,
      },
      { id: 'res-wang', kind: 'resident', household: '3-2-502', name: null, idNumber: null, shifts: null },
    ]);
    expect(store.list('persons', { offset: 2, limit: 1 })[0]).toMatchObject({ id: 'res-zhang', name: '张*' });
    expect(store.list('credentials').find((c) => c.kind === 'idcard')?.value).toMatch(/^[0-9a-f]{8}…$/);
  });
});
