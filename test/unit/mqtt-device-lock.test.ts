/**
 * MQTT locks, relays and barriers as lane actuators on a MemoryBus with a manual clock: an allow
 * releases for the decision's unlock time and then secures again, a deny does nothing, a fire
 * alarm holds the lane open, a Tasmota relay is pulsed by the device itself.
 */
import { describe, expect, it } from 'vitest';
import { allowUnlock, allowVehicle, DeviceRig, deny, settle } from '../helpers/mqtt-device-rig.js';

const Z2M_LOCK = {
  convention: 'zigbee2mqtt',
  kind: 'lock',
  baseTopic: 'zigbee2mqtt',
  friendlyName: 'door',
} as const;
const SET = 'zigbee2mqtt/door/set';
const UNLOCK = `${SET} {"state":"UNLOCK"}`;
const LOCK = `${SET} {"state":"LOCK"}`;

async function z2mLock(settings: { unlockMs?: number } = {}) {
  const rig = new DeviceRig();
  const lock = rig.actuator({ deviceId: 'door-lock', kind: 'lock', ...settings }, Z2M_LOCK);
  await lock.start();
  return { rig, lock };
}

describe('a Zigbee2MQTT lock as a lane actuator', () => {
  it('unlocks on an allow for the decision’s unlock time, then locks again', async () => {
    const { rig, lock } = await z2mLock();
    lock.actuate(allowUnlock(5000));
    await settle();
    expect(rig.sent(SET)).toEqual([UNLOCK]);
    rig.clock.advance(4999);
    await settle();
    expect(rig.sent(SET)).toEqual([UNLOCK]);
    rig.clock.advance(1);
    await settle();
    expect(rig.sent(SET)).toEqual([UNLOCK, LOCK]);
  });

  it('does nothing on a deny, whatever actions it carries', async () => {
    const { rig, lock } = await z2mLock();
    lock.actuate(deny);
    lock.actuate({ ...allowUnlock(5000), allow: false }); // the contract: only an allow releases
    rig.clock.advance(60_000);
    await settle();
    expect(rig.sent('zigbee2mqtt/')).toEqual([]);
  });

  it('uses the device’s own unlock time when configured, and a second pass extends the release', async () => {
    const { rig, lock } = await z2mLock({ unlockMs: 3000 });
    lock.actuate(allowUnlock(5000));
    rig.clock.advance(2000);
    lock.actuate(allowUnlock(5000));
    await settle();
    rig.clock.advance(2999);
    await settle();
    expect(rig.sent(SET)).toEqual([UNLOCK, UNLOCK]);
    rig.clock.advance(1);
    await settle();
    expect(rig.sent(SET)).toEqual([UNLOCK, UNLOCK, LOCK]);
  });

  it('holds open during a fire alarm and locks when it ends', async () => {
    const { rig, lock } = await z2mLock();
    lock.setFire(true);
    lock.actuate(allowUnlock(5000));
    rig.clock.advance(600_000);
    await settle();
    expect(rig.sent(SET)).toEqual([UNLOCK]);
    lock.setFire(false);
    await settle();
    expect(rig.sent(SET)).toEqual([UNLOCK, LOCK]);
  });

  it('holds open when told of a fire alarm the lane port already reports (as the site’s port does)', async () => {
    const { rig, lock } = await z2mLock();
    rig.recorder.fire.active = true;
    lock.setFire(true);
    await settle();
    expect(rig.sent(SET)).toEqual([UNLOCK]);
    rig.recorder.fire.active = false;
    lock.setFire(false);
    await settle();
    expect(rig.sent(SET)).toEqual([UNLOCK, LOCK]);
  });

  it('finishes a release that outlasts the fire alarm, then locks', async () => {
    const { rig, lock } = await z2mLock();
    lock.actuate(allowUnlock(10_000));
    rig.clock.advance(1000);
    lock.setFire(true);
    rig.clock.advance(2000);
    lock.setFire(false);
    await settle();
    expect(rig.sent(SET)).toEqual([UNLOCK, UNLOCK, UNLOCK]);
    rig.clock.advance(6999);
    await settle();
    expect(rig.sent(SET)).toHaveLength(3);
    rig.clock.advance(1);
    await settle();
    expect(rig.sent(SET).at(-1)).toBe(LOCK);
  });

  it('sends its resting state when it comes online: locked, or held open while the fire alarm lasts', async () => {
    const { rig } = await z2mLock();
    await rig.say('zigbee2mqtt/door/availability', 'online', true);
    expect(rig.sent(SET)).toEqual([LOCK]);
    rig.recorder.fire.active = true;
    await rig.say('zigbee2mqtt/door/availability', '{"state":"offline"}', true);
    await rig.say('zigbee2mqtt/door/availability', '{"state":"online"}', true);
    expect(rig.sent(SET)).toEqual([LOCK, UNLOCK]);
  });

  it('stops acting after stop()', async () => {
    const { rig, lock } = await z2mLock();
    lock.actuate(allowUnlock(5000));
    await lock.stop();
    rig.clock.advance(10_000);
    lock.actuate(allowUnlock(5000));
    await settle();
    expect(rig.sent(SET)).toEqual([UNLOCK]);
  });
});

describe('a Tasmota relay driving a door strike', () => {
  const TASMOTA = { convention: 'tasmota', kind: 'relay', topic: 'strike' } as const;

  it('is pulsed: PulseTime with the unlock time, then POWER ON; no OFF when the relay ends the pulse', async () => {
    const rig = new DeviceRig();
    const relay = rig.actuator({ deviceId: 'strike', kind: 'relay' }, TASMOTA);
    await relay.start();
    relay.actuate(allowUnlock(5000));
    await settle();
    expect(rig.sent('cmnd/')).toEqual(['cmnd/strike/PulseTime 50', 'cmnd/strike/POWER ON']);
    await rig.say('stat/strike/POWER', 'ON');
    rig.clock.advance(5000);
    await rig.say('stat/strike/POWER', 'OFF');
    rig.clock.advance(5000);
    await settle();
    expect(rig.sent('cmnd/')).toHaveLength(2);
  });

  it('switches the relay off itself when it still reports ON after the pulse', async () => {
    const rig = new DeviceRig();
    const relay = rig.actuator({ deviceId: 'strike', kind: 'relay' }, TASMOTA);
    await relay.start();
    relay.actuate(allowUnlock(5000));
    await rig.say('stat/strike/RESULT', '{"POWER":"ON"}');
    rig.clock.advance(6000);
    await settle();
    expect(rig.sent('cmnd/').at(-1)).toBe('cmnd/strike/POWER OFF');
  });

  it('holds with PulseTime 0 during a fire alarm', async () => {
    const rig = new DeviceRig();
    const relay = rig.actuator({ deviceId: 'strike', kind: 'relay' }, TASMOTA);
    await relay.start();
    relay.setFire(true);
    await settle();
    expect(rig.sent('cmnd/')).toEqual(['cmnd/strike/PulseTime 0', 'cmnd/strike/POWER ON']);
    relay.setFire(false);
    await settle();
    expect(rig.sent('cmnd/').at(-1)).toBe('cmnd/strike/POWER OFF');
  });
});

describe('a barrier over MQTT', () => {
  it('opens for a vehicle pass (a Tasmota pulse of pulseMs) and ignores pedestrian-only actions of a deny', async () => {
    const rig = new DeviceRig();
    const arm = rig.actuator(
      { deviceId: 'arm', kind: 'barrier', pulseMs: 800 },
      { convention: 'tasmota', kind: 'barrier', topic: 'arm' },
    );
    await arm.start();
    arm.actuate(deny);
    arm.actuate(allowVehicle);
    await settle();
    expect(rig.sent('cmnd/')).toEqual(['cmnd/arm/PulseTime 8', 'cmnd/arm/POWER ON']);
  });

  it('as a Zigbee2MQTT cover is told to open and never to close', async () => {
    const rig = new DeviceRig();
    const arm = rig.actuator(
      { deviceId: 'arm', kind: 'barrier' },
      { convention: 'zigbee2mqtt', kind: 'barrier', baseTopic: 'zigbee2mqtt', friendlyName: 'arm' },
    );
    await arm.start();
    arm.actuate(allowVehicle);
    rig.clock.advance(60_000);
    await settle();
    expect(rig.sent('zigbee2mqtt/arm/set')).toEqual(['zigbee2mqtt/arm/set {"state":"OPEN"}']);
  });
});
