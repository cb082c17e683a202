/**
 * The admin API and the dashboard in process, on a scratch site with the real clock, for the
 * browser tests: a LiveFeed on a memory bus feeds `/api/live` as in `gatewarden start`, and
 * passes, fevers and emergency opens are made through the same checkpoint devices use.
 */
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApiServer } from '../../gateway/api/server.js';
import { ApiUserStore, ROLES, type Role } from '../../gateway/api/users.js';
import type { DeviceState } from '../../gateway/devices/device-module.js';
import { LiveFeed } from '../../gateway/mqtt/live-feed.js';
import { MemoryBus } from '../../gateway/mqtt/memory-bus.js';
import type { Site } from '../../gateway/site.js';
import { hashPassword } from '../../gateway/util/password.js';
import { pass, scratchGateway, silentLog } from '../integration/helpers/mqtt-requests-site.js';

const ROOT = resolve(import.meta.dirname, '../..');
export const RIG_PASSWORD = 'correct horse battery';
/** Cheap scrypt for tests; the stored cost is what verification uses. */
const TEST_COST = { N: 2 ** 10, r: 8, p: 1 };

export interface DashboardRig {
  /** http://127.0.0.1:<port>/ */
  url: string;
  site: Site;
  /** A resident's pass at a lane, with a good reading just before it. */
  pass(laneId: string, card: string): void;
  /** A confirmed fever at a lane: a high camera reading, the handheld re-measure, the card: FEVER. */
  fever(laneId: string, card: string): void;
  /** What emergency opens reached the lane's (simulated) actuator. */
  opened: { laneId: string; allow: boolean }[];
  stop(): Promise<void>;
}

export async function startDashboardRig(
  options: { users?: { name: string; role: Role; password: string }[] } = {},
): Promise<DashboardRig> {
  const gw = scratchGateway({ now: Date.now });
  const { site } = gw;
  const users = new ApiUserStore(site.db);
  const wanted = options.users ?? ROLES.map((role) => ({ name: `${role}-1`, role, password: RIG_PASSWORD }));
  for (const u of wanted) users.add(u.name, u.role, await hashPassword(u.password, TEST_COST), site.now());
  const liveBus = new MemoryBus({ record: false });
  const live = new LiveFeed({
    journal: site.journal,
    config: site.config,
    bus: liveBus,
    log: silentLog,
    pseudonymKey: site.key,
    now: site.now,
  });
  live.start();
  const opened: DashboardRig['opened'] = [];
  let app: FastifyInstance;
  try {
    app = await buildApiServer({
      site,
      config: {
        host: '127.0.0.1',
        port: 0,
        sessionIdleMinutes: 60,
        sessionHours: 12,
        login: { maxFailures: 20, windowMinutes: 15, lockMinutes: 1 },
      },
      users,
      log: silentLog,
      devices: (): DeviceState[] => [
        { deviceId: 'north-in-reader', online: true, roundTripMs: 12, counters: { polls: 42, timeouts: 0 } },
        { deviceId: 'north-in-thermal', online: false, counters: { pulls: 7 } },
      ],
      actuate: (laneId, decision) => opened.push({ laneId, allow: decision.allow }),
      liveBus,
      dashboardDir: join(ROOT, 'dashboard'),
    });
  } catch (err) {
    await live.stop();
    gw.dispose();
    throw err;
  }
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    url: `${url}/`,
    site,
    pass: (laneId, card) => {
      pass(site, laneId, card);
    },
    fever: (laneId, card) => {
      const at = site.now();
      site.checkpoint.reading(laneId, { at: at - 2000, celsius: 38.6, mask: true }, 'test-camera');
      site.checkpoint.reading(
        laneId,
        { at: at - 1000, celsius: 38.5, mask: true, instrument: 'handheld' },
        'test-thermometer',
      );
      site.checkpoint.present({ laneId, at, credential: { kind: 'card', value: card } });
    },
    opened,
    stop: async () => {
      await app.close();
      await live.stop();
      gw.dispose();
    },
  };
}
