/**
 * The `mqtt.devices` entries: one schema per convention (discriminated by `convention`), fields
 * that belong to other kinds refused, topics checked, defaults filled, and the codec each entry
 * builds listening where the device publishes.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseConfigText } from '../../config/load.js';
import { checkMqttDevices, jsonTopics, mqttDeviceSchema } from '../../config/mqtt-devices-schema.js';
import { createCodec } from '../../drivers/mqtt/codec.js';
import { codecSettings } from '../../gateway/devices/mqtt-devices.js';

const devices = z.array(mqttDeviceSchema).superRefine((list, ctx) => checkMqttDevices(list, ctx));
const messages = (input: unknown) =>
  (devices.safeParse(input).error?.issues ?? []).map((i) => `${i.path.join('.')}: ${i.message}`);

const lock = {
  convention: 'zigbee2mqtt',
  id: 'door-lock',
  lane: 'main-in',
  kind: 'lock',
  friendlyName: 'door',
};

describe('mqtt.devices entries', () => {
  it('fill each convention’s defaults', () => {
    const parsed = devices.parse([
      lock,
      { convention: 'tasmota', id: 'strike', lane: 'main-in', kind: 'relay', topic: 'strike' },
      { convention: 'json', id: 'temp', lane: 'main-in', kind: 'sensor', stateTimeoutSeconds: 60 },
    ]);
    expect(parsed[0]).toMatchObject({ baseTopic: 'zigbee2mqtt' });
    expect(parsed[1]).toMatchObject({ fullTopic: '%prefix%/%topic%/' });
    expect(parsed[2]).toMatchObject({ payloadAvailable: 'online', payloadNotAvailable: 'offline' });
    const json = parsed[2];
    if (json?.convention !== 'json') throw new Error('json entry expected');
    expect(jsonTopics(json)).toEqual({
      state: 'devices/temp/state',
      command: 'devices/temp/set',
      availability: 'devices/temp/availability',
    });
  });

  it('refuse an unknown convention, fields of another kind and bad topics', () => {
    expect(messages([{ ...lock, convention: 'homie' }])).toEqual([
      "0.convention: Invalid discriminator value. Expected 'zigbee2mqtt' | 'tasmota' | 'json'",
    ]);
    expect(messages([{ ...lock, kind: 'contact', unlockSeconds: 3 }])).toEqual([
      '0.unlockSeconds: only for kind lock or relay',
    ]);
    expect(messages([{ ...lock, friendlyName: 'door/#' }])).toHaveLength(1);
    expect(messages([{ ...lock, friendlyName: 'bridge/door' }])).toEqual([
      '0.friendlyName: "bridge" is the bridge’s own topic',
    ]);
    expect(
      messages([{ convention: 'tasmota', id: 't', lane: 'l', kind: 'relay', topic: 'a/b' }]),
    ).toHaveLength(1);
    expect(
      messages([
        { convention: 'json', id: 'j', lane: 'l', kind: 'lock', stateTopic: '$SYS/x', commandTopic: 'a//b' },
      ]),
    ).toHaveLength(2);
    expect(messages([{ ...lock, color: 'red' }])).toHaveLength(1);
  });

  it('refuse two devices on the same topics, and a contact naming no MQTT lock', () => {
    expect(messages([lock, { ...lock, id: 'other-lock' }])).toEqual(['1: uses the same topics as devices.0']);
    const contact = {
      ...lock,
      id: 'contact',
      kind: 'contact',
      friendlyName: 'contact',
      lockDevice: 'nobody',
    };
    expect(messages([lock, contact])).toEqual(['1.lockDevice: no MQTT lock or relay "nobody"']);
    expect(messages([lock, { ...contact, lockDevice: 'door-lock' }])).toEqual([]);
  });

  it('load through the whole configuration and build codecs that listen where the devices publish', () => {
    const config = parseConfigText(
      `site: { id: tiny, name: { zh: 小区, en: Tiny } }
gates:
  - id: main
    name: { zh: 大门, en: Main }
    primary: true
    lanes:
      - { id: main-in, name: { zh: 入, en: In }, kind: pedestrian, direction: in }
mqtt:
  devices:
    - { convention: zigbee2mqtt, id: door-lock, lane: main-in, kind: lock, friendlyName: gate/door, unlockSeconds: 4 }
    - { convention: tasmota, id: strike, lane: main-in, kind: relay, topic: strike, relay: 2 }
    - { convention: json, id: temp, lane: main-in, kind: sensor, baseTopic: site/temp }
`,
      'test.yaml',
      { env: {} },
    );
    const topics = config.mqtt.devices.map((d) => createCodec(codecSettings(d)).topics[0]);
    expect(topics).toEqual(['zigbee2mqtt/gate/door', 'tele/strike/LWT', 'site/temp/state']);
    expect(config.mqtt.devices[0]).toMatchObject({ unlockSeconds: 4 });
  });
});
