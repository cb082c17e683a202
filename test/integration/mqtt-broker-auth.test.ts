/**
 * Authentication and ACL of the embedded broker, with mosquitto_pub / mosquitto_sub as
 * independent clients on ephemeral loopback ports; every refusal is found in a real journal.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait-for.js';
import { BrokerRig } from './mqtt-broker-rig.js';

const USERS = [
  { name: 'relay-a', role: 'device', device: 'relay-a', password: 'relay-a-secret' },
  { name: 'relay-b', role: 'device', device: 'relay-b', password: 'relay-b-secret' },
  { name: 'relay-c', role: 'device', device: 'relay-c', password: 'relay-c-secret' },
  { name: 'relay-w', role: 'device', device: 'relay-w', password: 'relay-w-secret' },
  { name: 'dashboard', role: 'dashboard', password: 'dashboard-secret' },
  { name: 'dashboard-2', role: 'dashboard', password: 'dashboard-secret' },
  { name: 'gateway', role: 'gateway', password: 'gateway-secret' },
] as const;
// Security events are journaled once per user and kind per interval: scenarios that look for
// their own entry use a user of their own.
const [A, B, C, W, DASH, DASH2, GW] = USERS;

let rig: BrokerRig;

beforeAll(async () => {
  rig = await BrokerRig.start([...USERS]);
});

afterAll(async () => {
  await rig?.dispose();
});

describe('authentication', () => {
  it('refuses a wrong password with CONNACK "not authorised" and journals MQTT_AUTH_FAILED', async () => {
    const run = await rig.pub({ user: A.name, password: 'not-the-password', clientId: 'wrong-pw' }, [
      ...['-t', 'stat/relay-a/POWER', '-m', 'ON'],
    ]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/not authori[sz]ed/i);
    const alarm = await rig.alarm('MQTT_AUTH_FAILED', (d) => d.clientId === 'wrong-pw');
    expect(alarm).toMatchObject({ severity: 'warning', detail: { user: A.name, reason: 'wrong password' } });
    expect(JSON.stringify(alarm)).not.toContain('not-the-password');
  });

  it('refuses an unknown user the same way, without recording the offered name', async () => {
    const run = await rig.pub({ user: 'mallory', password: 'whatever-it-is', clientId: 'unknown-user' }, [
      ...['-t', 'x', '-m', '1'],
    ]);
    expect(run.stderr).toMatch(/not authori[sz]ed/i);
    const alarm = await rig.alarm('MQTT_AUTH_FAILED', (d) => d.clientId === 'unknown-user');
    expect(alarm.detail).toMatchObject({ user: '(unknown)', reason: 'unknown user' });
    expect(JSON.stringify(alarm)).not.toContain('mallory');
  });

  it('refuses a client without credentials', async () => {
    const run = await rig.pub({ clientId: 'anonymous' }, ['-t', 'x', '-m', '1']);
    expect(run.stderr).toMatch(/not authori[sz]ed/i);
    const alarm = await rig.alarm('MQTT_AUTH_FAILED', (d) => d.clientId === 'anonymous');
    expect(alarm.detail?.reason).toBe('no credentials');
  });

  it('lets a device in with its password', async () => {
    const run = await rig.pub({ user: A.name, password: A.password }, [
      '-t',
      'stat/relay-a/POWER',
      '-m',
      'ON',
      '-q',
      '1',
    ]);
    expect(run).toMatchObject({ code: 0, stderr: '' });
  });
});

describe('ACL', () => {
  it('disconnects a device publishing to another device’s topic; a subscriber there never sees it', async () => {
    const watcher = rig.sub({ user: GW.name, password: GW.password, clientId: 'watch-b' }, [
      '-t',
      'stat/relay-b/#',
    ]);
    await rig.subscribed('watch-b');
    const forged = await rig.pub({ user: A.name, password: A.password, clientId: 'forger' }, [
      ...['-t', 'stat/relay-b/POWER', '-m', 'FORGED', '-q', '1'],
    ]);
    expect(forged.code).not.toBe(0);
    const alarm = await rig.alarm('MQTT_ACCESS_DENIED', (d) => d.clientId === 'forger');
    expect(alarm.detail).toMatchObject({ user: A.name, topic: 'stat/relay-b/POWER' });
    // B's own message comes after the refused one: once it arrived, the forged one had its chance.
    const real = await rig.pub({ user: B.name, password: B.password }, [
      '-t',
      'stat/relay-b/POWER',
      '-m',
      'REAL',
      '-q',
      '1',
    ]);
    expect(real.code).toBe(0);
    await waitFor('relay-b’s own message', () => watcher.lines.length > 0);
    expect(watcher.lines).toEqual(['stat/relay-b/POWER REAL']);
    await watcher.stop();
  });

  it('answers SUBACK 0x80 to a device subscribing to another device’s commands, and keeps it connected', async () => {
    const sub = rig.sub({ user: C.name, password: C.password, clientId: 'peek' }, [
      ...['-t', 'cmnd/relay-b/#', '-t', 'cmnd/relay-c/#'],
    ]);
    await rig.subscribed('peek');
    await rig.alarm('MQTT_ACCESS_DENIED', (d) => d.clientId === 'peek' && d.topic === 'cmnd/relay-b/#');
    await rig.broker.bus().publish('cmnd/relay-b/POWER', 'ON');
    await rig.broker.bus().publish('cmnd/relay-c/POWER', 'OFF');
    await waitFor('relay-c’s command', () => sub.lines.length > 0);
    expect(sub.lines).toEqual(['cmnd/relay-c/POWER OFF']);
    expect(sub.running()).toBe(true);
    await sub.stop();
  });

  it('lets the dashboard read the live tree but never publish', async () => {
    const dash = rig.sub({ user: DASH.name, password: DASH.password, clientId: 'dash' }, [
      '-t',
      'gatewarden/#',
    ]);
    await rig.subscribed('dash');
    const pub = await rig.pub({ user: DASH.name, password: DASH.password, clientId: 'dash-pub' }, [
      ...['-t', 'gatewarden/gate/north/state', '-m', 'open', '-q', '1'],
    ]);
    expect(pub.code).not.toBe(0);
    const alarm = await rig.alarm('MQTT_ACCESS_DENIED', (d) => d.clientId === 'dash-pub');
    expect(alarm.detail?.reason).toMatch(/dashboard only reads/);
    await rig.broker.bus().publish('gatewarden/gate/north/state', 'closed');
    await waitFor('the live message', () => dash.lines.length > 0);
    expect(dash.lines).toEqual(['gatewarden/gate/north/state closed']);
    await dash.stop();
  });

  it('refuses the dashboard a subscription outside the live tree', async () => {
    const sub = rig.sub({ user: DASH2.name, password: DASH2.password, clientId: 'dash-wide' }, ['-t', '#']);
    await rig.subscribed('dash-wide');
    const alarm = await rig.alarm('MQTT_ACCESS_DENIED', (d) => d.clientId === 'dash-wide');
    expect(alarm.detail).toMatchObject({ user: DASH2.name, topic: '#' });
    await sub.stop();
  });

  it('refuses publishing under $SYS even to the gateway role', async () => {
    const run = await rig.pub({ user: GW.name, password: GW.password, clientId: 'sys-pub' }, [
      ...['-t', '$SYS/fake', '-m', '1', '-q', '1'],
    ]);
    expect(run.code).not.toBe(0);
    await rig.alarm('MQTT_ACCESS_DENIED', (d) => d.clientId === 'sys-pub');
  });
});

describe('last wills', () => {
  it('publishes a device’s will on its own topic, and drops one aimed at another device', async () => {
    const got: string[] = [];
    const stop = await rig.broker.bus().subscribe('tele/+/LWT', (m) => got.push(`${m.topic} ${m.payload}`));
    const will = (topic: string) => [
      '--will-topic',
      topic,
      '--will-payload',
      'Offline',
      '-t',
      'cmnd/relay-w/#',
    ];
    const forged = rig.sub(
      { user: W.name, password: W.password, clientId: 'will-forged' },
      will('tele/relay-b/LWT'),
    );
    const own = rig.sub(
      { user: W.name, password: W.password, clientId: 'will-own' },
      will('tele/relay-w/LWT'),
    );
    await Promise.all([rig.subscribed('will-forged'), rig.subscribed('will-own')]);
    forged.kill();
    await rig.alarm(
      'MQTT_ACCESS_DENIED',
      (d) => d.clientId === 'will-forged' && d.topic === 'tele/relay-b/LWT',
    );
    own.kill();
    await waitFor('relay-w’s will', () => got.length > 0);
    expect(got).toEqual(['tele/relay-w/LWT Offline']);
    await stop();
  });
});

describe('users file changes', () => {
  it('disconnects the clients of a user removed while they are connected', async () => {
    const sub = rig.sub({ user: B.name, password: B.password, clientId: 'soon-gone' }, [
      '-t',
      'cmnd/relay-b/#',
    ]);
    await rig.subscribed('soon-gone');
    await rig.writeUsers(USERS.filter((u) => u.name !== B.name));
    await waitFor('the removed user’s client to be cut off', () => !sub.running());
    expect((await sub.exited).code).not.toBe(0);
    const again = await rig.pub({ user: B.name, password: B.password }, [
      '-t',
      'stat/relay-b/POWER',
      '-m',
      'ON',
    ]);
    expect(again.stderr).toMatch(/not authori[sz]ed/i);
  });
});

describe('security events under a brute-force loop', () => {
  it('journals one entry per user and interval, and the count held back when the broker stops', async () => {
    const own = await BrokerRig.start([
      { name: 'target', role: 'device', device: 'target', password: 'target-secret' },
    ]);
    try {
      for (let i = 0; i < 6; i++) {
        const run = await own.pub({ user: 'target', password: `guess-${i}`, clientId: `guess-${i}` }, [
          '-t',
          'x',
          '-m',
          '1',
        ]);
        expect(run.stderr).toMatch(/not authori[sz]ed/i);
      }
      expect(own.alarms()).toEqual([
        {
          code: 'MQTT_AUTH_FAILED',
          severity: 'warning',
          detail: expect.objectContaining({ user: 'target', clientId: 'guess-0' }),
        },
      ]);
      await own.broker.stop();
      expect(own.alarms().map((a) => a.detail)).toEqual([
        expect.objectContaining({ clientId: 'guess-0' }),
        expect.objectContaining({ clientId: 'guess-5', suppressed: 5 }),
      ]);
    } finally {
      await own.dispose();
    }
  });
});
