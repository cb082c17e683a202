/**
 * Two gateways of one site (two sites on temporary folders, the same registry import, gateway ids
 * `a` and `b`) against one real Mosquitto. Gateway A's decisions are published as the journal
 * publisher publishes them (encodeJournalMessage of A's real journal entries, QoS 1); gateway B
 * reads them with PeerPasses on a ClientBus over its own client, in a persistent session.
 */
import mqtt, { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { JournalEntry } from '../../gateway/journal/events.js';
import type { AnyJournalEntry } from '../../gateway/journal/journal.js';
import { ClientBus } from '../../gateway/mqtt/client-bus.js';
import { encodeJournalMessage } from '../../gateway/mqtt/upstream/journal-message.js';
import { PeerPasses } from '../../gateway/mqtt/upstream/peers.js';
import { waitFor } from '../helpers/wait-for.js';
import { type Mosquitto, startMosquitto } from './helpers/mosquitto.js';
import {
  pass,
  type ScratchGateway,
  SITE_ID,
  scratchGateway,
  silentLog,
} from './helpers/mqtt-requests-site.js';

const base = (gatewayId: string) => ({ prefix: 'gatewarden', siteId: SITE_ID, gatewayId });

let broker: Mosquitto;
let a: ScratchGateway;
let b: ScratchGateway;
let clientA: MqttClient;
let clientB: MqttClient | undefined;
let peersA: PeerPasses;
let peersB: PeerPasses | undefined;
let run = 0;

beforeAll(async () => {
  broker = await startMosquitto();
});

afterAll(async () => {
  await broker?.dispose();
});

beforeEach(async () => {
  run += 1;
  a = scratchGateway();
  b = scratchGateway();
  clientA = await connectAsync(broker.url, { clientId: `gw-a-${run}`, reconnectPeriod: 200 });
  peersA = new PeerPasses({
    site: a.site,
    bus: new ClientBus(clientA, silentLog),
    log: silentLog,
    topics: base('a'),
  });
  await peersA.start();
  await connectB();
});

afterEach(async () => {
  await peersA.stop();
  await disconnectB();
  await clientA.endAsync();
  a.dispose();
  b.dispose();
});

/**
 * Gateway B's connection: a persistent session under a stable client id. The bus and the
 * subscription are set up before the connection is up, so that messages the broker kept for
 * the session, delivered right after CONNACK, find their handler.
 */
async function connectB(): Promise<void> {
  const client = mqtt.connect(broker.url, { clientId: `gw-b-${run}`, clean: false, reconnectPeriod: 200 });
  clientB = client;
  peersB = new PeerPasses({
    site: b.site,
    bus: new ClientBus(client, silentLog),
    log: silentLog,
    topics: base('b'),
  });
  await peersB.start();
}

/** Ends B's connection without unsubscribing (as the bridge stops): its session keeps collecting. */
async function disconnectB(): Promise<void> {
  await clientB?.endAsync();
  await peersB?.stop();
  peersB = undefined;
  clientB = undefined;
}

/** Publishes an entry of A's journal exactly as A's journal publisher does. */
async function publishFromA(entry: AnyJournalEntry | JournalEntry): Promise<void> {
  const { topic, payload } = encodeJournalMessage(entry as AnyJournalEntry, base('a'));
  await clientA.publishAsync(topic, payload, { qos: 1 });
}

const passages = (g: ScratchGateway) => [...g.site.journal.iterate(0, ['passage'])];
const codes = (d: { reasons: readonly { code: string }[] }) => d.reasons.map((r) => r.code);
const appliedAtB = (seq: number) => () => (peersB?.appliedUpTo('a') ?? 0) >= seq;

describe('two gateways of one site over Mosquitto', () => {
  it('a card that entered at gate A is refused re-entry at gate B (ANTI_PASSBACK)', async () => {
    const entered = pass(a.site, 'north-ped-in', 'A0000003');
    expect(entered.decision.allow).toBe(true);
    await publishFromA(entered.entry);
    await waitFor("B to take in A's pass", appliedAtB(entered.entry.seq));
    const again = pass(b.site, 'north-ped-in', 'A0000003');
    expect(again.decision.allow).toBe(false);
    expect(codes(again.decision)).toContain('ANTI_PASSBACK');
    expect(passages(a)).toEqual([]); // A saw its own message and left it
  });

  it('a household exit at A counts against the quota at B', async () => {
    const out = pass(a.site, 'north-ped-out', 'A0000001');
    expect(out.decision.allow).toBe(true);
    await publishFromA(out.entry);
    await waitFor("B to take in A's exit", appliedAtB(out.entry.seq));
    const second = pass(b.site, 'north-ped-out', 'A0000002');
    expect(second.decision.allow).toBe(false);
    expect(codes(second.decision)).toContain('HOUSEHOLD_QUOTA_EXCEEDED');
  });

  it('B decides alone while cut off, and catches up on reconnect; repeats count once', async () => {
    await disconnectB();
    const entered = pass(a.site, 'north-ped-in', 'A0000003');
    await publishFromA(entered.entry);
    await publishFromA(entered.entry); // the publisher replaying from its cursor after an outage
    const out = pass(a.site, 'north-ped-out', 'A0000001');
    await publishFromA(out.entry);
    // Cut off, B still decides on what it knows.
    b.clock.now += 1000;
    expect(pass(b.site, 'north-ped-in', 'A0000002').decision.allow).toBe(true);
    await connectB();
    await waitFor('B to catch up', appliedAtB(out.entry.seq));
    expect(passages(b).map((e) => (e.payload as JournalEntry<'passage'>['payload']).origin)).toEqual([
      { gateway: 'a', seq: entered.entry.seq },
      { gateway: 'a', seq: out.entry.seq },
    ]);
    b.clock.now += 1000;
    expect(codes(pass(b.site, 'north-ped-in', 'A0000003').decision)).toContain('ANTI_PASSBACK');
    expect(codes(pass(b.site, 'north-ped-out', 'A0000002').decision)).toContain('HOUSEHOLD_QUOTA_EXCEEDED');
  });
});
