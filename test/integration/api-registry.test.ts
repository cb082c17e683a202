/**
 * Registry editing through the admin API (fastify inject on a scratch site): who may change
 * what, bad input named by field, refusals while a record is referred to, that a change takes
 * effect on the very next pass decision, and that names and ID numbers stay out of the journal,
 * the answers and the log.
 */
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApiServer } from '../../gateway/api/server.js';
import { ApiUserStore, ROLES, type Role } from '../../gateway/api/users.js';
import { openDatabase } from '../../gateway/db.js';
import { hashIdNumber, maskIdNumber } from '../../gateway/registry/id-number.js';
import { RegistryStore } from '../../gateway/registry/store.js';
import { hashPassword } from '../../gateway/util/password.js';
import { syntheticIdNumber, withWrongCheckChar } from '../fixtures/registry/synthetic-ids.js';
import { pass, type ScratchGateway, scratchGateway } from './helpers/mqtt-requests-site.js';

const TEST_COST = { N: 2 ** 10, r: 8, p: 1 };
const PASSWORD = 'correct horse battery';
/** Synthetic personal data that must never leave the registry unmasked. */
const NAMES = ['欧阳明月', '司马青云', '诸葛小花'] as const;
const IDS = [syntheticIdNumber(101), syntheticIdNumber(202), syntheticIdNumber(303)] as const;

let gw: ScratchGateway;
let app: FastifyInstance;
const logLines: string[] = [];
const tokens = new Map<Role, string>();
/** Every answer a non-admin got, for the PII check at the end. */
const nonAdminBodies: string[] = [];

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

async function as(role: Role | undefined, method: Method, url: string, payload?: object) {
  const headers = role === undefined ? {} : { authorization: `Bearer ${tokens.get(role)}` };
  const r = await app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload }) });
  if (role !== 'admin') nonAdminBodies.push(r.body);
  return r;
}

const fields = (r: { json(): { problems?: { field?: string }[] } }) =>
  (r.json().problems ?? []).map((p) => p.field);
const lastSeq = () => gw.site.journal.tail(1)[0]?.seq ?? 0;

beforeAll(async () => {
  gw = scratchGateway();
  const users = new ApiUserStore(gw.site.db);
  for (const role of ROLES)
    users.add(`${role}-1`, role, await hashPassword(PASSWORD, TEST_COST), gw.site.now());
  const log = pino({ level: 'trace' }, { write: (line: string) => logLines.push(line) });
  app = await buildApiServer({
    site: gw.site,
    config: {
      host: '127.0.0.1',
      port: 0,
      sessionIdleMinutes: 60,
      sessionHours: 12,
      login: { maxFailures: 3, windowMinutes: 15, lockMinutes: 15 },
    },
    users,
    log,
  });
  for (const role of ROLES) {
    const r = await app.inject({
      method: 'POST',
      url: '/api/session',
      payload: { user: `${role}-1`, password: PASSWORD },
    });
    tokens.set(role, r.json().token);
  }
});

afterAll(async () => {
  await app?.close();
  gw?.dispose();
});

/** Every new route with a body that passes validation but changes nothing (unknown references). */
const MATRIX: { method: Method; url: string; body?: object; roles: readonly Role[] }[] = [
  {
    method: 'PUT',
    url: '/api/registry/households/h-m',
    body: { building: '1', unit: '1', room: '102', designatedMembers: ['r-404'] },
    roles: ['admin'],
  },
  {
    method: 'PUT',
    url: '/api/registry/persons/p-m',
    body: { kind: 'resident', householdId: 'h-404' },
    roles: ['admin'],
  },
  {
    method: 'PUT',
    url: '/api/registry/credentials/c-m',
    body: { kind: 'card', value: 'C0FFEE01', holder: 'r-404' },
    roles: ['admin'],
  },
  {
    method: 'PUT',
    url: '/api/registry/vehicles/v-m',
    body: { plate: '京A00001', kind: 'resident', householdId: 'h-404' },
    roles: ['admin'],
  },
  {
    method: 'POST',
    url: '/api/registry/credentials/c-404/revoke',
    body: { reason: 'matrix test' },
    roles: ['operator', 'admin'],
  },
  { method: 'DELETE', url: '/api/registry/households/h-404', roles: ['admin'] },
  { method: 'DELETE', url: '/api/registry/persons/p-404', roles: ['admin'] },
  { method: 'DELETE', url: '/api/registry/credentials/c-404', roles: ['admin'] },
  { method: 'DELETE', url: '/api/registry/vehicles/v-404', roles: ['admin'] },
];

describe('registry editing through the admin API', () => {
  it('lets each role do only what the matrix says (401 without a session, 403 for a role that may not)', async () => {
    const before = lastSeq();
    for (const route of MATRIX) {
      expect((await as(undefined, route.method, route.url, route.body)).statusCode).toBe(401);
      for (const role of ROLES) {
        const r = await as(role, route.method, route.url, route.body);
        const where = `${route.method} ${route.url} as ${role}: ${r.body}`;
        if (route.roles.includes(role)) expect([400, 404], where).toContain(r.statusCode);
        else expect(r.statusCode, where).toBe(403);
      }
    }
    expect(lastSeq(), 'refused changes are not journaled').toBe(before);
  });

  it('documents every route with a summary, its parameters and its body', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/api/openapi.json' })).json() as {
      paths: Record<
        string,
        Record<string, { summary?: string; parameters?: unknown[]; requestBody?: unknown }>
      >;
    };
    for (const route of MATRIX) {
      const path = route.url.replace(/\/[a-z]-(?:m|404)(?=\/|$)/, '/{id}');
      const op = doc.paths[path]?.[route.method.toLowerCase()];
      expect(op?.summary, `${route.method} ${path}`).toBeTruthy();
      expect(op?.parameters, `${route.method} ${path}`).toHaveLength(1);
      if (route.body !== undefined) expect(op?.requestBody, `${route.method} ${path}`).toBeDefined();
    }
    const person = JSON.stringify(doc.paths['/api/registry/persons/{id}']?.put?.requestBody);
    expect(person).toContain('keyed hash');
    expect(person).not.toContain('idHash');
  });

  it('adds a household, a resident and a card that the next decision lets in; a revoked card is refused', async () => {
    const unknown = pass(gw.site, 'north-ped-in', 'B0000090').decision;
    expect(unknown.reasons.map((r) => r.code)).toContain('UNKNOWN_CREDENTIAL');
    const household = await as('admin', 'PUT', '/api/registry/households/h-9', {
      building: '9',
      unit: '1',
      room: '901',
    });
    expect(household.statusCode).toBe(201);
    expect(household.json().row).toMatchObject({ id: 'h-9', building: '9', room: '901' });
    const resident = await as('admin', 'PUT', '/api/registry/persons/r-90', {
      kind: 'resident',
      householdId: 'h-9',
      name: NAMES[0],
      idNumber: IDS[0],
    });
    expect(resident.statusCode).toBe(201);
    expect(resident.json().row).toMatchObject({
      id: 'r-90',
      household: 'h-9',
      name: `${[...NAMES[0]][0]}***`,
      idNumber: maskIdNumber(IDS[0]),
    });
    const card = await as('admin', 'PUT', '/api/registry/credentials/card-90', {
      kind: 'card',
      value: 'b0:00:00:90',
      holder: 'r-90',
    });
    expect(card.statusCode).toBe(201);
    expect(card.json().row).toMatchObject({ value: 'B0000090', holder: 'r-90', revokedAt: null });

    const first = pass(gw.site, 'north-ped-in', 'B0000090').decision;
    expect(first.allow, JSON.stringify(first.reasons)).toBe(true);
    expect(first.reasons.map((r) => r.code)).toContain('RESIDENT');
    const byIdCard = gw.site.checkpoint.present({
      laneId: 'north-ped-out',
      credential: { kind: 'idcard', value: hashIdNumber(gw.site.key, IDS[0]) },
    }).decision;
    expect(byIdCard.reasons.map((r) => r.code)).not.toContain('UNKNOWN_CREDENTIAL');

    const revoke = await as('operator', 'POST', '/api/registry/credentials/card-90/revoke', {
      reason: '卡丢失 lost card',
    });
    expect(revoke.statusCode).toBe(200);
    expect(revoke.json()).toMatchObject({ changed: true, row: { id: 'card-90' } });
    expect(revoke.json().row.revokedAt).not.toBeNull();
    expect(gw.site.journal.get(revoke.json().seq)?.payload).toMatchObject({
      action: 'registry.revoke',
      operator: 'operator-1',
      shift: 'day',
      detail: { credential: 'card-90', kind: 'card', reason: '卡丢失 lost card' },
    });
    const second = pass(gw.site, 'north-ped-in', 'B0000090').decision;
    expect(second.allow).toBe(false);
    expect(second.reasons.map((r) => r.code)).toContain('CREDENTIAL_REVOKED');

    const again = await as('operator', 'POST', '/api/registry/credentials/card-90/revoke', {
      reason: 'twice',
    });
    expect(again.json()).toMatchObject({ changed: false });
    expect(again.json().seq).toBeUndefined();
  });

  it('stores an ID number only as its keyed hash and masked form', () => {
    const row = gw.site.db.prepare('SELECT * FROM reg_persons WHERE id = ?').get('r-90') as Record<
      string,
      unknown
    >;
    expect(row.id_hash).toBe(hashIdNumber(gw.site.key, IDS[0]));
    expect(row.id_masked).toBe(maskIdNumber(IDS[0]));
    const everything = JSON.stringify(gw.site.db.prepare('SELECT * FROM reg_persons').all());
    expect(everything).not.toContain(IDS[0]);
  });

  it('keeps the name and ID number a change leaves out, and a revoked ID card revoked', async () => {
    const revoke = await as('operator', 'POST', '/api/registry/credentials/r-90%23idcard/revoke', {
      reason: '证件挂失 reported lost',
    });
    expect(revoke.statusCode).toBe(200);
    const changed = await as('admin', 'PUT', '/api/registry/persons/r-90', {
      id: 'r-90',
      kind: 'resident',
      householdId: 'h-9',
    });
    expect(changed.statusCode).toBe(200);
    expect(changed.json()).toMatchObject({ created: false, row: { idNumber: maskIdNumber(IDS[0]) } });
    const named = (await as('admin', 'GET', '/api/registry/persons?names=true&limit=1000')).json().rows;
    expect(named.find((r: { id: string }) => r.id === 'r-90').name).toBe(NAMES[0]);
    const idcard = gw.site.registry.row('credentials', 'r-90#idcard');
    expect(idcard?.revokedAt).not.toBeNull();
  });

  it('names the wrong field of a refused change, and writes and journals nothing', async () => {
    const before = lastSeq();
    const counts = gw.site.registry.counts();
    const refused: [Method, string, object | undefined, string, RegExp?][] = [
      ['PUT', '/api/registry/households/bad%20id', { building: '1', unit: '1', room: '1' }, 'params.id'],
      ['PUT', '/api/registry/households/h-x', { building: 1, unit: '1', room: '1' }, 'body.building'],
      ['PUT', '/api/registry/households/h-x', { id: 'h-y', building: '1', unit: '1', room: '1' }, 'body.id'],
      [
        'PUT',
        '/api/registry/persons/p-x',
        { kind: 'resident', householdId: 'h-404' },
        'body.householdId',
        /no household h-404/,
      ],
      ['PUT', '/api/registry/persons/p-x', { kind: 'resident', idNumber: '12345' }, 'body.idNumber'],
      [
        'PUT',
        '/api/registry/persons/p-x',
        { kind: 'resident', idNumber: withWrongCheckChar(IDS[1]) },
        'body.idNumber',
        /check character/,
      ],
      [
        'PUT',
        '/api/registry/persons/p-x',
        { kind: 'resident', idNumber: IDS[0] },
        'body.idNumber',
        /already registered as r-90#idcard/,
      ],
      ['PUT', '/api/registry/persons/p-x', { kind: 'resident', shifts: ['day'] }, 'body.shifts'],
      ['PUT', '/api/registry/persons/p-x', { kind: 'resident', nickname: 'x' }, 'body', /nickname/],
      [
        'PUT',
        '/api/registry/credentials/c-x',
        { kind: 'card', value: 'A0000001', holder: 'r-90' },
        'body.value',
        /already registered as card:A0000001/,
      ],
      ['PUT', '/api/registry/credentials/c-x', { kind: 'card', value: 'zz', holder: 'r-90' }, 'body.value'],
      [
        'PUT',
        '/api/registry/credentials/c-x',
        { kind: 'card', value: 'C0C0C0C0', holder: 'r-404' },
        'body.holder',
      ],
      [
        'PUT',
        '/api/registry/credentials/c-x',
        {
          kind: 'card',
          value: 'C0C0C0C0',
          holder: 'r-90',
          validFrom: '2022-05-01',
          validUntil: '2022-04-01',
        },
        'body.validUntil',
      ],
      [
        'PUT',
        '/api/registry/credentials/r-1%23idcard',
        { kind: 'card', value: 'C0C0C0C0', holder: 'r-1' },
        'params.id',
      ],
      ['PUT', '/api/registry/vehicles/v-x', { plate: '京A1', kind: 'boat' }, 'body.kind'],
      ['POST', '/api/registry/credentials/card-90/revoke', { reason: `found ${IDS[1]}` }, 'body.reason'],
      ['POST', '/api/registry/credentials/card-90/revoke', { reason: 'lost', at: 'yesterday' }, 'body.at'],
      ['POST', '/api/registry/credentials/card-90/revoke', { reason: 'lost', at: '2022-02-30' }, 'body.at'],
    ];
    for (const [method, url, body, field, message] of refused) {
      const r = await as('admin', method, url, body);
      const where = `${method} ${url} ${JSON.stringify(body)}: ${r.body}`;
      expect(r.statusCode, where).toBe(400);
      expect(fields(r), where).toContain(field);
      if (message) expect(r.body, where).toMatch(message);
      for (const id of IDS) expect(r.body, where).not.toContain(id);
    }
    const unknown = await as('admin', 'DELETE', '/api/registry/persons/p-404');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ error: 'REGISTRY_NOT_FOUND', problems: [{ field: 'params.id' }] });
    expect(
      (await as('operator', 'POST', '/api/registry/credentials/c-404/revoke', { reason: 'lost' })).statusCode,
    ).toBe(404);
    expect(lastSeq()).toBe(before);
    expect(gw.site.registry.counts()).toEqual(counts);
  });

  it('refuses to remove or move what is still referred to (409), and removes it once free', async () => {
    const put = (url: string, body: object) => as('admin', 'PUT', url, body);
    expect(
      (await put('/api/registry/persons/r-91', { kind: 'resident', householdId: 'h-9', name: NAMES[1] }))
        .statusCode,
    ).toBe(201);
    expect(
      (
        await put('/api/registry/households/h-9', {
          building: '9',
          unit: '1',
          room: '901',
          designatedMembers: ['r-91'],
        })
      ).statusCode,
    ).toBe(200);
    expect(
      (
        await put('/api/registry/vehicles/v-9', {
          plate: '京a·99999',
          kind: 'resident',
          householdId: 'h-9',
          ownerId: 'r-91',
          permit: {},
        })
      ).json().row,
    ).toMatchObject({ plate: '京A99999', household: 'h-9' });
    const visitor = await as('operator', 'POST', '/api/visitors', {
      idNumber: IDS[2],
      escorts: ['r-91'],
      validUntil: '2022-04-10T18:00:00+08:00',
    });
    expect(visitor.statusCode, visitor.body).toBe(200);
    const order = await as('operator', 'POST', '/api/quarantine', {
      id: 'q-9',
      kind: 'home',
      target: { building: '9' },
      until: '2022-04-24T00:00:00+08:00',
    });
    expect(order.statusCode, order.body).toBe(200);

    const remove = (section: string, id: string) => as('admin', 'DELETE', `/api/registry/${section}/${id}`);
    const household = await remove('households', 'h-9');
    expect(household.statusCode).toBe(409);
    expect(household.json().error).toBe('REGISTRY_IN_USE');
    expect(fields(household).every((f) => f === 'params.id')).toBe(true);
    const why = household.body;
    for (const referrer of ['r-90', 'r-91', 'v-9', 'q-9']) expect(why).toContain(referrer);
    const escort = await remove('persons', 'r-91');
    expect(escort.statusCode).toBe(409);
    for (const referrer of ['h-9', 'v-9', visitor.json().registrationId])
      expect(escort.body).toContain(referrer);
    expect((await remove('persons', 'r-90')).body).toContain('card-90');
    expect((await remove('credentials', 'r-90%23idcard')).statusCode).toBe(409);

    const moved = await put('/api/registry/persons/r-91', { kind: 'resident', householdId: 'h-2' });
    expect(moved.statusCode).toBe(400);
    expect(fields(moved)).toEqual(['body.householdId']);
    const rebuilt = await put('/api/registry/households/h-9', { building: '10', unit: '1', room: '901' });
    expect(rebuilt.statusCode).toBe(400);
    expect(rebuilt.json().problems[0]).toMatchObject({ field: 'body.building' });
    expect(rebuilt.body).toContain('q-9');

    expect((await remove('credentials', 'card-90')).json()).toMatchObject({
      removed: 'card-90',
      credentials: 0,
    });
    const resident = await remove('persons', 'r-90');
    expect(resident.statusCode).toBe(200);
    expect(resident.json()).toMatchObject({ removed: 'r-90', credentials: 1 });
    expect(gw.site.journal.get(resident.json().seq)?.payload).toMatchObject({
      action: 'registry.person.remove',
      operator: 'admin-1',
      detail: { person: 'r-90', credentials: 1 },
    });
    const vehicle = await remove('vehicles', 'v-9');
    expect(vehicle.json()).toMatchObject({ removed: 'v-9', credentials: 1 });
    expect(gw.site.registry.row('credentials', 'v-9#plate')).toBeUndefined();
    expect((await remove('persons', 'r-404')).statusCode).toBe(404);
    // What is left still exports as a document that imports again.
    const exported = gw.site.registry.export({ includeNames: true });
    const copy = new RegistryStore(openDatabase(':memory:'), { key: gw.site.key, now: gw.site.now });
    copy.import(exported, { mode: 'replace' });
    expect(copy.export({ includeNames: true })).toEqual(exported);
  });

  it('journals every change with the user and shift, and no name or ID number in the journal, non-admin answers or the log', async () => {
    const operatorList = await as('operator', 'GET', '/api/registry/persons?limit=1000');
    expect(operatorList.json().rows.find((r: { id: string }) => r.id === 'r-91').name).toMatch(/^司\*+$/);
    const entries = [...gw.site.journal.iterate(0)];
    const changes = entries.filter(
      (e) =>
        e.type === 'operator' &&
        /^registry\.(household|person|credential|vehicle)\.|^registry\.revoke$/.test(
          (e.payload as { action: string }).action,
        ),
    );
    expect(changes.length).toBeGreaterThanOrEqual(10);
    for (const e of changes)
      expect(e.payload).toMatchObject({
        operator: expect.stringMatching(/^(admin|operator)-1$/),
        shift: 'day',
      });
    const journal = JSON.stringify(entries);
    const answers = nonAdminBodies.join('\n');
    const log = logLines.join('');
    expect(log).toContain('registry change journaled');
    for (const secret of [...NAMES, ...IDS]) {
      expect(journal).not.toContain(secret);
      expect(answers).not.toContain(secret);
      expect(log).not.toContain(secret);
    }
  });
});
