/**
 * The admin API and the dashboard in process, on a scratch site with the real clock, for the
 * browser tests: a LiveFeed on a memory bus feeds `/api/live` as in `gatewarden start`, passes
 * and fevers are made through the same checkpoint devices use, and the lane north-ped-out has a
 * real device: an OSDP door module (the OSDP PD simulator on an in-memory RS-485 line, driven by
 * the gateway's DeviceHost), whose strike output an emergency open must release.
 */
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { MemoryBus as Rs485Line } from '../../drivers/transport/memory-bus.js';
import { buildApiServer } from '../../gateway/api/server.js';
import { ApiUserStore, ROLES, type Role } from '../../gateway/api/users.js';
import { DeviceHost } from '../../gateway/devices/device-host.js';
import type { DeviceState } from '../../gateway/devices/device-module.js';
import { LiveFeed } from '../../gateway/mqtt/live-feed.js';
import { MemoryBus } from '../../gateway/mqtt/memory-bus.js';
import type { Site } from '../../gateway/site.js';
import { hashPassword } from '../../gateway/util/password.js';
import { BusSimulator } from '../../simulators/osdp/bus-simulator.js';
import { SimulatedPd } from '../../simulators/osdp/pd-responder.js';
import { pass, scratchGateway, silentLog } from '../integration/helpers/mqtt-requests-site.js';
import { waitFor } from './wait-for.js';

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
  /** Emergency opens handed to the lanes' actuators. */
  opened: { laneId: string; allow: boolean }[];
  /** Whether the simulated door module at north-ped-out has its strike released now. */
  doorReleased(): boolean;
  stop(): Promise<void>;
}

export async function startDashboardRig(
  options: { users?: { name: string; role: Role; password: string }[] } = {},
): Promise<DashboardRig> {
  const gw = scratchGateway({
    now: Date.now,
    extraYaml: `
lines: [{ id: bus, path: memory, baud: 9600 }]
osdp:
  devices:
    - { id: north-out-door, line: bus, address: 1, lane: north-ped-out, secure: off, door: {} }
`,
  });
  const { site } = gw;
  const line = new Rs485Line();
  const door = new SimulatedPd({ address: 1, model: { door: true } });
  const pdSide = new BusSimulator({ transport: line.attach('door-module'), pds: [door] });
  await pdSide.start();
  const host = new DeviceHost({ site, log: silentLog, transportFor: () => line.attach('gateway') });
  await host.start();
  await waitFor('the door module online', () => host.states().some((s) => s.online));
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
        ...host.states(),
        { deviceId: 'north-in-thermal', online: false, counters: { pulls: 7 } },
      ],
      actuate: (laneId, decision) => {
        opened.push({ laneId, allow: decision.allow });
        host.port.actuate(laneId, decision);
      },
      liveBus,
      dashboardDir: join(ROOT, 'dashboard'),
    });
  } catch (err) {
    await live.stop();
    await host.stop();
    await pdSide.stop();
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
    doorReleased: () => door.model.outputs()[0] === true,
    stop: async () => {
      await app.close();
      await live.stop();
      await host.stop();
      await pdSide.stop();
      gw.dispose();
    },
  };
}
