/**
 * The embedded broker's per-address limits (address-limits.ts, access-control.ts), with
 * mosquitto_pub and raw TCP sockets as clients: an address that keeps failing to log in is
 * locked, its right password refused too until the lock ends, and journaled; an address may hold
 * only so many connections. Loopback is exempt by default (the gateway's own box), so these
 * tests turn `capLoopback` on.
 */
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { addressOf, ConnectionCap, isLoopback } from '../../gateway/mqtt/broker/address-limits.js';
import { waitFor } from '../helpers/wait-for.js';
import { BrokerRig } from './mqtt-broker-rig.js';

const RELAY = { name: 'relay-a', role: 'device', device: 'relay-a', password: 'relay-a-secret' } as const;
const rigs: BrokerRig[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const rig of rigs.splice(0)) await rig.dispose();
});

async function rig(overrides: Record<string, unknown>): Promise<BrokerRig> {
  const r = await BrokerRig.start([RELAY], overrides);
  rigs.push(r);
  return r;
}

const publish = (r: BrokerRig, password: string, clientId: string) =>
  r.pub({ user: RELAY.name, password, clientId }, ['-t', 'stat/relay-a/POWER', '-m', 'ON']);

describe('per-address limits of the embedded broker', () => {
  it('locks an address after repeated failed logins, even for the right password, and journals why', async () => {
    // Security events are journaled once per user and kind per interval: 1 s here, waited out.
    const r = await rig({
      limits: { capLoopback: true },
      login: { maxFailures: 3 },
      securityEventSeconds: 1,
    });
    for (let i = 0; i < 3; i++) expect((await publish(r, 'wrong-password', `guess-${i}`)).code).not.toBe(0);
    await new Promise((done) => setTimeout(done, 1100));
    const locked = await publish(r, RELAY.password, 'right-but-locked');
    expect(locked.stderr).toMatch(/not authori[sz]ed/i);
    const alarm = await r.alarm('MQTT_AUTH_FAILED', (d) => d.clientId === 'right-but-locked');
    expect(alarm.detail?.reason).toMatch(/^address locked after repeated failed logins; retry in \d+ s$/);
  });

  it('leaves loopback alone by default: a local tool with a wrong password locks out nobody', async () => {
    const r = await rig({ login: { maxFailures: 2 } });
    for (let i = 0; i < 4; i++) await publish(r, 'wrong-password', `local-${i}`);
    expect(await publish(r, RELAY.password, 'local-right')).toMatchObject({ code: 0 });
  });

  it('closes connections from one address beyond connectionsPerAddress, and journals it', async () => {
    const r = await rig({ limits: { capLoopback: true, connectionsPerAddress: 2 }, securityEventSeconds: 1 });
    const open = async () => {
      const socket = connect(r.port, '127.0.0.1');
      sockets.push(socket);
      await new Promise<void>((done, fail) => socket.once('connect', done).once('error', fail));
      return socket;
    };
    const [first, second, third] = [await open(), await open(), await open()];
    await waitFor('the third connection closed', () => third.destroyed || third.readableEnded);
    expect([first.destroyed, second.destroyed]).toEqual([false, false]);
    const alarm = await r.alarm('MQTT_CLIENT_REFUSED', (d) =>
      /more than 2 connections/.test(String(d.reason)),
    );
    expect(alarm.detail?.remote).toMatch(/^127\.0\.0\.1:\d+$/);
    // A closed one frees its place.
    first.destroy();
    await new Promise((done) => setTimeout(done, 100));
    const fourth = await open();
    await new Promise((done) => setTimeout(done, 200));
    expect(fourth.destroyed).toBe(false);
  });

  it('reads addresses and loopback as the listeners write them', () => {
    expect(['10.0.0.7:51234', '::1:4000', '::ffff:127.0.0.1:99'].map(addressOf)).toEqual([
      '10.0.0.7',
      '::1',
      '::ffff:127.0.0.1',
    ]);
    expect(['127.0.0.1', '127.9.9.9', '::1', '::ffff:127.0.0.1', '10.0.0.7', '::2'].map(isLoopback)).toEqual([
      true,
      true,
      true,
      true,
      false,
      false,
    ]);
    const cap = new ConnectionCap(1, false);
    expect([
      cap.take('10.0.0.7'),
      cap.take('10.0.0.7'),
      cap.take('127.0.0.1'),
      cap.take('127.0.0.1'),
    ]).toEqual([true, false, true, true]);
    cap.release('10.0.0.7');
    expect(cap.take('10.0.0.7')).toBe(true);
  });
});
