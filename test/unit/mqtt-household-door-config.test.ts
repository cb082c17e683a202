/**
 * A door contact on a household's door in `mqtt.devices`: `household` instead of `lane` (exactly
 * one of the two for a contact; every other kind still needs a lane), `breachGraceSeconds` and
 * `lowBatteryPercent` for it alone; and the whole configuration loads with such a device.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseConfigText } from '../../config/load.js';
import { checkMqttDevices, mqttDeviceSchema } from '../../config/mqtt-devices-schema.js';

const devices = z.array(mqttDeviceSchema).superRefine((list, ctx) => checkMqttDevices(list, ctx));
const messages = (input: unknown) =>
  (devices.safeParse(input).error?.issues ?? []).map((i) => `${i.path.join('.')}: ${i.message}`);

const door = {
  convention: 'zigbee2mqtt',
  id: 'door-h1',
  household: 'h-1',
  kind: 'contact',
  friendlyName: 'b1/u1/101-door',
};

describe('a household door in mqtt.devices', () => {
  it('names a household instead of a lane, with its grace and battery threshold', () => {
    expect(messages([door, { ...door, id: 'door-h2', household: 'h-2', friendlyName: 'x' }])).toEqual([]);
    expect(messages([{ ...door, breachGraceSeconds: 90, lowBatteryPercent: 15 }])).toEqual([]);
    const parsed = devices.parse([door])[0];
    expect(parsed).toMatchObject({ household: 'h-1' });
    expect(parsed?.lane).toBeUndefined();
    expect(parsed?.breachGraceSeconds).toBeUndefined(); // 60 s, filled in by the builder
  });

  it('a contact names exactly one of lane and household; every other kind needs a lane', () => {
    expect(messages([{ ...door, lane: 'main-in' }])).toEqual([
      '0.household: a contact names exactly one of lane and household',
    ]);
    const { household: _, ...neither } = door;
    expect(messages([neither])).toEqual(['0.lane: a contact names exactly one of lane and household']);
    expect(messages([{ ...neither, kind: 'lock' }])).toEqual(['0.lane: a lane is required']);
    expect(messages([{ ...door, kind: 'sensor', lane: 'main-in' }])).toEqual([
      '0.household: only for kind contact',
    ]);
  });

  it('refuses the fields of the other sort of contact, and a household id with spaces', () => {
    expect(messages([{ ...door, heldOpenSeconds: 30 }])).toEqual([
      '0.heldOpenSeconds: only for a contact with lane',
    ]);
    const { household: _, ...laneDoor } = door;
    expect(messages([{ ...laneDoor, lane: 'main-in', breachGraceSeconds: 30 }])).toEqual([
      '0.breachGraceSeconds: only for a contact with household',
    ]);
    expect(messages([{ ...door, household: 'h 1' }])).toEqual([
      '0.household: a registry household id: 1–128 characters without spaces',
    ]);
    expect(messages([{ ...door, breachGraceSeconds: 0, lowBatteryPercent: 100 }])).toHaveLength(2);
  });

  it('loads through the whole configuration beside lane devices', () => {
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
    - { convention: zigbee2mqtt, id: door-lock, lane: main-in, kind: lock, friendlyName: gate/door }
    - { convention: zigbee2mqtt, id: door-h1, household: h-1, kind: contact, friendlyName: h1/door, breachGraceSeconds: 45 }
`,
      'test.yaml',
      { env: {} },
    );
    expect(config.mqtt.devices.map((d) => [d.id, d.lane, d.household])).toEqual([
      ['door-lock', 'main-in', undefined],
      ['door-h1', undefined, 'h-1'],
    ]);
  });
});
