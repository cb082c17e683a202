/**
 * Availability of MQTT devices on a MemoryBus with a manual clock: from last wills and
 * availability topics, from a Zigbee2MQTT bridge, and from a state timeout; reported through
 * LanePort.deviceState on change, with one DEVICE_OFFLINE alarm per outage.
 */
import { describe, expect, it } from 'vitest';
import { allowUnlock, DeviceRig, settle } from '../helpers/mqtt-device-rig.js';

describe('availability from last wills and availability topics', () => {
  it('follows a Tasmota LWT: Online, Offline (alarm once), Online again, Offline (alarm again)', async () => {
    const rig = new DeviceRig();
    const relay = rig.actuator(
      { deviceId: 'strike', kind: 'relay' },
      { convention: 'tasmota', kind: 'relay', topic: 'strike' },
    );
    await rig.say('tele/strike/LWT', 'Online', true); // retained before the gateway subscribes
    await relay.start();
    await settle();
    expect(rig.recorder.states).toEqual(['strike online: device declared itself online']);
    await rig.say('tele/strike/LWT', 'Offline', true);
    await rig.say('tele/strike/LWT', 'Offline', true);
    expect(rig.recorder.states.at(-1)).toBe('strike offline: device declared itself offline');
    expect(rig.recorder.codes()).toEqual(['strike DEVICE_OFFLINE']);
    expect(relay.reachability).toBe('offline');
    await rig.say('tele/strike/LWT', 'Online', true);
    await rig.say('tele/strike/LWT', 'Offline', true);
    expect(rig.recorder.states).toHaveLength(4);
    expect(rig.recorder.codes()).toEqual(['strike DEVICE_OFFLINE', 'strike DEVICE_OFFLINE']);
    expect(rig.recorder.alarms[0]).toMatchObject({ severity: 'critical', laneId: 'north-ped-in' });
  });

  it('takes a Zigbee2MQTT device offline with its bridge, and back with it', async () => {
    const rig = new DeviceRig();
    const z2m = {
      convention: 'zigbee2mqtt',
      kind: 'lock',
      baseTopic: 'zigbee2mqtt',
      friendlyName: 'door',
    } as const;
    const lock = rig.actuator({ deviceId: 'door', kind: 'lock' }, z2m);
    await lock.start();
    await rig.say('zigbee2mqtt/bridge/state', '{"state":"online"}', true);
    expect(lock.reachability).toBe('unknown');
    await rig.say('zigbee2mqtt/door/availability', '{"state":"online"}', true);
    expect(lock.reachability).toBe('online');
    await rig.say('zigbee2mqtt/bridge/state', '{"state":"offline"}', true);
    expect(rig.recorder.states.at(-1)).toBe('door offline: bridge declared itself offline');
    await rig.say('zigbee2mqtt/bridge/state', 'online', true);
    expect(lock.reachability).toBe('online');
  });

  it('sends the rest of a release to a lock that was offline during it', async () => {
    const rig = new DeviceRig();
    const z2m = {
      convention: 'zigbee2mqtt',
      kind: 'lock',
      baseTopic: 'zigbee2mqtt',
      friendlyName: 'door',
    } as const;
    const lock = rig.actuator({ deviceId: 'door', kind: 'lock' }, z2m);
    await lock.start();
    await rig.say('zigbee2mqtt/door/availability', 'offline', true);
    lock.actuate(allowUnlock(5000));
    rig.clock.advance(2000);
    await rig.say('zigbee2mqtt/door/availability', 'online', true);
    rig.clock.advance(3000);
    await settle();
    expect(rig.sent('zigbee2mqtt/door/set')).toEqual([
      'zigbee2mqtt/door/set {"state":"UNLOCK"}',
      'zigbee2mqtt/door/set {"state":"UNLOCK"}',
      'zigbee2mqtt/door/set {"state":"LOCK"}',
    ]);
  });
});

describe('availability from a state timeout', () => {
  const JSON_SENSOR = { convention: 'json', kind: 'sensor', stateTopic: 'devices/t1/state' } as const;

  it('goes offline after N s without a message and online again at the next one', async () => {
    const rig = new DeviceRig();
    const sensor = rig.sensor({ deviceId: 't1', kind: 'sensor', stateTimeoutMs: 30_000 }, JSON_SENSOR);
    await sensor.start();
    await rig.say('devices/t1/state', '{"temperature":21.5}');
    expect(rig.recorder.states).toEqual(['t1 online: state message received']);
    rig.clock.advance(29_999);
    await rig.say('devices/t1/state', '{"temperature":21.6}');
    rig.clock.advance(29_999);
    expect(sensor.reachability).toBe('online');
    rig.clock.advance(1);
    expect(rig.recorder.states.at(-1)).toBe('t1 offline: no message for 30 s');
    expect(rig.recorder.codes()).toEqual(['t1 DEVICE_OFFLINE']);
    await rig.say('devices/t1/state', '{"temperature":21.7}');
    expect(rig.recorder.states.at(-1)).toBe('t1 online: state message received');
    expect(sensor.status().report.readings).toEqual({ temperature: 21.7 });
  });

  it('counts a device never heard from as offline, and a retained state as no sign of life', async () => {
    const rig = new DeviceRig();
    await rig.say('devices/t1/state', '{"temperature":20}', true);
    const sensor = rig.sensor({ deviceId: 't1', kind: 'sensor', stateTimeoutMs: 10_000 }, JSON_SENSOR);
    await sensor.start();
    expect(sensor.reachability).toBe('unknown');
    expect(sensor.status().report.readings).toEqual({ temperature: 20 });
    rig.clock.advance(10_000);
    expect(rig.recorder.states).toEqual(['t1 offline: no message for 10 s']);
  });

  it('reports a jammed lock as an error state, and online once it reports a free bolt', async () => {
    const rig = new DeviceRig();
    const z2m = {
      convention: 'zigbee2mqtt',
      kind: 'lock',
      baseTopic: 'zigbee2mqtt',
      friendlyName: 'door',
    } as const;
    const lock = rig.actuator({ deviceId: 'door', kind: 'lock' }, z2m);
    await lock.start();
    await rig.say('zigbee2mqtt/door', '{"lock_state":"locked"}');
    await rig.say('zigbee2mqtt/door', '{"lock_state":"not_fully_locked"}');
    await rig.say('zigbee2mqtt/door', '{"lock_state":"locked"}');
    expect(rig.recorder.states).toEqual([
      'door online: state message received',
      'door error: lock jammed / 门锁卡住',
      'door online: lock free again',
    ]);
  });
});
