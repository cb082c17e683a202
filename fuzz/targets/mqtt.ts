import assert from 'node:assert/strict';
import fc from 'fast-check';
import { type CodecSettings, createCodec } from '../../drivers/mqtt/codec.js';
import { type DeviceEvent, MQTT_DEVICE_KINDS } from '../../drivers/mqtt/device-events.js';
import { PacketSizeMeter } from '../../gateway/mqtt/broker/packet-guard.js';
import { anyJson } from '../json-arbitrary.js';
import { defineTarget, neverThrows } from '../target.js';
import { bytes, chunked, chunkSizes } from './bytes.js';

/** MQTT: device payloads on the local bus (drivers/mqtt) and the broker's packet-size guard. */

const kind = fc.constantFrom(...MQTT_DEVICE_KINDS);

const settings: fc.Arbitrary<CodecSettings> = fc.oneof(
  fc.record(
    {
      convention: fc.constant('zigbee2mqtt' as const),
      kind,
      baseTopic: fc.constantFrom('zigbee2mqtt', 'z2m/site'),
      friendlyName: fc.constantFrom('door', 'gate/north lock'),
      endpoint: fc.option(fc.constantFrom('l1', 'l2'), { nil: undefined }),
    },
    { noNullPrototype: true },
  ),
  fc.record(
    {
      convention: fc.constant('tasmota' as const),
      kind,
      topic: fc.constantFrom('strike', 'gate_1'),
      fullTopic: fc.option(fc.constantFrom('%prefix%/%topic%/', 'tasmota/%topic%/%prefix%/'), {
        nil: undefined,
      }),
      relay: fc.integer({ min: 1, max: 8 }),
      switchInput: fc.integer({ min: 1, max: 8 }),
      openWhen: fc.option(fc.constantFrom('on' as const, 'off' as const), { nil: undefined }),
    },
    { noNullPrototype: true },
  ),
  fc.record(
    {
      convention: fc.constant('json' as const),
      kind,
      stateTopic: fc.constant('devices/d/state'),
      commandTopic: fc.constant('devices/d/set'),
      availabilityTopic: fc.constant('devices/d/availability'),
      payloadAvailable: fc.option(fc.constantFrom('ALIVE', 'online'), { nil: undefined }),
      payloadNotAvailable: fc.option(fc.constantFrom('DEAD', 'offline'), { nil: undefined }),
    },
    { noNullPrototype: true },
  ),
);

/** Keys the codecs read, and keys that are traps for careless lookups. */
const KEYS = [
  'state',
  'state_l1',
  'lock_state',
  'contact',
  'tamper',
  'battery',
  'linkquality',
  'POWER',
  'POWER1',
];
KEYS.push(
  'POWER2',
  'Switch1',
  'Switch2',
  'Action',
  'Wifi',
  'AM2301',
  'StatusSNS',
  '__proto__',
  'constructor',
  'toString',
);
const WORDS = [
  'ON',
  'off',
  'LOCK',
  'UNLOCK',
  'locked',
  'not_fully_locked',
  'OPEN',
  'CLOSE',
  'STOP',
  'online',
];
WORDS.push(
  'Offline',
  'LOCKED',
  'JAMMED',
  'open',
  'closed',
  'TOGGLE',
  'constructor',
  '__proto__',
  'hasOwnProperty',
);

const leaf = fc.oneof(
  fc.constantFrom(...WORDS),
  fc.string({ maxLength: 10 }),
  fc.double(),
  fc.integer({ min: -5, max: 200 }),
  fc.boolean(),
  fc.constant(null),
);
const shaped: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small' }, leaf, tie('object'), fc.array(tie('node'), { maxLength: 3 })),
  object: fc.dictionary(fc.oneof(fc.constantFrom(...KEYS), fc.string({ maxLength: 6 })), tie('node'), {
    noNullPrototype: true,
    maxKeys: 6,
  }),
})).object;

const json = (v: unknown) => Buffer.from(JSON.stringify(v) ?? 'null');
const payload = fc.oneof(
  { weight: 4, arbitrary: shaped.map(json) },
  anyJson.map(json),
  fc.constantFrom(...WORDS).map((w) => Buffer.from(w)),
  bytes(0, 200),
  fc.constantFrom(
    Buffer.alloc(16 * 1024 + 1, 0x20),
    Buffer.from('{"state":'),
    Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d]),
  ),
);

const LOCKS = new Set(['locked', 'unlocked', 'jammed']);
const COVERS = new Set(['open', 'closed', 'opening', 'closing', 'stopped']);

function wellFormed(event: DeviceEvent): void {
  if (event.type === 'availability') {
    assert.equal(typeof event.online, 'boolean');
    assert.ok(event.scope === 'device' || event.scope === 'bridge');
    return;
  }
  const r = event.report;
  if (r.lock !== undefined) assert.ok(LOCKS.has(r.lock), `lock ${r.lock}`);
  if (r.cover !== undefined) assert.ok(COVERS.has(r.cover), `cover ${r.cover}`);
  for (const flag of [r.power, r.open, r.tamper])
    if (flag !== undefined) assert.equal(typeof flag, 'boolean');
  if (r.battery !== undefined) assert.ok(r.battery >= 0 && r.battery <= 100, `battery ${r.battery}`);
  const readings = Object.entries(r.readings ?? {});
  assert.ok(readings.length <= 32, `${readings.length} readings`);
  for (const [, n] of readings) assert.ok(Number.isFinite(n), `reading ${n}`);
  assert.equal(Object.getPrototypeOf(r), Object.prototype, 'a report with a changed prototype');
}

export const mqttDeviceCodecs = defineTarget({
  name: 'mqtt-device-codecs',
  contract:
    'The Zigbee2MQTT, Tasmota and plain JSON device codecs (DeviceCodec.decode) on every subscribed topic and ' +
    'a random one, with payloads shaped like device state (trap keys and words), any JSON, oversized and ' +
    'invalid UTF-8: never throw, answer events, ignored or malformed, every event well formed, the same ' +
    'answer twice; commands go to concrete topics, never retained.',
  arbitrary: fc.record({ settings, topic: fc.string({ maxLength: 20 }), payload }, { noNullPrototype: true }),
  check({ settings: s, topic, payload: bytesIn }) {
    const codec = createCodec(s);
    for (const t of [...codec.topics, topic]) {
      const result = neverThrows(() => codec.decode(t, bytesIn));
      if (result.kind === 'events') for (const e of result.events) wellFormed(e);
      else assert.equal(typeof (result.kind === 'ignored' ? result.why : result.reason), 'string');
      assert.deepStrictEqual(codec.decode(t, bytesIn), result, 'decode is not deterministic');
    }
    for (const command of [
      { type: 'release' as const, pulseMs: 1500 },
      { type: 'hold' as const },
      { type: 'secure' as const },
    ]) {
      for (const m of neverThrows(() => codec.encode(command))) {
        assert.ok(!/[+#]/.test(m.topic) && m.retain === false, `command to ${m.topic}`);
      }
    }
  },
});

const MAX = 300;

/** The Remaining Length as 1–4 bytes of 7 bits, least significant first (MQTT 3.1.1 §2.2.3). */
function header(type: number, length: number): Buffer {
  const varint: number[] = [];
  let n = length;
  do {
    varint.push((n % 128) | (n >= 128 ? 0x80 : 0));
    n = Math.floor(n / 128);
  } while (n > 0);
  return Buffer.from([type, ...varint]);
}

export const mqttPacketSize = defineTarget({
  name: 'mqtt-packet-size',
  contract:
    "PacketSizeMeter (the embedded broker's guard) on packets within and over the limit, and on any bytes, " +
    'in any chunks: never throws, never trips on packets within the limit, trips on the first one over it ' +
    'with its size, and the verdict does not depend on the chunking.',
  arbitrary: fc.record(
    {
      packets: fc.array(
        fc.record(
          {
            type: fc.nat(255),
            length: fc.oneof(fc.nat(MAX), fc.integer({ min: MAX + 1, max: 2 ** 28 - 1 })),
          },
          { noNullPrototype: true },
        ),
        { maxLength: 8 },
      ),
      tail: bytes(0, 40),
      sizes: chunkSizes,
    },
    { noNullPrototype: true },
  ),
  check({ packets, tail, sizes }) {
    // Bodies of packets over the limit are never sent: the guard must trip at their header.
    const parts: Buffer[] = [];
    let expected: { ok: false; reason: 'packet too large'; bytes: number } | undefined;
    for (const p of packets) {
      parts.push(header(p.type, p.length));
      if (p.length > MAX) {
        expected = { ok: false, reason: 'packet too large', bytes: p.length };
        break;
      }
      parts.push(Buffer.alloc(p.length, 0x61));
    }
    const stream = Buffer.concat(expected === undefined ? [...parts, tail] : parts);
    const verdict = (chunks: readonly Buffer[]) => {
      const meter = new PacketSizeMeter(MAX);
      let last: ReturnType<PacketSizeMeter['feed']> = { ok: true };
      for (const chunk of chunks) last = neverThrows(() => meter.feed(chunk));
      return last;
    };
    const whole = verdict([stream]);
    assert.deepStrictEqual(verdict(chunked(stream, sizes)), whole, 'chunking changed the verdict');
    if (expected !== undefined) assert.deepStrictEqual(whole, expected);
    else if (!whole.ok)
      assert.ok(whole.reason === 'malformed length' || whole.bytes > MAX, 'tripped within the limit');
  },
});
