/**
 * No topic and no payload crashes an MQTT device codec: whatever arrives (random bytes, JSON of
 * any shape with the keys the codecs read holding any value, availability words, prototype
 * keys), decode returns one of its three outcomes, and every event it returns is well formed.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { type CodecSettings, createCodec } from '../../drivers/mqtt/codec.js';
import { type DeviceEvent, MQTT_DEVICE_KINDS } from '../../drivers/mqtt/device-events.js';

const kind = fc.constantFrom(...MQTT_DEVICE_KINDS);

const settings: fc.Arbitrary<CodecSettings> = fc.oneof(
  fc.record({
    convention: fc.constant('zigbee2mqtt' as const),
    kind,
    baseTopic: fc.constantFrom('zigbee2mqtt', 'z2m/site'),
    friendlyName: fc.constantFrom('door', 'gate/north lock'),
  }),
  fc.record({
    convention: fc.constant('tasmota' as const),
    kind,
    topic: fc.constantFrom('strike', 'gate_1'),
    relay: fc.integer({ min: 1, max: 8 }),
    switchInput: fc.integer({ min: 1, max: 8 }),
  }),
  fc.record({
    convention: fc.constant('json' as const),
    kind,
    stateTopic: fc.constant('devices/d/state'),
    commandTopic: fc.constant('devices/d/set'),
    availabilityTopic: fc.constant('devices/d/availability'),
  }),
);

/** Keys the codecs read, and keys that are traps for careless lookups. */
const KEYS = [
  'state',
  'state_l1',
  'lock_state',
  'contact',
  'tamper',
  'battery',
  'POWER',
  'POWER1',
  'POWER2',
  'Switch1',
  'Action',
  'Wifi',
  '__proto__',
  'constructor',
  'toString',
];
const WORDS = [
  'ON',
  'off',
  'LOCK',
  'UNLOCK',
  'locked',
  'not_fully_locked',
  'OPEN',
  'CLOSE',
  'online',
  'Offline',
];
const leaf = fc.oneof(
  fc.constantFrom(...WORDS, 'constructor', '__proto__'),
  fc.string(),
  fc.double(),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
);
const value = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('array'), tie('object')),
  array: fc.array(tie('node'), { maxLength: 4 }),
  object: fc.dictionary(fc.oneof(fc.constantFrom(...KEYS), fc.string()), tie('node'), { maxKeys: 6 }),
})).node;

/** Prototype names as values: a codec that looks words up in a plain object would find functions. */
const TRAPS = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'CONSTRUCTOR', 'valueOf'];
const json = (v: unknown) => Buffer.from(JSON.stringify(v) ?? 'null');

const payload = fc.oneof(
  fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
  value.map(json),
  fc.dictionary(fc.constantFrom(...KEYS), leaf).map(json),
  fc.tuple(fc.constantFrom(...KEYS), fc.constantFrom(...TRAPS)).map(([k, v]) => json({ [k]: v })),
  {
    weight: 3,
    arbitrary: fc.constantFrom(...TRAPS).map((trap) => json(Object.fromEntries(KEYS.map((k) => [k, trap])))),
  },
  fc.constantFrom(...TRAPS).map((w) => Buffer.from(w)),
  fc.constantFrom(...WORDS).map((w) => Buffer.from(w)),
  fc.string().map((s) => Buffer.from(s)),
);

function wellFormed(event: DeviceEvent): void {
  if (event.type === 'availability') {
    expect(typeof event.online).toBe('boolean');
    expect(['device', 'bridge']).toContain(event.scope);
    return;
  }
  const r = event.report;
  if (r.lock !== undefined) expect(['locked', 'unlocked', 'jammed']).toContain(r.lock);
  if (r.cover !== undefined) expect(['open', 'closed', 'opening', 'closing', 'stopped']).toContain(r.cover);
  for (const flag of [r.power, r.open, r.tamper]) if (flag !== undefined) expect(typeof flag).toBe('boolean');
  if (r.battery !== undefined) expect(r.battery >= 0 && r.battery <= 100).toBe(true);
  for (const [key, n] of Object.entries(r.readings ?? {})) {
    expect(typeof key).toBe('string');
    expect(Number.isFinite(n)).toBe(true);
  }
  expect(Object.keys(r.readings ?? {}).length).toBeLessThanOrEqual(32);
}

describe('MQTT device codecs', () => {
  test.prop([settings, fc.string(), payload], { numRuns: 2000 })(
    'decode returns events, ignored or malformed for any topic and payload, never throws',
    (s, randomTopic, bytes) => {
      const codec = createCodec(s);
      for (const topic of [...codec.topics, randomTopic]) {
        const result = codec.decode(topic, bytes);
        expect(['events', 'ignored', 'malformed']).toContain(result.kind);
        if (result.kind === 'events') for (const e of result.events) wellFormed(e);
        else expect(typeof (result.kind === 'ignored' ? result.why : result.reason)).toBe('string');
        expect(codec.decode(topic, bytes)).toEqual(result);
      }
    },
  );

  test.prop([settings, fc.integer({ min: 0, max: 10_000_000 })])(
    'commands go to concrete topics of the device, never retained',
    (s, pulseMs) => {
      const codec = createCodec(s);
      for (const command of [
        { type: 'release' as const, pulseMs },
        { type: 'hold' as const },
        { type: 'secure' as const },
      ]) {
        for (const m of codec.encode(command)) {
          expect(m.topic).not.toMatch(/[+#]/);
          expect(m.retain).toBe(false);
          expect(codec.topics).not.toContain(m.topic);
        }
      }
    },
  );
});
