/**
 * The admin API through fastify's inject, on a scratch site (SQLite in a temporary folder): who
 * may call each route, bad input named by field, PII masked but for admins, login throttling,
 * sessions that end when the user changes, and every change journaled with the user and shift.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApiServer } from '../../gateway/api/server.js';
import { ApiUserStore, ROLES, type Role } from '../../gateway/api/users.js';
import type { Decision } from '../../gateway/rules/types.js';
import { hashPassword } from '../../gateway/util/password.js';
import { type ScratchGateway, scratchGateway, silentLog } from './helpers/mqtt-requests-site.js';

/** Cheap scrypt for tests; the stored cost is what verification uses. */
const TEST_COST = { N: 2 ** 10, r: 8, p: 1 };
const PASSWORD = 'correct horse battery';

let gw: ScratchGateway;
let app: FastifyInstance;
let users: ApiUserStore;
const opened: { laneId: string; decision: Decision }[] = [];
const tokens = new Map<Role, string>();

async function login(user: string, password = PASSWORD) {
  return app.inject({ method: 'POST', url: '/api/session', payload: { user, password } });
}

async function as(
  role: Role | undefined,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  url: string,
  payload?: object,
) {
  const headers = role === undefined ? {} : { authorization: `Bearer ${tokens.get(role)}` };
  return app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload }) });
}

beforeAll(async () => {
  gw = scratchGateway();
  gw.site.registry.import(
    { version: 1, persons: [{ id: 'r-9', kind: 'resident', householdId: 'h-2', name: '王小明' }] },
    { mode: 'merge' },
  );
  users = new ApiUserStore(gw.site.db);
  for (const role of ROLES)
    users.add(`${role}-1`, role, await hashPassword(PASSWORD, TEST_COST), gw.site.now());
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
    log: silentLog,
    devices: () => [{ deviceId: 'north-in-reader', online: true, counters: { polls: 3 } }],
    actuate: (laneId, decision) => opened.push({ laneId, decision }),
  });
  for (const role of ROLES) {
    const r = await login(`${role}-1`);
    expect(r.statusCode).toBe(200);
    tokens.set(role, r.json().token);
  }
});

afterAll(async () => {
  await app?.close();
  gw?.dispose();
});

/** Every route, with a body that passes validation, and who may call it. */
const MATRIX: {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  body?: object;
  roles: readonly Role[];
}[] = [
  { method: 'GET', url: '/api/session', roles: ROLES },
  { method: 'GET', url: '/api/site', roles: ROLES },
  { method: 'GET', url: '/api/devices', roles: ROLES },
  { method: 'GET', url: '/api/alarms', roles: ROLES },
  { method: 'GET', url: '/api/labels', roles: ROLES },
  {
    method: 'PUT',
    url: '/api/site/mode',
    body: { mode: 'closed', reason: 'matrix test' },
    roles: ['operator', 'admin'],
  },
  {
    method: 'POST',
    url: '/api/lanes/north-ped-in/open',
    body: { reason: 'matrix test' },
    roles: ['operator', 'admin'],
  },
  { method: 'POST', url: '/api/alarms/1/ack', body: {}, roles: ['operator', 'admin'] },
  { method: 'GET', url: '/api/occupancy', roles: ['operator', 'admin'] },
  { method: 'GET', url: '/api/reports/shift', roles: ['operator', 'admin'] },
  { method: 'GET', url: '/api/registry/persons', roles: ['operator', 'admin'] },
  {
    method: 'POST',
    url: '/api/visitors',
    body: { personId: 'r-404', validUntil: '2022-04-11T18:00:00+08:00' },
    roles: ['operator', 'admin'],
  },
  {
    method: 'POST',
    url: '/api/quarantine',
    body: { id: 'q-m', kind: 'home', target: { household: 'h-404' }, until: '2022-04-24T00:00:00+08:00' },
    roles: ['operator', 'admin'],
  },
  { method: 'DELETE', url: '/api/quarantine/q-404', roles: ['admin'] },
  // Registry editing (test/integration/api-registry.test.ts): bodies that refer to nothing, so nothing changes.
  ...(['households', 'persons', 'credentials', 'vehicles'] as const).map((section) => ({
    method: 'DELETE' as const,
    url: `/api/registry/${section}/x-404`,
    roles: ['admin'] as const,
  })),
  {
    method: 'PUT',
    url: '/api/registry/households/x-404',
    body: { building: '1', unit: '1', room: '1', designatedMembers: ['r-404'] },
    roles: ['admin'],
  },
  {
    method: 'PUT',
    url: '/api/registry/persons/x-404',
    body: { kind: 'resident', householdId: 'h-404' },
    roles: ['admin'],
  },
  {
    method: 'PUT',
    url: '/api/registry/credentials/x-404',
    body: { kind: 'card', value: 'C0FFEE01', holder: 'r-404' },
    roles: ['admin'],
  },
  {
    method: 'PUT',
    url: '/api/registry/vehicles/x-404',
    body: { plate: '京A00001', kind: 'resident', householdId: 'h-404' },
    roles: ['admin'],
  },
  {
    method: 'POST',
    url: '/api/registry/credentials/x-404/revoke',
    body: { reason: 'matrix test' },
    roles: ['operator', 'admin'],
  },
  { method: 'GET', url: '/api/duty', roles: ROLES },
  { method: 'GET', url: '/api/recent', roles: ROLES },
  { method: 'POST', url: '/api/duty/login', body: {}, roles: ['operator', 'admin'] },
  { method: 'POST', url: '/api/duty/logout', body: {}, roles: ['operator', 'admin'] },
  { method: 'POST', url: '/api/duty/handover', body: { acknowledge: [] }, roles: ['operator', 'admin'] },
];

describe('admin API', () => {
  it('refuses every route but login without a session (401), and each role where it may not (403)', async () => {
    for (const route of MATRIX) {
      const anonymous = await as(undefined, route.method, route.url, route.body);
      expect(anonymous.statusCode, `${route.method} ${route.url} anonymous`).toBe(401);
      for (const role of ROLES) {
        const r = await as(role, route.method, route.url, route.body);
        const where = `${route.method} ${route.url} as ${role}: ${r.body}`;
        if (route.roles.includes(role)) expect([401, 403], where).not.toContain(r.statusCode);
        else expect(r.statusCode, where).toBe(403);
      }
    }
  });

  it('lists every route in the OpenAPI document, and the matrix covers every route', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/api/openapi.json' })).json() as {
      paths: Record<string, Record<string, unknown>>;
    };
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
    );
    const tested = new Set(
      MATRIX.map((r) =>
        `${r.method} ${r.url}`
          .replace(/\/north-ped-in\//, '/:laneId/')
          .replace(/\/1\/ack$/, '/:seq/ack')
          .replace(/persons$/, ':section')
          .replace(/q-404$/, ':orderId')
          .replace(/\/x-404(?=\/|$)/, '/:id'),
      ),
    );
    tested.add('POST /api/session');
    tested.add('DELETE /api/session');
    expect(new Set(documented)).toEqual(tested);
  });

  it('names the wrong field of a bad request (400)', async () => {
    const mode = await as('operator', 'PUT', '/api/site/mode', { mode: 'party', reason: 'x' });
    expect(mode.statusCode).toBe(400);
    expect(mode.json().problems.map((p: { field: string }) => p.field)).toEqual(['body.mode', 'body.reason']);
    const extra = await as('operator', 'PUT', '/api/site/mode', {
      mode: 'open',
      reason: 'ok here',
      by: 'me',
    });
    expect(extra.statusCode).toBe(400);
    const lane = await as('operator', 'POST', '/api/lanes/no-such-lane/open', { reason: 'fire drill' });
    expect(lane.statusCode).toBe(400);
    expect(lane.json()).toMatchObject({ error: 'REQUEST_INVALID', problems: [{ field: 'laneId' }] });
    const visitor = await as('operator', 'POST', '/api/visitors', {
      idNumber: '12345',
      validUntil: '2022-04-11T18:00:00+08:00',
    });
    expect(visitor.statusCode).toBe(400);
    expect(visitor.json().problems[0].field).toBe('body.idNumber');
    const ack = await as('operator', 'POST', '/api/alarms/abc/ack', {});
    expect(ack.json().problems[0].field).toBe('params.seq');
  });

  it('masks names for operators, shows them to an admin who asks, and journals that they were seen', async () => {
    const masked = (await as('operator', 'GET', '/api/registry/persons')).json().rows;
    const r9 = masked.find((r: { id: string }) => r.id === 'r-9');
    expect(r9.name).not.toBe('王小明');
    expect(r9.name).toMatch(/^王\*+$/);
    expect((await as('operator', 'GET', '/api/registry/persons?names=true')).statusCode).toBe(403);
    const named = (await as('admin', 'GET', '/api/registry/persons?names=true')).json().rows;
    expect(named.find((r: { id: string }) => r.id === 'r-9').name).toBe('王小明');
    const seen = gw.site.journal.tail(1)[0];
    expect(seen?.type).toBe('operator');
    expect(seen?.payload).toMatchObject({
      action: 'registry.names-viewed',
      operator: 'admin-1',
      shift: 'day',
    });
    expect(JSON.stringify(seen?.payload)).not.toContain('王小明');
  });

  it('journals a mode switch and an emergency open with the user and shift, and opens the lane', async () => {
    const mode = await as('operator', 'PUT', '/api/site/mode', {
      mode: 'lockdown',
      reason: '确诊病例 confirmed case',
    });
    expect(mode.statusCode).toBe(200);
    expect(mode.json()).toMatchObject({ from: 'closed', mode: 'lockdown', changed: true });
    const entry = gw.site.journal.get(mode.json().seq);
    expect(entry?.payload).toMatchObject({ from: 'closed', to: 'lockdown', operator: 'operator-1' });
    opened.length = 0;
    const open = await as('operator', 'POST', '/api/lanes/north-ped-out/open', {
      reason: '救护车 ambulance',
    });
    expect(open.statusCode).toBe(200);
    expect(opened.map((o) => [o.laneId, o.decision.allow, o.decision.reasons[0]?.code])).toEqual([
      ['north-ped-out', true, 'EMERGENCY_OVERRIDE'],
    ]);
    const decision = gw.site.journal.get(open.json().seq);
    expect(decision?.payload).toMatchObject({
      request: { override: { operator: 'operator-1', reason: '救护车 ambulance' } },
    });
    await as('admin', 'PUT', '/api/site/mode', { mode: 'closed', reason: 'lifted' });
  });

  it('lists alarms and acknowledges one once, with the user and shift', async () => {
    gw.site.journal.append('alarm', gw.site.now(), {
      code: 'DEVICE_OFFLINE',
      severity: 'critical',
      laneId: 'north-ped-in',
      detail: { device: 'north-in-reader' },
    });
    const list = (await as('technician', 'GET', '/api/alarms?open=true')).json().alarms;
    const alarm = list.find((a: { code: string }) => a.code === 'DEVICE_OFFLINE');
    expect(alarm).toMatchObject({ severity: 'critical', laneId: 'north-ped-in', device: 'north-in-reader' });
    const ack = await as('operator', 'POST', `/api/alarms/${alarm.seq}/ack`, { note: 'reader replaced' });
    expect(ack.statusCode).toBe(200);
    expect(gw.site.journal.get(ack.json().seq)?.payload).toEqual({
      alarmSeq: alarm.seq,
      operator: 'operator-1',
      shift: 'day',
      note: 'reader replaced',
    });
    const again = await as('admin', 'POST', `/api/alarms/${alarm.seq}/ack`, {});
    expect(again.statusCode).toBe(400);
    expect(again.json().message).toMatch(/acknowledged by operator-1/);
    const open = (await as('operator', 'GET', '/api/alarms?open=true')).json().alarms;
    expect(open.some((a: { seq: number }) => a.seq === alarm.seq)).toBe(false);
  });

  it('locks a name and an address after repeated wrong passwords, even for the right one', async () => {
    for (let i = 0; i < 3; i++) expect((await login('operator-1', 'wrong password')).statusCode).toBe(401);
    const locked = await login('operator-1');
    expect(locked.statusCode).toBe(429);
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
    // Another name from the same address is locked too (the address counts failures).
    expect((await login('admin-1')).statusCode).toBe(429);
    gw.clock.now += 16 * 60_000;
    expect((await login('operator-1')).statusCode).toBe(200);
  });

  it('ends a session at logout, and at once when the user is removed or given another role', async () => {
    const token = (await login('technician-1')).json().token;
    const me = () =>
      app.inject({ method: 'GET', url: '/api/session', headers: { authorization: `Bearer ${token}` } });
    expect((await me()).json()).toEqual({ user: 'technician-1', role: 'technician' });
    users.add('technician-1', 'operator', await hashPassword(PASSWORD, TEST_COST), gw.site.now());
    expect((await me()).statusCode).toBe(401);
    const other = (await login('admin-1')).json().token;
    await app.inject({
      method: 'DELETE',
      url: '/api/session',
      headers: { authorization: `Bearer ${other}` },
    });
    const after = await app.inject({
      method: 'GET',
      url: '/api/site',
      headers: { authorization: `Bearer ${other}` },
    });
    expect(after.statusCode).toBe(401);
  });

  it('tells who is out, by household, and the device list', async () => {
    const devices = (await as('admin', 'GET', '/api/devices')).json();
    expect(devices.devices[0]).toMatchObject({ deviceId: 'north-in-reader', online: true });
    const occupancy = (await as('operator', 'GET', '/api/occupancy')).json();
    expect(Array.isArray(occupancy.outside)).toBe(true);
    const report = await as('operator', 'GET', '/api/reports/shift?format=text');
    expect(report.headers['content-type']).toMatch(/text\/plain/);
  });
});
