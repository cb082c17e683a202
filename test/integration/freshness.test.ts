/**
 * Freshness on a scratch site (docs/freshness.md): a registry import journaled as the CLI does
 * it keeps the data fresh; past `maxAgeHours` the stale policy `residents-cards` refuses a signed
 * QR pass with DATA_STALE while a resident's card still passes (with the notice), one DATA_STALE
 * alarm is journaled (not again after a restart), GET /api/site says stale; a new import, or a
 * signed upstream change, makes the data fresh again. Fake clock throughout.
 */
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApiServer } from '../../gateway/api/server.js';
import { ApiUserStore } from '../../gateway/api/users.js';
import { checkFreshness } from '../../gateway/freshness/freshness-watch.js';
import type { JournalEntry } from '../../gateway/journal/events.js';
import { applyRequest } from '../../gateway/mqtt/upstream/requests-apply.js';
import type { Decision } from '../../gateway/rules/types.js';
import { Site } from '../../gateway/site.js';
import { hashPassword } from '../../gateway/util/password.js';
import { type ScratchGateway, scratchGateway, silentLog, T0 } from './helpers/mqtt-requests-site.js';

const H = 3600_000;
const QR_PASS = 'gwp-00000000000000a1';
const PASSWORD = 'correct horse battery';
const FRESHNESS = 'freshness:\n  enabled: true\n  maxAgeHours: 72\n  stalePolicy: residents-cards\n';

let gw: ScratchGateway;
let app: FastifyInstance;

/** What `gatewarden registry import` does: the import, then its `registry.import` journal entry. */
function importRegistry(site: Site) {
  const counts = site.registry.import(
    { version: 1, credentials: [{ kind: 'qr', value: QR_PASS, holder: 'r-2' }] },
    { mode: 'merge' },
  );
  site.recordOperator('registry.import', 'cli', {
    files: 1,
    mode: 'merge',
    persons: counts.persons,
    credentials: counts.credentials,
  });
}

/** A presentation at a lane with a good reading just before it (closed mode needs one). */
function present(laneId: string, credential: { kind: 'card' | 'qr'; value: string; codeId?: string }) {
  const at = gw.site.now();
  gw.site.checkpoint.reading(laneId, { at: at - 1000, celsius: 36.5, mask: true }, 'test-camera');
  const c = credential.kind === 'qr' ? { ...credential, signature: 'valid' as const } : credential;
  return gw.site.checkpoint.present({ laneId, at, credential: c }).decision;
}

const denies = (d: Decision) => d.reasons.filter((r) => r.effect === 'deny').map((r) => r.code);
const notices = (d: Decision) => d.reasons.filter((r) => r.effect === 'notice').map((r) => r.code);

function staleAlarms(site: Site): JournalEntry<'alarm'>[] {
  return [...site.journal.iterate(0)].filter(
    (e): e is JournalEntry<'alarm'> =>
      e.type === 'alarm' && (e as JournalEntry<'alarm'>).payload.code === 'DATA_STALE',
  );
}

/** GET /api/site, logged in afresh: the fake clock jumps days, past any session. */
async function siteView() {
  const login = await app.inject({
    method: 'POST',
    url: '/api/session',
    payload: { user: 'operator-1', password: PASSWORD },
  });
  const token = login.json().token;
  const r = await app.inject({
    method: 'GET',
    url: '/api/site',
    headers: { authorization: `Bearer ${token}` },
  });
  expect(r.statusCode).toBe(200);
  return r.json();
}

beforeAll(async () => {
  gw = scratchGateway({ extraYaml: FRESHNESS });
  const users = new ApiUserStore(gw.site.db);
  users.add('operator-1', 'operator', await hashPassword(PASSWORD, { N: 2 ** 10, r: 8, p: 1 }), T0);
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
  });
});

afterAll(async () => {
  await app?.close();
  gw?.dispose();
});

describe('freshness on a scratch site (residents-cards)', () => {
  it('never refreshed: stale from the start, the site says so', async () => {
    expect((await siteView()).stale).toEqual({ since: null, refreshedAt: null, policy: 'residents-cards' });
  });

  it('after an import, passes are as usual and nothing is stale', async () => {
    importRegistry(gw.site);
    gw.clock.now = T0 + H;
    expect(present('north-ped-in', { kind: 'qr', value: QR_PASS, codeId: `${QR_PASS}@1` }).allow).toBe(true);
    const card = present('north-ped-in', { kind: 'card', value: 'A0000001' });
    expect(card.allow).toBe(true);
    expect(notices(card)).toEqual([]);
    expect(checkFreshness(gw.site)).toBeUndefined();
    expect((await siteView()).stale).toBeNull();
  });

  it('past maxAgeHours: a QR pass is refused, a resident card passes with the notice, one alarm', async () => {
    gw.clock.now = T0 + 73 * H;
    const alarm = checkFreshness(gw.site);
    expect(alarm?.payload).toMatchObject({
      code: 'DATA_STALE',
      detail: { refreshedAt: T0, staleSince: T0 + 72 * H, maxAgeHours: 72, policy: 'residents-cards' },
    });
    expect(checkFreshness(gw.site)).toBeUndefined();

    const qr = present('north-ped-out', { kind: 'qr', value: QR_PASS, codeId: `${QR_PASS}@2` });
    expect(qr.allow).toBe(false);
    expect(denies(qr)).toEqual(['DATA_STALE']);
    const card = present('north-ped-in', { kind: 'card', value: 'A0000003' });
    expect(card.allow).toBe(true);
    expect(notices(card)).toEqual(['DATA_STALE']);

    expect((await siteView()).stale).toEqual({
      since: T0 + 72 * H,
      refreshedAt: T0,
      policy: 'residents-cards',
    });
    expect(staleAlarms(gw.site)).toHaveLength(1);
  });

  it('a restarted gateway does not raise the alarm again', () => {
    const again = new Site({ configPath: join(gw.dir, 'gatewarden.yaml'), now: () => gw.clock.now });
    try {
      again.checkpoint.start();
      expect(checkFreshness(again)).toBeUndefined();
      expect(staleAlarms(again)).toHaveLength(1);
    } finally {
      again.close();
    }
  });

  it('a new import makes the data fresh again; going stale again raises one more alarm', async () => {
    gw.clock.now = T0 + 74 * H;
    importRegistry(gw.site);
    expect((await siteView()).stale).toBeNull();
    expect(present('north-ped-out', { kind: 'qr', value: QR_PASS, codeId: `${QR_PASS}@3` }).allow).toBe(true);
    expect(checkFreshness(gw.site)).toBeUndefined();

    gw.clock.now = T0 + 147 * H;
    expect(checkFreshness(gw.site)?.payload.detail).toMatchObject({ refreshedAt: T0 + 74 * H });
    expect(checkFreshness(gw.site)).toBeUndefined();
    expect(staleAlarms(gw.site)).toHaveLength(2);
  });

  it('a signed upstream registry change refreshes; a local operator change does not', async () => {
    gw.clock.now = T0 + 148 * H;
    const local = { type: 'quarantine.add', transactionId: 't-1' } as const;
    const order = (id: string) => ({
      id,
      kind: 'home' as const,
      target: { person: 'r-3' },
      until: '2022-05-30T00:00:00+08:00',
    });
    applyRequest(gw.site, { ...local, order: order('q-local') }, 'operator-1');
    expect((await siteView()).stale).not.toBeNull();
    applyRequest(
      gw.site,
      { ...local, transactionId: 't-2', order: order('q-upstream') },
      'upstream:district-1',
    );
    expect((await siteView()).stale).toBeNull();
  });
});
