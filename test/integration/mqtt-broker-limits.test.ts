/**
 * Limits of the embedded broker: an oversized packet, a publish flood, bad topics and an
 * over-long client id each disconnect (or refuse) only the offender, while another client keeps
 * receiving; each is journaled as MQTT_CLIENT_REFUSED. Clients are mosquitto_pub/_sub, and a raw
 * socket for what mosquitto_pub will not send (a NUL or a wildcard in a publish topic).
 */
import { connect, type Socket } from 'node:net';
import { connectAsync } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait-for.js';
import { BrokerRig, type Sub } from './mqtt-broker-rig.js';

const USERS = [
  { name: 'big', role: 'device', device: 'big', password: 'big-secret' },
  { name: 'flood', role: 'device', device: 'flood', password: 'flood-secret' },
  { name: 'raw-nul', role: 'device', device: 'raw', password: 'raw-secret' },
  { name: 'raw-plus', role: 'device', device: 'raw', password: 'raw-secret' },
  { name: 'longid', role: 'device', device: 'longid', password: 'longid-secret' },
  { name: 'longtopic', role: 'device', device: 'longtopic', password: 'longtopic-secret' },
  { name: 'ws-big', role: 'device', device: 'ws-big', password: 'ws-big-secret' },
  { name: 'ws-huge', role: 'device', device: 'ws-huge', password: 'ws-huge-secret' },
  { name: 'good', role: 'device', device: 'good', password: 'good-secret' },
  { name: 'gateway', role: 'gateway', password: 'gateway-secret' },
] as const;
const usernamePassword = (name: string) => {
  const { user: username, password } = user(name);
  return { username, password };
};
const user = (name: string) => {
  const u = USERS.find((x) => x.name === name);
  if (!u) throw new Error(name);
  return { user: u.name, password: u.password };
};

let rig: BrokerRig;
let watcher: Sub;

beforeAll(async () => {
  rig = await BrokerRig.start([...USERS], {
    limits: { maxPacketBytes: 4096, publishPerSecond: 1, publishBurst: 20, maxTopicLength: 64 },
  });
  watcher = rig.sub({ ...user('gateway'), clientId: 'watcher' }, ['-t', 'stat/#']);
  await rig.subscribed('watcher');
});

afterAll(async () => {
  await watcher?.stop();
  await rig?.dispose();
});

/** A well-behaved device publishes; resolves once the watcher, still connected, got it. */
async function watcherStillReceives(payload: string): Promise<void> {
  const run = await rig.pub({ ...user('good') }, ['-t', 'stat/good/POWER', '-m', payload, '-q', '1']);
  expect(run.code).toBe(0);
  await waitFor(`the watcher to receive ${payload}`, () =>
    watcher.lines.includes(`stat/good/POWER ${payload}`),
  );
  expect(watcher.running()).toBe(true);
}

describe('limits', () => {
  it('disconnects a client sending a packet over maxPacketBytes, only that one', async () => {
    const big = 'x'.repeat(10_000);
    const run = await rig.pub(
      { ...user('big'), clientId: 'big' },
      ['-t', 'stat/big/dump', '-s', '-q', '1'],
      big,
    );
    expect(run.code).not.toBe(0);
    const alarm = await rig.alarm('MQTT_CLIENT_REFUSED', (d) => d.clientId === 'big');
    expect(alarm.detail).toMatchObject({ user: 'big', reason: 'packet too large' });
    expect(alarm.detail?.bytes).toBeGreaterThan(10_000);
    await watcherStillReceives('after-big');
    expect(watcher.lines.some((l) => l.startsWith('stat/big/'))).toBe(false);
  });

  it.each([
    // Over the MQTT limit: the packet guard. Over what ws buffers (2 × limit): ws itself.
    ['ws-big', 6000, /^packet too large$/],
    ['ws-huge', 20_000, /^packet too large \(WebSocket message\)/],
  ])('disconnects a WebSocket client (%s) sending %i bytes', async (name, size, reason) => {
    const url = `ws://127.0.0.1:${rig.broker.addresses.websocket?.port}/mqtt`;
    const client = await connectAsync(url, { ...usernamePassword(name), clientId: name, reconnectPeriod: 0 });
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.publish(`stat/${name}/dump`, Buffer.alloc(size), { qos: 1 });
    const alarm = await rig.alarm('MQTT_CLIENT_REFUSED', (d) => d.clientId === name);
    await closed;
    expect(alarm.detail?.reason).toMatch(reason);
    client.end(true);
    await watcherStillReceives(`after-${name}`);
  });

  it('disconnects a client publishing faster than its rate, only that one', async () => {
    const lines = Array.from({ length: 2000 }, (_, i) => `m${i}`).join('\n');
    const cutOff: string[] = [];
    rig.broker.aedes.on('clientError', (client, err) => cutOff.push(`${client.id}: ${err.message}`));
    // mosquitto_pub -l reconnects and carries on when cut off, so its exit code tells nothing.
    await rig.pub({ ...user('flood'), clientId: 'flooder' }, ['-t', 'stat/flood/x', '-l'], lines);
    await waitFor('the flooder to be cut off', () => cutOff.some((c) => /^flooder: .*faster than/.test(c)));
    const alarm = await rig.alarm('MQTT_CLIENT_REFUSED', (d) => d.clientId === 'flooder');
    expect(alarm.detail?.reason).toMatch(/faster than 1\/s/);
    await watcherStillReceives('after-flood');
    const flooded = watcher.lines.filter((l) => l.startsWith('stat/flood/x'));
    expect(flooded.length).toBeGreaterThan(0);
    expect(flooded.length).toBeLessThan(2000);
  });

  it('refuses an over-long client id with CONNACK "identifier rejected"', async () => {
    const run = await rig.pub({ ...user('longid'), clientId: 'i'.repeat(100) }, [
      '-t',
      'stat/longid/x',
      '-m',
      '1',
    ]);
    expect(run.stderr).toMatch(/identifier rejected/i);
    const alarm = await rig.alarm('MQTT_CLIENT_REFUSED', (d) => d.user === 'longid');
    expect(alarm.detail?.reason).toMatch(/client id longer than 64/);
  });

  it('disconnects a client publishing to an over-long topic', async () => {
    const topic = `stat/longtopic/${'t'.repeat(80)}`;
    const run = await rig.pub({ ...user('longtopic'), clientId: 'longtopic' }, [
      '-t',
      topic,
      '-m',
      '1',
      '-q',
      '1',
    ]);
    expect(run.code).not.toBe(0);
    const alarm = await rig.alarm('MQTT_CLIENT_REFUSED', (d) => d.clientId === 'longtopic');
    expect(alarm.detail?.reason).toMatch(/topic longer than 64 bytes/);
    await watcherStillReceives('after-long-topic');
  });

  it.each([
    ['a NUL', 'stat/raw/a\u0000b', /NUL/, 'raw-nul'],
    ['a wildcard', 'stat/raw/+', /bad topic: \+ is not allowed/, 'raw-plus'],
  ])('disconnects a client publishing to a topic with %s', async (_what, topic, reason, clientId) => {
    const socket = await rawConnect(rig.port, clientId, user(clientId));
    socket.write(publishPacket(topic, 'bad'));
    await new Promise((resolve) => socket.once('close', resolve));
    const alarm = await rig.alarm('MQTT_CLIENT_REFUSED', (d) => d.clientId === clientId);
    expect(alarm.detail?.reason).toMatch(reason);
    await watcherStillReceives(`after-${clientId}`);
  });
});

// A hand-made MQTT 3.1.1 client (§3.1 CONNECT, §3.3 PUBLISH at QoS 0) for topics no library sends.
const utf8 = (s: string) => {
  const b = Buffer.from(s);
  return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
};
function packet(type: number, body: Buffer): Buffer {
  const length: number[] = [];
  let n = body.length;
  do {
    length.push((n % 128) | (n >= 128 ? 0x80 : 0));
    n = Math.floor(n / 128);
  } while (n > 0);
  return Buffer.concat([Buffer.from([type, ...length]), body]);
}
const connectPacket = (clientId: string, u: { user: string; password: string }) =>
  packet(
    0x10,
    Buffer.concat([
      utf8('MQTT'),
      Buffer.from([4, 0xc2, 0, 30]),
      utf8(clientId),
      utf8(u.user),
      utf8(u.password),
    ]),
  );
const publishPacket = (topic: string, payload: string) =>
  packet(0x30, Buffer.concat([utf8(topic), Buffer.from(payload)]));

/** Connects and resolves once CONNACK accepted the client. */
function rawConnect(port: number, clientId: string, u: { user: string; password: string }): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(connectPacket(clientId, u)));
    socket.once('data', (d) =>
      d[0] === 0x20 && d[3] === 0 ? resolve(socket) : reject(new Error(`CONNACK ${d.toString('hex')}`)),
    );
    socket.once('error', reject);
  });
}
