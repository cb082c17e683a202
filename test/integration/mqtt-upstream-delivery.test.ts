/**
 * The upstream bridge against a real Mosquitto, with an independent consumer (the command
 * centre's side) that de-duplicates by seq: (1) a stream of passes, refusals and alarms
 * appended while the bridge runs arrives once, in seq order, with its content, and the status
 * topic shows the birth and the orderly goodbye; (2) Mosquitto is stopped for a while during
 * the stream and started again on the same port: nothing is missing afterwards, and the
 * cursor's lag returns to 0; (3) the network between the bridge and the broker is cut three
 * times in the middle of batches (a TCP front that drops the bytes in flight): the same.
 *
 * The outage lasts GATEWARDEN_TEST_UPSTREAM_OUTAGE_SECONDS (default 3).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { UpstreamBridge } from '../../gateway/mqtt/upstream/bridge.js';
import { waitFor } from '../helpers/wait-for.js';
import type { Mosquitto } from './helpers/mosquitto.js';
import { MqttFront } from './helpers/mqtt-front.js';
import {
  BASE,
  range,
  SITE_ID,
  silentLog,
  startUpstreamBroker,
  TempJournal,
  UpstreamConsumer,
  upstreamConfig,
} from './helpers/mqtt-upstream-rig.js';

const OUTAGE_MS = Number(process.env.GATEWARDEN_TEST_UPSTREAM_OUTAGE_SECONDS ?? 3) * 1000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every journal entry arrived, first arrivals in seq order, each with its content and chain links. */
function expectAllDelivered(journal: TempJournal, consumer: UpstreamConsumer): void {
  const lastSeq = journal.journal.lastSeq();
  expect(consumer.malformed).toEqual([]);
  expect(consumer.firstArrivals()).toEqual(range(1, lastSeq));
  for (const entry of journal.journal.iterate(0)) {
    const message = consumer.message(entry.seq);
    expect(message).toEqual({
      seq: entry.seq,
      at: entry.at,
      type: entry.type,
      gateway: 'north',
      site: SITE_ID,
      payload: entry.payload,
      prevHash: entry.prevHash,
      hash: entry.hash,
      topic: `${BASE}/journal/${entry.type}`,
    });
  }
}

describe('upstream bridge: the journal to a real Mosquitto', () => {
  let broker: Mosquitto | undefined;
  let consumer: UpstreamConsumer | undefined;
  let journal: TempJournal | undefined;
  let bridge: UpstreamBridge | undefined;
  let appending: NodeJS.Timeout | undefined;
  let front: MqttFront | undefined;

  afterEach(async () => {
    clearInterval(appending);
    await bridge?.stop();
    await front?.close();
    await consumer?.close();
    await broker?.dispose();
    journal?.close();
    bridge = consumer = broker = journal = front = undefined;
  });

  async function start(): Promise<{ broker: Mosquitto; consumer: UpstreamConsumer; journal: TempJournal }> {
    broker = await startUpstreamBroker();
    consumer = await UpstreamConsumer.connect(broker.url);
    journal = new TempJournal();
    return { broker, consumer, journal };
  }

  function startBridge(
    url: string,
    j: TempJournal,
    extra: Record<string, unknown> = {},
    beforeStart: (b: UpstreamBridge) => void = () => undefined,
  ): UpstreamBridge {
    bridge = new UpstreamBridge({
      journal: j.journal,
      upstream: upstreamConfig(url, extra),
      siteId: SITE_ID,
      log: silentLog,
      version: '9.9.9-test',
    });
    beforeStart(bridge);
    bridge.start();
    return bridge;
  }

  it('delivers a stream of passes, refusals and alarms once each, in seq order, with birth and goodbye', async () => {
    const { broker, consumer, journal } = await start();
    journal.appendMix(150); // a backlog from before the start
    const b = startBridge(broker.url, journal, { batchSize: 40, inFlight: 8 });
    for (let round = 0; round < 20; round++) {
      journal.appendMix(1 + (round % 7));
      await sleep(5);
    }
    await waitFor('every entry upstream', () => consumer.count === journal.journal.lastSeq());
    await waitFor('the cursor caught up', () => b.status().journal.lag === 0);
    expectAllDelivered(journal, consumer);
    expect(consumer.duplicates()).toEqual([]);
    expect(consumer.arrivals.some((a) => a.type === 'alarm')).toBe(true);
    expect(consumer.arrivals.some((a) => a.type === 'decision' && a.payload.decision)).toBe(true);
    expect(consumer.statuses[0]).toMatchObject({ state: 'online', gateway: 'north', version: '9.9.9-test' });
    expect(b.status().connection).toMatchObject({ connected: true, protocolVersion: 5, connects: 1 });

    await b.stop();
    bridge = undefined;
    await waitFor('the orderly offline status', () => consumer.statuses.at(-1)?.state === 'offline');
  });

  it('loses nothing when the broker is stopped for a while during the stream', async () => {
    const { broker, consumer, journal } = await start();
    // A subscription on the bridge's bus made before it connects (as the requests module does)
    // is in place from the first connection and outlives the outage.
    const requests: string[] = [];
    const b = startBridge(broker.url, journal, { batchSize: 200, inFlight: 10 }, (bridge) => {
      void bridge.bus.subscribe(`${BASE}/request`, (m) => requests.push(m.payload.toString()), { qos: 1 });
    });
    let appended = 0;
    appending = setInterval(() => {
      journal.appendMix(3);
      appended += 3;
    }, 10);
    await waitFor('the stream flowing upstream', () => consumer.count >= 60);
    // A burst, so that the broker goes away in the middle of a batch.
    journal.appendMix(2000);
    const before = consumer.count;
    await waitFor('the burst flowing upstream', () => consumer.count >= before + 300);
    await broker.stop();
    await waitFor('the bridge sees the outage', () => !b.status().connection.connected);
    const beforeOutage = appended;
    await sleep(OUTAGE_MS);
    expect(appended).toBeGreaterThan(beforeOutage);
    expect(b.status().journal.lag).toBeGreaterThan(0);
    await broker.start();
    await waitFor('the bridge back', () => b.status().connection.connected);
    await sleep(200);
    clearInterval(appending);
    await waitFor('every entry upstream', () => consumer.count === journal.journal.lastSeq(), 30_000);
    await waitFor('the cursor lag back to 0', () => b.status().journal.lag === 0);
    expectAllDelivered(journal, consumer);
    // What arrived again was re-sent from the cursor: entries of the batch in flight only.
    // Counted as distinct seqs: besides the bridge's replay, Mosquitto itself redelivers (DUP,
    // same packet id, from the consumer's old session) the few QoS 1 messages the consumer had
    // not acknowledged when the broker went down, so ~the in-flight window arrives three times.
    // A CI run once counted 201 copies that way with batches of 200.
    expect(new Set(consumer.duplicates()).size).toBeLessThanOrEqual(200);
    expect(b.status().connection.connects).toBeGreaterThanOrEqual(2);
    await consumer.client.publishAsync(`${BASE}/request`, 'after the outage', { qos: 1 });
    await waitFor('a request through the bus after the outage', () => requests.includes('after the outage'));
  });

  it('loses nothing when the network drops in the middle of batches, again and again', async () => {
    const { broker, consumer, journal } = await start();
    front = await MqttFront.start(broker);
    const b = startBridge(front.url, journal, { batchSize: 300, inFlight: 10 });
    journal.appendMix(4000);
    for (let cut = 0; cut < 3; cut++) {
      const target = consumer.count + 400;
      await waitFor('the backlog flowing upstream', () => consumer.count >= target);
      front.cut();
      await waitFor('the bridge sees the cut', () => !b.status().connection.connected);
      journal.appendMix(100);
      front.restore();
      await waitFor('the bridge back', () => b.status().connection.connected);
    }
    await waitFor('every entry upstream', () => consumer.count === journal.journal.lastSeq(), 30_000);
    await waitFor('the cursor lag back to 0', () => b.status().journal.lag === 0);
    expectAllDelivered(journal, consumer);
    expect(consumer.duplicates().length).toBeLessThanOrEqual(3 * 300);
  });
});
