/**
 * Bad input on an MQTT device: a malformed payload is logged with the device id and topic and
 * dropped, a flood of them is logged at a bounded rate, and nothing one device receives or does
 * (garbage, a codec that throws, an observer that throws) reaches another device or the bus.
 */
import { describe, expect, it } from 'vitest';
import { createCodec } from '../../drivers/mqtt/codec.js';
import type { DeviceCodec } from '../../drivers/mqtt/device-events.js';
import { MqttDevice } from '../../drivers/mqtt/mqtt-device.js';
import { allowUnlock, DeviceRig, settle } from '../helpers/mqtt-device-rig.js';

const Z2M = (friendlyName: string) =>
  ({ convention: 'zigbee2mqtt', kind: 'lock', baseTopic: 'zigbee2mqtt', friendlyName }) as const;

describe('malformed payloads', () => {
  it('are dropped and logged with the device id, the topic and the reason', async () => {
    const rig = new DeviceRig();
    const lock = rig.actuator({ deviceId: 'north-lock', kind: 'lock' }, Z2M('north'));
    await lock.start();
    await rig.say('zigbee2mqtt/north', '{"lock_state":"locked"}');
    const garbage = '{"lock_state": gar\u0000bage';
    await rig.say('zigbee2mqtt/north', garbage);
    const line = rig.log.lines().find((l) => l.msg === 'malformed payload dropped / 格式错误的消息已丢弃');
    expect(line).toMatchObject({
      level: 40,
      device: 'north-lock',
      topic: 'zigbee2mqtt/north',
      reason: 'payload is not JSON',
      bytes: Buffer.byteLength(garbage),
      suppressed: 0,
    });
    expect(lock.status()).toMatchObject({
      reachability: 'online',
      report: { lock: 'locked' },
      counters: { messages: 2, malformed: 1 },
    });
    expect(rig.recorder.states).toEqual(['north-lock online: state message received']);
    expect(rig.bus.handlerErrors).toEqual([]);
  });

  it('are logged at most once a second per device, with the count of those left out', async () => {
    const rig = new DeviceRig();
    const lock = rig.actuator({ deviceId: 'north-lock', kind: 'lock' }, Z2M('north'));
    await lock.start();
    for (let i = 0; i < 100; i++) await rig.bus.publish('zigbee2mqtt/north', `garbage ${i}`);
    rig.clock.advance(1000);
    await rig.say('zigbee2mqtt/north', '[]');
    const lines = rig.log.lines().filter((l) => l.msg === 'malformed payload dropped / 格式错误的消息已丢弃');
    expect(lines.map((l) => l.suppressed)).toEqual([0, 99]);
    expect(lock.status().counters.malformed).toBe(101);
  });
});

describe('one bad device never affects another', () => {
  it('keeps a healthy lock working beside a device flooded with garbage, a throwing codec and observer', async () => {
    const rig = new DeviceRig();
    const good = rig.actuator({ deviceId: 'good-lock', kind: 'lock' }, Z2M('good'));
    const bad = rig.actuator({ deviceId: 'bad-lock', kind: 'lock' }, Z2M('bad'));
    const broken: DeviceCodec = {
      ...createCodec({ convention: 'json', kind: 'sensor', stateTopic: 'broken/state' }),
      decode: () => {
        throw new Error('codec bug');
      },
    };
    const crashing = new MqttDevice(
      { deviceId: 'broken', laneId: 'north-ped-in', kind: 'sensor' },
      {
        bus: rig.bus,
        codec: broken,
        port: rig.recorder.port,
        log: rig.log.logger,
        clock: rig.clock,
        onStatus: () => {
          throw new Error('observer bug');
        },
      },
    );
    for (const d of [good, bad, crashing]) await d.start();

    await rig.say('zigbee2mqtt/bad', Buffer.from([0xff, 0x00, 0xfe]));
    await rig.say('zigbee2mqtt/bad/availability', 'perhaps');
    await rig.say('zigbee2mqtt/bad', '{"lock_state":"__proto__"}');
    await rig.say('broken/state', '{}');
    await rig.say('zigbee2mqtt/good', '{"lock_state":"locked"}');
    good.actuate(allowUnlock(5000));
    bad.actuate(allowUnlock(5000));
    rig.clock.advance(5000);
    await settle();

    expect(rig.sent('zigbee2mqtt/good/set')).toEqual([
      'zigbee2mqtt/good/set {"state":"LOCK"}', // its resting state, when first heard from
      'zigbee2mqtt/good/set {"state":"UNLOCK"}',
      'zigbee2mqtt/good/set {"state":"LOCK"}',
    ]);
    expect(good.status()).toMatchObject({ reachability: 'online', counters: { malformed: 0 } });
    expect(bad.status().counters.malformed).toBe(3);
    expect(rig.bus.handlerErrors).toEqual([]);
    const failures = rig.log.lines().filter((l) => l.msg === 'message handling failed; dropped');
    expect(failures).toMatchObject([{ device: 'broken', topic: 'broken/state' }]);
  });
});
