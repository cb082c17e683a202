/**
 * Home-quarantine door sensors over the embedded broker: a Zigbee2MQTT bridge (a real MQTT.js
 * client with its own broker user and its last will) publishes the door contacts of two
 * households; the gateway side is a real Site (registry with households, members and orders,
 * SQLite journal), its SiteLanePort and the devices built by buildMqttDevices on the broker's
 * in-process bus, with a manual clock for the grace (the Site reads the same clock).
 * h-1 is under a home quarantine order, h-2 under none. The breach is acknowledged through the
 * admin API as an operator would.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MqttDeviceStatus } from '../../drivers/mqtt/mqtt-device.js';
import { buildApiServer } from '../../gateway/api/server.js';
import { ApiUserStore } from '../../gateway/api/users.js';
import type { DeviceModule } from '../../gateway/devices/device-module.js';
import { buildMqttDevices } from '../../gateway/devices/mqtt-devices.js';
import { SiteLanePort } from '../../gateway/devices/site-lane-port.js';
import type { AnyJournalEntry } from '../../gateway/journal/journal.js';
import { writeUsersFile } from '../../gateway/mqtt/broker/users-file.js';
import { Site } from '../../gateway/site.js';
import { hashPassword } from '../../gateway/util/password.js';
import { memoryLog } from '../helpers/idcard-lane.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { waitFor } from '../helpers/wait-for.js';
import { BrokerRig, FAST_COST } from './mqtt-broker-rig.js';

const H = 3600_000;
/** 2022-04-10 10:00 in Asia/Shanghai. */
const T0 = Date.UTC(2022, 3, 10, 2);
const GRACE_MS = 60_000;
const BRIDGE = { username: 'z2m', password: 'z2m-bridge-secret' };
const DOOR = { 'door-h1': 'zigbee2mqtt/b1/u1/101', 'door-h2': 'zigbee2mqtt/b2/u1/201' } as const;
type DoorId = keyof typeof DOOR;
const NAMES = ['张伟', '李娜'];

const SITE_YAML = (dataDir: string) => `
site: { id: household-doors, name: { zh: 测试小区, en: Test }, dataDir: ${dataDir} }
mode: closed
gates:
  - id: north
    name: { zh: 北门, en: North }
    primary: true
    lanes:
      - { id: north-ped-in, name: { zh: 北门入口, en: North in }, kind: pedestrian, direction: in }
mqtt:
  devices:
    - { convention: zigbee2mqtt, id: door-h1, household: h-1, kind: contact, friendlyName: b1/u1/101 }
    - convention: zigbee2mqtt
      id: door-h2
      household: h-2
      kind: contact
      friendlyName: b2/u1/201
      breachGraceSeconds: 60
      lowBatteryPercent: 20
`;

let rig: BrokerRig;
let dir: string;
let clock: ManualClock;
let site: Site;
let modules: DeviceModule[];
let bridge: MqttClient;
let log: ReturnType<typeof memoryLog>;
const statuses = new Map<string, MqttDeviceStatus>();

beforeEach(async () => {
  rig = new BrokerRig();
  writeUsersFile(rig.config.usersFile, {
    version: 1,
    users: [
      {
        name: BRIDGE.username,
        role: 'device',
        device: 'z2m-bridge',
        publish: ['zigbee2mqtt/#'],
        subscribe: ['zigbee2mqtt/+/+/+/set'],
        password: await hashPassword(BRIDGE.password, FAST_COST),
      },
    ],
  });
  await rig.broker.start();

  dir = mkdtempSync(join(tmpdir(), 'gw-household-doors-'));
  writeFileSync(join(dir, 'gatewarden.yaml'), SITE_YAML(join(dir, 'data')));
  clock = new ManualClock(T0);
  site = new Site({ configPath: join(dir, 'gatewarden.yaml'), now: clock.now, gateway: true });
  site.registry.import(
    {
      version: 1,
      households: [
        { id: 'h-1', building: 'b1', unit: 'u1', room: '101' },
        { id: 'h-2', building: 'b2', unit: 'u1', room: '201' },
      ],
      persons: [
        { id: 'r-1', kind: 'resident', householdId: 'h-1', name: NAMES[0] },
        { id: 'r-2', kind: 'resident', householdId: 'h-2', name: NAMES[1] },
      ],
    },
    { mode: 'replace' },
  );
  site.registry.addQuarantine({
    id: 'q-h1',
    kind: 'home',
    target: { household: 'h-1' },
    from: T0 - H,
    until: T0 + 14 * 24 * H,
  });
  site.checkpoint.start();

  log = memoryLog();
  statuses.clear();
  const port = new SiteLanePort(site);
  modules = buildMqttDevices({ site, log: log.logger, port }, rig.broker.bus(), {
    clock,
    onStatus: (s) => statuses.set(s.deviceId, s),
  });
  for (const m of modules) m.start();

  bridge = await connectAsync(`mqtt://127.0.0.1:${rig.port}`, {
    clientId: 'z2m-bridge',
    ...BRIDGE,
    reconnectPeriod: 0,
    will: {
      topic: 'zigbee2mqtt/bridge/state',
      payload: Buffer.from('{"state":"offline"}'),
      qos: 1,
      retain: true,
    },
  });
  // What Zigbee2MQTT publishes at start: its state, each device's availability and (retained
  // here) each device's state. Retained, so the order of subscribing does not matter.
  await say('zigbee2mqtt/bridge/state', '{"state":"online"}', true);
  for (const topic of Object.values(DOOR)) {
    await say(`${topic}/availability`, '{"state":"online"}', true);
    await say(topic, '{"contact":true,"battery":100}', true);
  }
  await waitFor('both doors online and closed', () =>
    (Object.keys(DOOR) as DoorId[]).every((id) => statuses.get(id)?.report.open === false && online(id)),
  );
});

afterEach(async () => {
  bridge?.end(true);
  await Promise.all(modules.map((m) => m.stop()));
  site.close();
  rmSync(dir, { recursive: true, force: true });
  await rig.dispose();
});

function say(topic: string, payload: string, retain = false) {
  return bridge.publishAsync(topic, payload, { qos: 1, retain });
}

const online = (id: DoorId) => modules.flatMap((m) => m.states()).some((s) => s.deviceId === id && s.online);

/** Publishes a live state of a door and waits until the gateway side took it in. */
async function report(id: DoorId, state: { contact?: boolean; battery: number }) {
  await say(DOOR[id], JSON.stringify(state));
  await waitFor(`${id} heard ${JSON.stringify(state)}`, () => {
    const r = statuses.get(id)?.report;
    return r?.battery === state.battery && (state.contact === undefined || r.open === !state.contact);
  });
}

const entries = <T extends AnyJournalEntry['type']>(type: T) =>
  site.journal.tail(500).filter((e) => e.type === type) as AnyJournalEntry<T>[];
const alarms = () => entries('alarm').map((e) => e.payload);

describe('home-quarantine door sensors', () => {
  it('raises one QUARANTINE_BREACH for a quarantined household’s door left open past the grace', async () => {
    await report('door-h1', { contact: false, battery: 99 });
    clock.advance(GRACE_MS - 1);
    expect(alarms()).toEqual([]);
    clock.advance(1);
    clock.advance(10 * GRACE_MS);
    expect(alarms()).toEqual([
      {
        code: 'QUARANTINE_BREACH',
        severity: 'critical',
        detail: { household: 'h-1', order: 'q-h1', openMs: GRACE_MS, device: 'door-h1' },
      },
    ]);
    const journaled = JSON.stringify(site.journal.tail(500));
    for (const name of NAMES) expect(journaled).not.toContain(name);
  });

  it('stays quiet for a delivery taken in within the grace, a household under no order, and a lifted order', async () => {
    await report('door-h1', { contact: false, battery: 98 });
    clock.advance(GRACE_MS - 10_000);
    await report('door-h1', { contact: true, battery: 98 });
    await report('door-h2', { contact: false, battery: 98 });
    clock.advance(10 * GRACE_MS);
    await report('door-h2', { contact: true, battery: 98 });

    site.registry.liftQuarantine('q-h1', clock.now());
    await report('door-h1', { contact: false, battery: 97 });
    clock.advance(10 * GRACE_MS);
    expect(alarms()).toEqual([]);
    expect(log.text()).toContain('no order in force, no alarm');
  });

  it('judges at the grace’s end: an order for the building added while the door stands open counts', async () => {
    await report('door-h2', { contact: false, battery: 96 });
    clock.advance(GRACE_MS / 2);
    site.registry.addQuarantine({
      id: 'q-b2',
      kind: 'home',
      target: { building: 'b2' },
      from: clock.now(),
      until: clock.now() + 7 * 24 * H,
    });
    clock.advance(GRACE_MS / 2);
    expect(alarms()).toEqual([
      {
        code: 'QUARANTINE_BREACH',
        severity: 'critical',
        detail: { household: 'h-2', order: 'q-b2', openMs: GRACE_MS, device: 'door-h2' },
      },
    ]);
  });

  it('raises DEVICE_OFFLINE with the household for a sensor gone offline during an order only', async () => {
    bridge.stream.destroy(); // no DISCONNECT: the broker publishes the bridge's will
    await waitFor('both doors offline', () => !online('door-h1') && !online('door-h2'));
    expect(alarms()).toEqual([
      {
        code: 'DEVICE_OFFLINE',
        severity: 'critical',
        detail: {
          reason: 'bridge declared itself offline',
          household: 'h-1',
          order: 'q-h1',
          device: 'door-h1',
        },
      },
    ]);
    const offline = entries('device').filter((e) => e.payload.state === 'offline');
    expect(offline.map((e) => e.payload.deviceId).sort()).toEqual(['door-h1', 'door-h2']);
    expect(offline.every((e) => e.payload.laneId === undefined)).toBe(true);
  });

  it('raises one SENSOR_LOW_BATTERY for a low battery during an order, none without one', async () => {
    await report('door-h1', { contact: true, battery: 18 });
    await report('door-h2', { contact: true, battery: 10 });
    await report('door-h1', { contact: true, battery: 17 });
    await report('door-h1', { battery: 16 });
    expect(alarms()).toEqual([
      {
        code: 'SENSOR_LOW_BATTERY',
        severity: 'warning',
        detail: { household: 'h-1', order: 'q-h1', battery: 18, device: 'door-h1' },
      },
    ]);
  });

  it('logs and drops a malformed payload, raises nothing, and goes on', async () => {
    await say(DOOR['door-h1'], '{"contact":"ajar"');
    await say(DOOR['door-h1'], '{"contact":"ajar"}');
    await waitFor('the malformed payload logged', () => log.text().includes('malformed payload dropped'));
    const line = log.lines().find((l) => l.msg === 'malformed payload dropped / 格式错误的消息已丢弃');
    expect(line).toMatchObject({ device: 'door-h1', topic: DOOR['door-h1'] });
    clock.advance(10 * GRACE_MS);
    expect(alarms()).toEqual([]);
    await report('door-h1', { contact: false, battery: 95 });
    clock.advance(GRACE_MS);
    expect(alarms().map((a) => a.code)).toEqual(['QUARANTINE_BREACH']);
  });

  it('lets an operator acknowledge the breach through the API (alarm_ack with the alarm’s seq)', async () => {
    await report('door-h1', { contact: false, battery: 99 });
    clock.advance(GRACE_MS);
    const breach = entries('alarm')[0];
    expect(breach?.payload.code).toBe('QUARANTINE_BREACH');
    const users = new ApiUserStore(site.db);
    users.add('op-1', 'operator', await hashPassword('operator-secret', FAST_COST), clock.now());
    const app = await buildApiServer({
      site,
      config: {
        host: '127.0.0.1',
        port: 0,
        sessionIdleMinutes: 60,
        sessionHours: 12,
        login: { maxFailures: 3, windowMinutes: 15, lockMinutes: 15 },
      },
      users,
      log: log.logger,
    });
    try {
      const login = await app.inject({
        method: 'POST',
        url: '/api/session',
        payload: { user: 'op-1', password: 'operator-secret' },
      });
      const headers = { authorization: `Bearer ${login.json().token}` };
      const open = await app.inject({ method: 'GET', url: '/api/alarms?open=true', headers });
      expect(open.json().alarms).toMatchObject([
        { seq: breach?.seq, code: 'QUARANTINE_BREACH', device: 'door-h1' },
      ]);
      const ack = await app.inject({
        method: 'POST',
        url: `/api/alarms/${breach?.seq}/ack`,
        headers,
        payload: {},
      });
      expect(ack.statusCode).toBe(200);
      expect(entries('alarm_ack').map((e) => [e.payload.alarmSeq, e.payload.operator])).toEqual([
        [breach?.seq, 'op-1'],
      ]);
      const after = await app.inject({ method: 'GET', url: '/api/alarms?open=true', headers });
      expect(after.json().alarms).toEqual([]);
    } finally {
      await app.close();
    }
  });
});
