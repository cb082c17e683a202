/**
 * The live tree and Home Assistant discovery on a real Mosquitto, through a ClientBus over an
 * MQTT.js client, read by mosquitto_sub: an independent client that knows nothing of our code.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ClientBus } from '../../gateway/mqtt/client-bus.js';
import { HomeAssistantDiscovery } from '../../gateway/mqtt/home-assistant.js';
import { LiveFeed } from '../../gateway/mqtt/live-feed.js';
import { livePseudonym } from '../../gateway/mqtt/live-feed-privacy.js';
import { gatewayWill, localTopics } from '../../gateway/mqtt/local-topics.js';
import { memoryLog } from '../helpers/idcard-lane.js';
import { waitFor } from '../helpers/wait-for.js';
import { granted, KEY, siteConfig, tempJournal } from '../unit/mqtt-live-fixtures.js';
import { type Mosquitto, startMosquitto } from './helpers/mosquitto.js';

/** Each test has a site of its own, so retained messages of one never greet the next. */
let sites = 0;

interface Received {
  retained: boolean;
  topic: string;
  payload: Record<string, unknown>;
}

let probes = 0;

/**
 * mosquitto_sub on `filter`, printing `MSG <retain> <topic> <payload>` per message. It is also
 * subscribed to a probe topic of its own: `subscribed(prober)` publishes probes (every 50 ms)
 * until one comes through, so the subscription is known to be active (one SUBSCRIBE, one SUBACK).
 */
function mosquittoSub(broker: Mosquitto, filter: string, extra: string[] = []) {
  const probe = `probe/${process.pid}/${++probes}`;
  const args = [
    '-h',
    broker.host,
    '-p',
    String(broker.port),
    '-q',
    '1',
    '-t',
    filter,
    '-t',
    probe,
    '-F',
    'MSG %r %t %p',
  ];
  const child: ChildProcess = spawn('mosquitto_sub', [...args, ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (s: string) => {
    out += s;
  });
  child.stderr?.setEncoding('utf8').on('data', (s: string) => {
    out += s;
  });
  const messages = (): Received[] =>
    out
      .split('\n')
      .filter((l) => l.startsWith('MSG ') && !l.includes(` ${probe} `))
      .map((l) => {
        const [, retain = '', topic = '', ...rest] = l.split(' ');
        return { retained: retain === '1', topic, payload: JSON.parse(rest.join(' ') || 'null') };
      });
  return {
    messages,
    on: (topic: string) => messages().filter((m) => m.topic === topic),
    async subscribed(prober: MqttClient) {
      const send = () => void prober.publishAsync(probe, 'probe').catch(() => {});
      const timer = setInterval(send, 50);
      send();
      try {
        await waitFor(`mosquitto_sub on ${filter} subscribed`, () => out.includes(` ${probe} probe`));
      } finally {
        clearInterval(timer);
      }
    },
    stop() {
      child.kill('SIGTERM');
    },
  };
}

describe('live tree on Mosquitto', () => {
  let broker: Mosquitto;
  let prober: MqttClient;
  let site: ReturnType<typeof tempJournal>;
  let client: MqttClient;
  let siteId: string;
  let BASE: string;
  let feed: LiveFeed;
  let ha: HomeAssistantDiscovery;
  const subs: { stop(): void }[] = [];
  const sub = (filter: string, extra?: string[]) => {
    const s = mosquittoSub(broker, filter, extra);
    subs.push(s);
    return s;
  };

  beforeAll(async () => {
    broker = await startMosquitto();
    prober = await connectAsync(broker.url, { clientId: `gw-live-probe-${process.pid}`, reconnectPeriod: 0 });
  });
  afterAll(async () => {
    await prober.endAsync(true);
    await broker.dispose();
  });

  beforeEach(async () => {
    siteId = `live${process.pid}x${++sites}`;
    BASE = `gatewarden/${siteId}`;
    site = tempJournal();
    const log = memoryLog().logger;
    client = await connectAsync(broker.url, {
      clientId: `gw-live-${process.pid}`,
      reconnectPeriod: 0,
      will: gatewayWill(localTopics(siteId)),
    });
    const bus = new ClientBus(client, log);
    const config = siteConfig({ enabled: true }, siteId);
    feed = new LiveFeed({
      journal: site.journal,
      config,
      bus,
      log,
      pseudonymKey: KEY,
      version: '0.1.0',
      stopWaitMs: 200,
    });
    ha = new HomeAssistantDiscovery({ bus, config, log, version: '0.1.0', minRepublishMs: 0 });
  });

  afterEach(async () => {
    for (const s of subs.splice(0)) s.stop();
    await ha.stop();
    await feed.stop();
    await client.endAsync(true);
    site.close();
  });

  it('streams a decision appended to the journal onto pass/<gate>/<lane>', async () => {
    feed.start();
    const reader = sub(`${BASE}/pass/#`);
    await reader.subscribed(prober);
    const now = Date.now();
    const entry = site.journal.append('decision', now, granted(now));
    await waitFor('the pass at mosquitto_sub', () => reader.messages().length > 0);
    const [message] = reader.messages();
    expect(message).toMatchObject({
      retained: false,
      topic: `${BASE}/pass/north/north-ped-in`,
      payload: {
        seq: entry.seq,
        outcome: 'granted',
        credential: 'card',
        subject: { kind: 'person', ref: livePseudonym(KEY, 'res1') },
      },
    });
    expect(JSON.stringify(message)).not.toContain('CRES1');
  });

  it('gives a late subscriber the retained present: status, mode, devices, gates, counters', async () => {
    const now = Date.now();
    site.journal.append('mode', now - 1000, { from: 'closed', to: 'lockdown', operator: 'op', reason: 'r' });
    feed.start();
    site.journal.append('device', now, { deviceId: 'idcard-1', state: 'offline', detail: 'no reply' });
    const pass = site.journal.append('decision', now, granted(now));
    await feed.flush();
    const late = sub(`${BASE}/#`);
    const retained = (topic: string) => late.on(topic).find((m) => m.retained)?.payload;
    const expected = [
      'gateway/status',
      'mode',
      'fire',
      'device/idcard-1/availability',
      'device/idcard-1/state',
    ];
    expected.push('gate/north/north-ped-in/state', 'counters/daily');
    await waitFor('retained states at a late mosquitto_sub', () =>
      expected.every((t) => retained(`${BASE}/${t}`) !== undefined),
    );
    expect(retained(`${BASE}/gateway/status`)).toMatchObject({ state: 'online', version: '0.1.0' });
    expect(retained(`${BASE}/mode`)).toMatchObject({ mode: 'lockdown', seq: 1 });
    expect(retained(`${BASE}/fire`)).toMatchObject({ active: false });
    expect(retained(`${BASE}/device/idcard-1/availability`)).toMatchObject({ state: 'offline' });
    expect(retained(`${BASE}/device/idcard-1/state`)).toMatchObject({ state: 'offline', detail: 'no reply' });
    expect(retained(`${BASE}/gate/north/north-ped-in/state`)).toMatchObject({
      lastPass: { seq: pass.seq, outcome: 'granted' },
      devicesDown: ['idcard-1'],
    });
    expect(retained(`${BASE}/counters/daily`)).toMatchObject({ granted: 1, throughSeq: pass.seq });
    expect(late.messages().filter((m) => m.topic.startsWith(`${BASE}/pass/`))).toEqual([]);
  });

  it('leaves a retained offline status when the gateway vanishes (its last will)', async () => {
    feed.start();
    await feed.flush();
    client.stream.destroy();
    const late = sub(`${BASE}/gateway/status`);
    await waitFor('the last will', () => late.messages().some((m) => m.payload.state === 'offline'));
    expect(late.messages().at(-1)).toMatchObject({ retained: true, payload: { state: 'offline', at: null } });
  });

  it('retains the Home Assistant configs and publishes them again when HA announces itself', async () => {
    feed.start();
    await ha.start();
    const filter = `homeassistant/+/gatewarden_${siteId}/+/config`;
    const late = sub(filter);
    const n = ha.discoveries.length;
    await waitFor('every retained config', () => late.messages().filter((m) => m.retained).length === n);
    const lock = late.on(`homeassistant/binary_sensor/gatewarden_${siteId}/north-ped-in_lock/config`)[0];
    expect(lock?.payload).toMatchObject({
      device_class: 'lock',
      state_topic: `${BASE}/gate/north/north-ped-in/state`,
    });

    const live = sub(filter, ['-R']); // new messages only, not the retained ones
    await live.subscribed(prober);
    await promisify(execFile)('mosquitto_pub', [
      '-h',
      broker.host,
      '-p',
      String(broker.port),
      '-t',
      'homeassistant/status',
      '-m',
      'online',
    ]);
    await waitFor('every config published again', () => live.messages().length === n);
    expect(new Set(live.messages().map((m) => m.topic)).size).toBe(n);
  });
});
