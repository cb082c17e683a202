/**
 * ClientBus on a real Mosquitto: the subscription contract the upstream bridge and the peers
 * rely on when a subscription is asked for before the broker can be reached.
 */
import { connect, type MqttClient } from 'mqtt';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { type BusMessage, topicMatches } from '../../gateway/mqtt/bus.js';
import { ClientBus, SubscriptionRefused } from '../../gateway/mqtt/client-bus.js';
import { waitFor } from '../helpers/wait-for.js';
import { type Mosquitto, startMosquitto } from './helpers/mosquitto.js';
import { BrokerRig } from './mqtt-broker-rig.js';

const log = pino({ level: 'silent' });
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function broker(options: Parameters<typeof startMosquitto>[0] = {}): Promise<Mosquitto> {
  const b = await startMosquitto(options);
  cleanups.push(() => b.dispose());
  return b;
}

function client(url: string, id: string): MqttClient {
  const c = connect(url, { clientId: id, reconnectPeriod: 100, connectTimeout: 2000 });
  cleanups.push(() => c.endAsync(true));
  return c;
}

describe('ClientBus on Mosquitto', () => {
  it('keeps a subscription asked for while the broker is down, and gets what is published once it is up', async () => {
    const b = await broker();
    await b.stop();
    const bus = new ClientBus(client(b.url, 'bus-early'), log);
    const got: BusMessage[] = [];
    let subscribed = false;
    const subscription = bus
      .subscribe('site/+/pass', (m) => got.push(m), { qos: 1 })
      .then(() => {
        subscribed = true;
      });
    // Several connection attempts fail while the broker is down; the subscription waits.
    await new Promise((r) => setTimeout(r, 400));
    expect(subscribed).toBe(false);
    await b.start();
    await subscription;
    const publisher = new ClientBus(client(b.url, 'bus-publisher'), log);
    await publisher.publish('site/north/pass', '{"seq":1}', { qos: 1 });
    await waitFor('the message', () => got.length === 1);
    expect(got[0]).toMatchObject({ topic: 'site/north/pass', qos: 1 });
    expect(got[0]?.payload.toString()).toBe('{"seq":1}');
  });

  it('fails a subscription the broker refuses, and routes nothing to its handler', async () => {
    // Mosquitto 2.0 grants a subscription its ACL denies (and delivers nothing); the embedded
    // broker answers 0x80, as a device asking for another device's commands gets.
    const rig = await BrokerRig.start([
      { name: 'relay-a', role: 'device', device: 'relay-a', password: 'relay-a-secret' },
    ]);
    cleanups.push(() => rig.dispose());
    const c = connect(`mqtt://127.0.0.1:${rig.port}`, {
      clientId: 'relay-a',
      username: 'relay-a',
      password: 'relay-a-secret',
      reconnectPeriod: 0,
    });
    cleanups.push(() => c.endAsync(true));
    const bus = new ClientBus(c, log);
    const got: BusMessage[] = [];
    await expect(bus.subscribe('cmnd/relay-b/POWER', (m) => got.push(m))).rejects.toBeInstanceOf(
      SubscriptionRefused,
    );
    await bus.subscribe('cmnd/relay-a/POWER', () => undefined);
    await rig.broker.bus().publish('cmnd/relay-b/POWER', 'ON');
    await rig.broker.bus().publish('cmnd/relay-a/POWER', 'ON');
    expect(got).toEqual([]);
  });

  it('ends a pending subscription when the client ends for good', async () => {
    const b = await broker();
    await b.stop();
    const c = client(b.url, 'bus-ended');
    const bus = new ClientBus(c, log);
    const pending = bus.subscribe('a/b', () => undefined);
    await new Promise((r) => setTimeout(r, 200));
    await c.endAsync(true);
    await expect(pending).rejects.toThrow();
  });

  it('matches topics the way MQTT filters do', () => {
    expect(topicMatches('a/+/c', 'a/b/c')).toBe(true);
    expect(topicMatches('a/#', 'a')).toBe(true);
    expect(topicMatches('#', '$SYS/x')).toBe(false);
    expect(topicMatches('a/+', 'a/b/c')).toBe(false);
  });
});
