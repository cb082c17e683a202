/**
 * Requests from upstream through a real Mosquitto: an independent MQTT.js client ("upstream")
 * publishes signed requests on the gateway's request topic and reads the replies; the gateway
 * side is UpstreamRequests on a ClientBus over its own MQTT.js client, on a real site.
 */
import { randomUUID } from 'node:crypto';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JournalEntry } from '../../gateway/journal/events.js';
import { ClientBus } from '../../gateway/mqtt/client-bus.js';
import { signRequest } from '../../gateway/mqtt/upstream/request-signature.js';
import { UpstreamRequests } from '../../gateway/mqtt/upstream/requests.js';
import { upstreamTopics } from '../../gateway/mqtt/upstream/topics.js';
import { waitFor } from '../helpers/wait-for.js';
import { type Mosquitto, startMosquitto } from './helpers/mosquitto.js';
import {
  envelope,
  type ScratchGateway,
  SITE_ID,
  scratchGateway,
  silentLog,
} from './helpers/mqtt-requests-site.js';

const topics = { prefix: 'gatewarden', siteId: SITE_ID, gatewayId: 'a' };

let broker: Mosquitto;
let g: ScratchGateway;
let gatewayClient: MqttClient;
let upstream: MqttClient;
let requests: UpstreamRequests;
const replies: { text: string; qos: number }[] = [];

beforeAll(async () => {
  broker = await startMosquitto();
  g = scratchGateway();
  gatewayClient = await connectAsync(broker.url, { clientId: 'gw-a', reconnectPeriod: 200 });
  requests = new UpstreamRequests({
    site: g.site,
    bus: new ClientBus(gatewayClient, silentLog),
    log: silentLog,
    topics,
    issuers: g.issuers,
    freshnessMs: 300_000,
    retentionMs: 7 * 24 * 3600_000,
    alarmIntervalMs: 60_000,
  });
  await requests.start();
  upstream = await connectAsync(broker.url, { clientId: 'district-centre', reconnectPeriod: 200 });
  upstream.on('message', (_topic, payload, packet) =>
    replies.push({ text: payload.toString(), qos: packet.qos }),
  );
  await upstream.subscribeAsync(upstreamTopics.response(topics), { qos: 1 });
});

afterAll(async () => {
  await requests?.stop();
  await upstream?.endAsync();
  await gatewayClient?.endAsync();
  g?.dispose();
  await broker?.dispose();
});

/** Publishes a request from upstream and waits for the reply to its transaction. */
async function request(message: Record<string, unknown>) {
  const before = replies.length;
  await upstream.publishAsync(upstreamTopics.request(topics), JSON.stringify(message), { qos: 1 });
  await waitFor('the reply', () => replies.length > before);
  expect(replies).toHaveLength(before + 1);
  const reply = replies[before] as { text: string; qos: number };
  return { ...reply, reply: JSON.parse(reply.text) };
}

const signed = (type: string, fields: Record<string, unknown>) =>
  signRequest({ ...envelope(g.clock, type, randomUUID()), ...fields }, g.privateKey);

describe('requests from upstream over Mosquitto', () => {
  it('applies a signed request, journals it, and repeats the same answer for the same transaction', async () => {
    const order = { id: 'q-mqtt-1', kind: 'centralised', target: { person: 'r-2' }, until: '2022-04-24' };
    const message = signed('quarantine.add', { order });
    const first = await request(message);
    expect(first.qos).toBe(1);
    expect(first.reply).toMatchObject({
      transactionId: message.transactionId,
      ok: true,
      result: { orderId: 'q-mqtt-1' },
    });
    const journaled = g.site.journal.get(first.reply.result.seq) as JournalEntry<'operator'>;
    expect(journaled.payload).toMatchObject({
      action: 'quarantine.add',
      operator: 'upstream:district-1',
      detail: { order: 'q-mqtt-1', transaction: message.transactionId },
    });
    const seq = g.site.journal.lastSeq();
    const second = await request(message);
    expect(second.text).toBe(first.text);
    expect(g.site.journal.lastSeq()).toBe(seq);
    expect(g.site.registry.listQuarantines().filter((q) => q.id === 'q-mqtt-1')).toHaveLength(1);
  });

  it('answers a request with a bad signature with an error, applies nothing, and raises an alarm', async () => {
    const message = { ...signed('mode.set', { mode: 'open', reason: 'x' }), mode: 'lockdown' };
    const seq = g.site.journal.lastSeq();
    const { reply } = await request(message);
    expect(reply).toMatchObject({
      transactionId: message.transactionId,
      ok: false,
      error: { code: 'NOT_AUTHORISED', field: 'signature' },
    });
    expect(g.site.checkpoint.mode).toBe('closed');
    const added = [...g.site.journal.iterate(seq)];
    expect(added.map((e) => e.type)).toEqual(['alarm']);
    expect(added[0]?.payload).toMatchObject({
      code: 'UPSTREAM_REQUEST_REFUSED',
      severity: 'critical',
      detail: { reason: 'NOT_AUTHORISED', issuer: 'district-1' },
    });
  });

  it('answers a message that is not JSON, and keeps serving afterwards', async () => {
    const before = replies.length;
    await upstream.publishAsync(upstreamTopics.request(topics), '\u0000not json', { qos: 1 });
    await waitFor('the reply', () => replies.length > before);
    expect(JSON.parse(replies[before]?.text ?? '')).toMatchObject({
      transactionId: null,
      error: { code: 'REQUEST_MALFORMED' },
    });
    const { reply } = await request(signed('mode.set', { mode: 'open', reason: 'order lifted' }));
    expect(reply).toMatchObject({ ok: true, result: { mode: 'open' } });
    expect(g.site.checkpoint.mode).toBe('open');
  });
});
