/**
 * MQTT devices against a real Mosquitto: the Zigbee2MQTT door simulator (a bridge with a lock
 * and its contact) and the Tasmota relay simulator connect as independent MQTT.js clients with
 * their last wills; the gateway side is a real Site with its SiteLanePort and the devices built
 * by buildMqttDevices on a ClientBus. A resident's pass unlocks the lock, which locks again; the
 * relay is pulsed by its PulseTime; a crashed simulator (its connection cut without DISCONNECT,
 * so the broker publishes its will) is journaled offline with DEVICE_OFFLINE, and online again
 * after a restart; a door forced open and garbage on one device are handled without harm.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TasmotaRelaySimulator } from '../../simulators/mqtt/tasmota-relay-sim.js';
import { Zigbee2MqttDoorSimulator } from '../../simulators/mqtt/z2m-door-sim.js';
import { waitFor } from '../helpers/wait-for.js';
import { type Mosquitto, startMosquitto } from './helpers/mosquitto.js';
import { type MqttDeviceSite, RESIDENT_CARD, startMqttDeviceSite } from './helpers/mqtt-devices-site.js';

const DEVICES = `
mqtt:
  devices:
    - { convention: zigbee2mqtt, id: north-lock, lane: north-ped-in, kind: lock, friendlyName: north/door-lock }
    - convention: zigbee2mqtt
      id: north-contact
      lane: north-ped-in
      kind: contact
      friendlyName: north/door-contact
      lockDevice: north-lock
    - { convention: tasmota, id: side-strike, lane: north-side-in, kind: relay, topic: side_strike }
`;

let broker: Mosquitto;
let gateway: MqttDeviceSite;
let door: Zigbee2MqttDoorSimulator;
let relay: TasmotaRelaySimulator;
const cleanups: (() => Promise<void>)[] = [];

/** What the door simulator was told and did, since it was made. */
let heard: { commands: string[]; bolts: string[] };
const newDoor = () => {
  const sim = new Zigbee2MqttDoorSimulator({
    connection: { url: broker.url, clientId: 'z2m-bridge', reconnectMs: 200 },
    lockName: 'north/door-lock',
    contactName: 'north/door-contact',
    boltMs: 50,
  });
  heard = { commands: [], bolts: [] };
  sim.on('command', (c) => heard.commands.push(c));
  sim.on('bolt', (b) => heard.bolts.push(b));
  return sim;
};
const LOCK = '{"state":"LOCK"}';
const UNLOCK = '{"state":"UNLOCK"}';
const newRelay = () =>
  new TasmotaRelaySimulator({
    connection: { url: broker.url, clientId: 'side-strike', reconnectMs: 200 },
    topic: 'side_strike',
  });

beforeEach(async () => {
  broker = await startMosquitto();
  cleanups.push(() => broker.dispose());
  door = newDoor();
  relay = newRelay();
  await door.start();
  await relay.start();
  cleanups.push(async () => {
    await door.stop();
    await relay.stop();
  });
  gateway = await startMqttDeviceSite(broker.url, DEVICES);
  cleanups.push(() => gateway.dispose());
  await waitFor('every device online', () =>
    ['north-lock', 'north-contact', 'side-strike'].every(gateway.online),
  );
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The journaled device states of one device, as "state: detail". */
const deviceStates = (deviceId: string) =>
  gateway
    .entries('device')
    .filter((e) => e.payload.deviceId === deviceId)
    .map((e) => `${e.payload.state}: ${e.payload.detail ?? ''}`);
const alarms = () => gateway.entries('alarm').map((e) => `${e.payload.code} ${e.payload.detail?.device}`);

describe('MQTT devices on a real broker', () => {
  it('unlocks the Zigbee2MQTT lock for a resident’s pass and locks it again after the unlock time', async () => {
    await waitFor('the resting LOCK sent when the lock came online', () => heard.bolts.length === 1);
    expect(heard).toEqual({ commands: [LOCK], bolts: ['locked'] });

    const decision = gateway.port.present('north-ped-in', RESIDENT_CARD, 'test-reader');
    expect(decision.allow).toBe(true);
    await waitFor('unlocked, then locked again', () => heard.bolts.length === 3);
    expect(heard).toEqual({ commands: [LOCK, UNLOCK, LOCK], bolts: ['locked', 'unlocked', 'locked'] });
    expect(gateway.entries('decision').map((e) => e.payload.decision.allow)).toEqual([true]);
  });

  it('pulses the Tasmota relay with PulseTime: the relay itself switches off after the unlock time', async () => {
    const power: string[] = [];
    relay.on('power', (_n, on, why) => power.push(`${on ? 'on' : 'off'} (${why})`));
    gateway.port.present('north-side-in', RESIDENT_CARD, 'test-reader');
    await waitFor('the pulse', () => power.length === 2);
    expect(power).toEqual(['on (POWER ON)', 'off (pulse end)']);
    expect(relay.pulseTimes).toEqual([10]); // policy.unlockSeconds 1 = 10 tenths
  });

  it('releases and holds the lock and the relay during a fire alarm, and secures them when it ends', async () => {
    await waitFor('the resting LOCK done', () => heard.bolts.length === 1);
    gateway.port.fire(true, 'test-panel');
    await waitFor('the lock held open', () => door.state.bolt === 'unlocked');
    await waitFor('the relay held on', () => relay.relays[0] === true);
    expect(relay.pulseTimes).toEqual([0]);
    gateway.port.fire(false, 'test-panel');
    await waitFor('the lock locked again', () => door.state.bolt === 'locked');
    await waitFor('the relay off again', () => relay.relays[0] === false);
    expect(gateway.entries('fire').map((e) => e.payload.active)).toEqual([true, false]);
  });

  it('journals a crashed simulator offline (its will), with DEVICE_OFFLINE, and online after a restart', async () => {
    await relay.crash();
    await waitFor('the relay offline', () =>
      deviceStates('side-strike').includes('offline: device declared itself offline'),
    );
    await door.crash();
    await waitFor(
      'the lock and contact offline',
      () => !gateway.online('north-lock') && !gateway.online('north-contact'),
    );
    expect(deviceStates('north-lock').at(-1)).toBe('offline: bridge declared itself offline');
    expect(alarms().sort()).toEqual([
      'DEVICE_OFFLINE north-contact',
      'DEVICE_OFFLINE north-lock',
      'DEVICE_OFFLINE side-strike',
    ]);

    relay = newRelay();
    door = newDoor();
    await relay.start();
    await door.start();
    await waitFor('all online again', () =>
      ['north-lock', 'north-contact', 'side-strike'].every(gateway.online),
    );
    expect(deviceStates('side-strike')).toEqual([
      'online: device declared itself online',
      'offline: device declared itself offline',
      'online: device declared itself online',
    ]);
    expect(deviceStates('north-lock').at(-1)).toMatch(/^online: /);
  });

  it('raises DOOR_FORCED_OPEN for a locked door pushed open, and shrugs off garbage from one device', async () => {
    await waitFor('the resting LOCK done', () => heard.bolts.length === 1);
    await door.setDoor(true);
    await waitFor('the forced-door alarm', () => alarms().includes('DOOR_FORCED_OPEN north-contact'));

    await door.garbage('north/door-lock', 32);
    await waitFor('the garbage logged', () => gateway.log.text().includes('malformed payload dropped'));
    const line = gateway.log
      .lines()
      .find((l) => l.msg === 'malformed payload dropped / 格式错误的消息已丢弃');
    expect(line).toMatchObject({ device: 'north-lock', topic: 'zigbee2mqtt/north/door-lock' });
    const power: boolean[] = [];
    relay.on('power', (_n, on) => power.push(on));
    gateway.port.present('north-side-in', RESIDENT_CARD, 'test-reader');
    await waitFor('the relay still pulsed', () => power.length === 2);
    expect(gateway.online('north-lock')).toBe(true);
  });
});
