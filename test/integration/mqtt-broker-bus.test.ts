import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalBus } from '../../gateway/mqtt/broker/local-bus.js';
import type { BusMessage } from '../../gateway/mqtt/bus.js';
import { selfSignedCert } from '../helpers/self-signed-cert.js';
import { waitFor } from '../helpers/wait-for.js';
import { BrokerRig } from './mqtt-broker-rig.js';

const DASH = { user: 'dashboard', password: 'dashboard-secret' };
const RELAY = { user: 'relay-a', password: 'relay-a-secret' };

const certDir = mkdtempSync(join(tmpdir(), 'gw-mqtt-tls-'));
let rig: BrokerRig;
let bus: LocalBus;

beforeAll(async () => {
  const { certFile, keyFile } = selfSignedCert(certDir);
  rig = await BrokerRig.start(
    [
      { name: DASH.user, role: 'dashboard', password: DASH.password },
      { name: RELAY.user, role: 'device', device: 'relay-a', password: RELAY.password },
    ],
    { tls: { port: 0, certFile, keyFile } },
  );
  bus = rig.broker.bus();
});

afterAll(async () => {
  await rig?.dispose();
  rmSync(certDir, { recursive: true, force: true });
});

describe('LocalBus', () => {
  it('delivers the gateway’s messages to a mosquitto_sub client', async () => {
    const sub = rig.sub({ ...DASH, clientId: 'live' }, ['-t', 'gatewarden/pass/#']);
    await rig.subscribed('live');
    await bus.publish('gatewarden/pass/north', '{"allow":true}', { qos: 1 });
    await waitFor('the pass on mosquitto_sub', () => sub.lines.length > 0);
    expect(sub.lines).toEqual(['gatewarden/pass/north {"allow":true}']);
    await sub.stop();
  });

  it('delivers a device’s messages to a local subscriber, and a throwing handler harms no other', async () => {
    const got: BusMessage[] = [];
    const stopThrowing = await bus.subscribe('stat/+/POWER', () => {
      throw new Error('a faulty handler');
    });
    const stop = await bus.subscribe('stat/+/POWER', (m) => got.push(m));
    const run = await rig.pub(RELAY, ['-t', 'stat/relay-a/POWER', '-m', 'ON', '-q', '1']);
    expect(run.code).toBe(0);
    await waitFor('the device message', () => got.length > 0);
    expect(got).toEqual([{ topic: 'stat/relay-a/POWER', payload: Buffer.from('ON'), retain: false, qos: 1 }]);
    await stop();
    await stopThrowing();
  });

  it('hands a retained message of the gateway to a client that subscribes later', async () => {
    await bus.publish('gatewarden/gate/north/state', 'closed', { retain: true, qos: 1 });
    const late = rig.sub({ ...DASH, clientId: 'late' }, [
      '-t',
      'gatewarden/gate/#',
      '-C',
      '1',
      '-F',
      '%r %t %p',
    ]);
    const run = await late.exited;
    expect(run.stdout.trim()).toBe('1 gatewarden/gate/north/state closed');
  });

  it('replays a device’s retained message to a later local subscription, then live ones', async () => {
    const run = await rig.pub(RELAY, ['-t', 'tele/relay-a/LWT', '-m', 'Online', '-r', '-q', '1']);
    expect(run.code).toBe(0);
    const got: BusMessage[] = [];
    const stop = await bus.subscribe('tele/#', (m) => got.push(m));
    expect(got.map((m) => [m.topic, m.payload.toString(), m.retain])).toEqual([
      ['tele/relay-a/LWT', 'Online', true],
    ]);
    await rig.pub(RELAY, ['-t', 'tele/relay-a/STATE', '-m', '{}']);
    await waitFor('the live message', () => got.length === 2);
    expect(got[1]).toMatchObject({ topic: 'tele/relay-a/STATE', retain: false });
    await stop();
    await bus.publish('tele/relay-a/STATE', 'after unsubscribe');
    expect(got).toHaveLength(2);
  });

  it('refuses $ topics and malformed topics', async () => {
    await expect(bus.publish('$SYS/x', '1')).rejects.toThrow(/belong to the broker/);
    await expect(bus.publish('a/+/b', '1')).rejects.toThrow(/wildcard/);
    await expect(bus.subscribe('a/#/b', () => {})).rejects.toThrow(/last level/);
  });
});

describe('listeners', () => {
  it('serves MQTT.js over WebSocket to a user with credentials', async () => {
    const url = `ws://127.0.0.1:${rig.broker.addresses.websocket?.port}/mqtt`;
    await expect(
      connectAsync(url, { ...usernamePassword(DASH.user, 'wrong-password'), reconnectPeriod: 0 }),
    ).rejects.toThrow(/Not authorized/i);
    const client = await connectAsync(url, {
      ...usernamePassword(DASH.user, DASH.password),
      reconnectPeriod: 0,
    });
    const got: string[] = [];
    client.on('message', (topic, payload) => got.push(`${topic} ${payload}`));
    await client.subscribeAsync('gatewarden/alarm/#');
    await bus.publish('gatewarden/alarm/fire', 'active');
    await waitFor('the message over WebSocket', () => got.length > 0);
    expect(got).toEqual(['gatewarden/alarm/fire active']);
    await client.endAsync();
  });

  it('serves mosquitto_sub over TLS', async () => {
    const port = rig.broker.addresses.tls?.port;
    const sub = rig.sub({ ...DASH, clientId: 'tls', port }, [
      '--cafile',
      join(certDir, 'cert.pem'),
      '-t',
      'gatewarden/tls',
    ]);
    await rig.subscribed('tls');
    await bus.publish('gatewarden/tls', 'encrypted');
    await waitFor('the message over TLS', () => sub.lines.length > 0);
    expect(sub.lines).toEqual(['gatewarden/tls encrypted']);
    await sub.stop();
  });
});

function usernamePassword(username: string, password: string) {
  return { username, password };
}
