/**
 * The admin API's live socket and static files: `/api/live` (token as the first message, then
 * the local live tree as the broker has it) and the dashboard's files served from a fixed list.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import { LIVE_CLOSE } from '../../gateway/api/live-socket.js';
import { buildApiServer } from '../../gateway/api/server.js';
import { ApiUserStore } from '../../gateway/api/users.js';
import { LiveFeed } from '../../gateway/mqtt/live-feed.js';
import { MemoryBus } from '../../gateway/mqtt/memory-bus.js';
import { hashPassword } from '../../gateway/util/password.js';
import { waitFor } from '../helpers/wait-for.js';
import { pass, type ScratchGateway, scratchGateway, silentLog } from './helpers/mqtt-requests-site.js';

let gw: ScratchGateway;
let app: FastifyInstance;
let live: LiveFeed;
let token: string;
const dashboard = mkdtempSync(join(tmpdir(), 'gw-dashboard-'));

beforeAll(async () => {
  gw = scratchGateway();
  const users = new ApiUserStore(gw.site.db);
  users.add(
    'operator-1',
    'operator',
    await hashPassword('correct horse battery', { N: 1024, r: 8, p: 1 }),
    0,
  );
  const liveBus = new MemoryBus({ record: false });
  live = new LiveFeed({
    journal: gw.site.journal,
    config: gw.site.config,
    bus: liveBus,
    log: silentLog,
    pseudonymKey: gw.site.key,
    now: gw.site.now,
  });
  live.start();
  writeFileSync(join(dashboard, 'index.html'), '<!doctype html><title>看板</title>');
  writeFileSync(join(dashboard, 'app.js'), 'export {};');
  writeFileSync(join(dashboard, '.secret.js'), 'no');
  writeFileSync(join(dashboard, 'notes.txt'), 'no');
  mkdirSync(join(dashboard, 'lib'));
  writeFileSync(join(dashboard, 'lib', 'i18n.js'), 'export const zh = 1;');
  app = await buildApiServer({
    site: gw.site,
    config: {
      host: '127.0.0.1',
      port: 0,
      sessionIdleMinutes: 60,
      sessionHours: 12,
      login: { maxFailures: 5, windowMinutes: 15, lockMinutes: 15 },
    },
    users,
    log: silentLog,
    liveBus,
    dashboardDir: dashboard,
  });
  const login = await app.inject({
    method: 'POST',
    url: '/api/session',
    payload: { user: 'operator-1', password: 'correct horse battery' },
  });
  token = login.json().token;
});

afterAll(async () => {
  await app?.close();
  await live?.stop();
  gw?.dispose();
  rmSync(dashboard, { recursive: true, force: true });
});

/** Messages a socket received, parsed; and when it closed, with which code. */
function record(ws: WebSocket) {
  const messages: { type: string; topic?: string; payload?: Record<string, unknown> }[] = [];
  const closed: { code?: number } = {};
  ws.on('message', (data) => messages.push(JSON.parse(String(data))));
  ws.on('close', (code) => {
    closed.code = code;
  });
  return { messages, closed };
}

describe('admin API live socket', () => {
  it('refuses a wrong token with 4401', async () => {
    const ws = await app.injectWS('/api/live');
    const { closed } = record(ws);
    ws.send(JSON.stringify({ type: 'auth', token: 'not-a-token-at-all-000000' }));
    await waitFor('closed', () => closed.code !== undefined);
    expect(closed.code).toBe(LIVE_CLOSE.unauthenticated);
  });

  it('after the token: ready, the retained states (mode among them), then a pass as it happens', async () => {
    const ws = await app.injectWS('/api/live');
    const { messages } = record(ws);
    ws.send(JSON.stringify({ type: 'auth', token }));
    await waitFor('ready and the states', () => messages.some((m) => m.topic?.endsWith('/mode')));
    expect(messages[0]).toEqual({ type: 'ready', user: 'operator-1', role: 'operator' });
    pass(gw.site, 'north-ped-in', 'A0000001');
    await waitFor('the pass', () => messages.some((m) => m.topic?.includes('/pass/north/north-ped-in')));
    const message = messages.find((m) => m.topic?.includes('/pass/'));
    expect(message?.type).toBe('message');
    expect(message?.payload).toMatchObject({ lane: 'north-ped-in', outcome: 'granted', grant: 'RESIDENT' });
    // Pseudonyms only: the registry's person id does not leave the gateway.
    expect(JSON.stringify(messages)).not.toContain('"r-1"');
    ws.terminate();
  });
});

describe('dashboard files', () => {
  it('serves the dashboard at / and its modules, with a content security policy', async () => {
    const index = await app.inject({ method: 'GET', url: '/' });
    expect(index.statusCode).toBe(200);
    expect(index.headers['content-type']).toMatch(/text\/html/);
    expect(index.headers['content-security-policy']).toMatch(/default-src 'self'/);
    expect(index.body).toContain('看板');
    expect((await app.inject({ method: 'GET', url: '/app.js' })).headers['content-type']).toMatch(
      /javascript/,
    );
    expect((await app.inject({ method: 'GET', url: '/lib/i18n.js' })).statusCode).toBe(200);
  });

  it('serves nothing else: no dot files, no other extensions, no way out of the folder', async () => {
    for (const url of [
      '/.secret.js',
      '/notes.txt',
      '/..%2Fpackage.json',
      '/lib/..%2F..%2Fpackage.json',
      '/missing.js',
    ]) {
      expect((await app.inject({ method: 'GET', url })).statusCode, url).toBe(404);
    }
  });
});
