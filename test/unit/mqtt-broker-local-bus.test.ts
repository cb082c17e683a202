/**
 * LocalBus on a real aedes in process (no network): retained messages replayed on subscribe,
 * live messages that arrive during the replay held back until after it (arrival order), and a
 * retained message both replayed and seen live delivered once. The mosquitto-facing cases are
 * in test/integration/mqtt-broker-bus.test.ts.
 */
import { Aedes } from 'aedes';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalBus } from '../../gateway/mqtt/broker/local-bus.js';
import type { BusMessage } from '../../gateway/mqtt/bus.js';

let aedes: Aedes;
let bus: LocalBus;

beforeEach(async () => {
  aedes = await Aedes.createBroker();
  bus = new LocalBus(aedes, pino({ level: 'silent' }), { liveRoot: 'gatewarden' });
});
afterEach(async () => {
  await new Promise<void>((resolve) => aedes.close(() => resolve()));
});

describe('LocalBus', () => {
  it('replays retained messages first, then what arrived during the replay, each once', async () => {
    const RETAINED = 2000;
    for (let i = 0; i < RETAINED; i++) await bus.publish(`gatewarden/lane/${i}`, `r${i}`, { retain: true });
    const got: BusMessage[] = [];
    let sentDuringReplay = false;
    await bus.subscribe('gatewarden/#', (m) => {
      got.push(m);
      if (!sentDuringReplay) {
        sentDuringReplay = true;
        // Published while the replay runs: a new live message, and the same retained state again.
        void bus.publish('gatewarden/live', 'fresh');
        void bus.publish('gatewarden/lane/0', 'r0', { retain: true });
      }
    });
    await bus.publish('gatewarden/after', 'x');
    const topics = got.map((m) => m.topic);
    expect(got.slice(0, RETAINED).every((m) => m.retain)).toBe(true);
    expect(topics.slice(RETAINED)).toEqual(['gatewarden/live', 'gatewarden/after']);
    expect(topics.filter((t) => t === 'gatewarden/lane/0')).toHaveLength(1);
  });

  it('does not hand $SYS topics to a subscription starting with a wildcard', async () => {
    const got: string[] = [];
    await bus.subscribe('#', (m) => got.push(m.topic));
    aedes.publish(
      {
        cmd: 'publish',
        topic: '$SYS/x/heartbeat',
        payload: Buffer.from('1'),
        qos: 0,
        retain: false,
        dup: false,
      },
      () => {},
    );
    await bus.publish('plain', '1');
    expect(got).toEqual(['plain']);
  });
});
