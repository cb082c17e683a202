/**
 * A door contact over MQTT with the OSDP door's alarms: forced open while locked, held open past
 * the release, no alarm for the state found at start, tamper once per occurrence.
 */
import { describe, expect, it } from 'vitest';
import { allowUnlock, DeviceRig } from '../helpers/mqtt-device-rig.js';

const Z2M_CONTACT = {
  convention: 'zigbee2mqtt',
  kind: 'contact',
  baseTopic: 'zigbee2mqtt',
  friendlyName: 'door-contact',
} as const;
const TOPIC = 'zigbee2mqtt/door-contact';
const OPEN = '{"contact":false,"battery":97}';
const CLOSED = '{"contact":true,"battery":97}';

async function contactRig(lockReleased?: () => boolean) {
  const rig = new DeviceRig();
  const contact = rig.contact({ deviceId: 'contact', heldOpenMs: 10_000 }, Z2M_CONTACT, lockReleased);
  await contact.start();
  await rig.say(TOPIC, CLOSED);
  return { rig, contact };
}

describe('an MQTT door contact', () => {
  it('raises DOOR_FORCED_OPEN when the door opens while nothing released it', async () => {
    const { rig, contact } = await contactRig();
    await rig.say(TOPIC, OPEN);
    expect(contact.door).toBe('open');
    expect(rig.recorder.codes()).toEqual(['contact DOOR_FORCED_OPEN']);
    expect(rig.statuses.at(-1)?.report.open).toBe(true);
  });

  it('is quiet for a door opened by a pass, and raises DOOR_HELD_OPEN once it stays open too long', async () => {
    const { rig, contact } = await contactRig();
    contact.actuate(allowUnlock(5000));
    rig.clock.advance(2000);
    await rig.say(TOPIC, OPEN);
    rig.clock.advance(12_999); // release ends at 5 s, held-open allowance 10 s after that
    expect(rig.recorder.codes()).toEqual([]);
    rig.clock.advance(1);
    expect(rig.recorder.codes()).toEqual(['contact DOOR_HELD_OPEN']);
  });

  it('raises nothing for a door closed in time, or opened during a fire alarm', async () => {
    const { rig, contact } = await contactRig();
    contact.actuate(allowUnlock(5000));
    await rig.say(TOPIC, OPEN);
    rig.clock.advance(3000);
    await rig.say(TOPIC, CLOSED);
    rig.clock.advance(60_000);
    contact.setFire(true);
    await rig.say(TOPIC, OPEN);
    rig.clock.advance(60_000);
    expect(rig.recorder.codes()).toEqual([]);
  });

  it('does not call a door opened while its MQTT lock is unlocked forced', async () => {
    let unlocked = true;
    const { rig } = await contactRig(() => unlocked);
    await rig.say(TOPIC, OPEN);
    await rig.say(TOPIC, CLOSED);
    unlocked = false;
    await rig.say(TOPIC, OPEN);
    expect(rig.recorder.codes()).toEqual(['contact DOOR_FORCED_OPEN']);
  });

  it('takes a retained state as found, without alarms; a live opening counts even as the first news', async () => {
    const rig = new DeviceRig();
    await rig.say(TOPIC, OPEN, true);
    const contact = rig.contact({ deviceId: 'contact' }, Z2M_CONTACT);
    await contact.start();
    expect(contact.door).toBe('open');
    await rig.say(TOPIC, OPEN);
    await rig.say(TOPIC, CLOSED);
    expect(rig.recorder.codes()).toEqual([]);

    const fresh = new DeviceRig();
    const second = fresh.contact({ deviceId: 'contact' }, Z2M_CONTACT);
    await second.start();
    expect(second.door).toBe('unknown');
    await fresh.say(TOPIC, OPEN);
    expect(fresh.recorder.codes()).toEqual(['contact DOOR_FORCED_OPEN']);
  });

  it('raises DEVICE_TAMPER once per occurrence', async () => {
    const { rig } = await contactRig();
    await rig.say(TOPIC, '{"contact":true,"tamper":true}');
    await rig.say(TOPIC, '{"contact":true,"tamper":true}');
    await rig.say(TOPIC, '{"contact":true,"tamper":false}');
    await rig.say(TOPIC, '{"contact":true,"tamper":true}');
    expect(rig.recorder.codes()).toEqual(['contact DEVICE_TAMPER', 'contact DEVICE_TAMPER']);
  });
});
