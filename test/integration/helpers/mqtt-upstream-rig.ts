/**
 * Parts for the upstream bridge tests: a Mosquitto that keeps its sessions across a restart (as
 * an upstream broker must, or what it acknowledged before a restart is gone), a journal on a
 * temporary file with a mix of passes, refusals and alarms, and an independent consumer (MQTT.js,
 * persistent session) that records what arrives upstream and de-duplicates it by seq.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import pino from 'pino';
import { type MqttUpstreamConfig, mqttUpstreamSchema } from '../../../config/mqtt-upstream-schema.js';
import { type Db, openDatabase } from '../../../gateway/db.js';
import type { AppendItem } from '../../../gateway/journal/journal.js';
import { Journal } from '../../../gateway/journal/journal.js';
import { decodeJournalMessage, type JournalMessage } from '../../../gateway/mqtt/upstream/journal-message.js';
import { type Mosquitto, type MosquittoOptions, startMosquitto } from './mosquitto.js';

export const SITE_ID = 'maple';
export const GATEWAY_ID = 'north';
export const BASE = `gatewarden/${SITE_ID}/${GATEWAY_ID}`;
export const silentLog = pino({ level: 'silent' });
const T0 = Date.UTC(2024, 4, 1, 2);

/** The bridge's configuration for a test: quick reconnections and polls. */
export function upstreamConfig(url: string, extra: Record<string, unknown> = {}): MqttUpstreamConfig {
  return mqttUpstreamSchema.parse({
    url,
    gatewayId: GATEWAY_ID,
    reconnect: { initialSeconds: 0.05, maxSeconds: 0.5 },
    pollSeconds: 0.05,
    keepaliveSeconds: 5,
    ...extra,
  });
}

/** Mosquitto with persistence in its directory, no queue limit, plus `extra` lines. */
export function startUpstreamBroker(options: MosquittoOptions = {}): Promise<Mosquitto> {
  return startMosquitto({
    ...options,
    config: (dir) => [
      'persistence true',
      `persistence_location ${dir}/`,
      'max_queued_messages 0',
      ...(typeof options.config === 'function' ? options.config(dir) : (options.config ?? [])),
    ],
  });
}

/** A journal on a file in a fresh directory. */
export class TempJournal {
  readonly dir = mkdtempSync(join(tmpdir(), 'gw-upstream-'));
  readonly path = join(this.dir, 'gateway.db');
  readonly db: Db = openDatabase(this.path);
  readonly journal = Journal.open(this.db);
  private appended = 0;

  /** Appends `n` entries in one transaction: passes, refusals, and an alarm every tenth. */
  appendMix(n: number): void {
    const items: AppendItem[] = [];
    for (let k = 0; k < n; k++) items.push(mixItem(this.appended++));
    this.journal.appendMany(items);
  }

  close(): void {
    this.db.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function mixItem(i: number): AppendItem {
  const at = T0 + i * 1000;
  if (i % 10 === 9)
    return {
      type: 'alarm',
      at,
      payload: {
        code: 'DOOR_HELD_OPEN',
        severity: 'warning',
        laneId: 'north-ped-in',
        detail: { heldSeconds: i },
      },
    };
  const allow = i % 3 !== 2;
  return {
    type: 'decision',
    at,
    payload: {
      gateId: 'north',
      request: {
        at,
        laneId: 'north-ped-in',
        shift: 'day',
        credential: { kind: 'card', value: `C${i % 97}` },
      },
      decision: {
        allow,
        reasons: allow
          ? [{ effect: 'grant', code: 'RESIDENT' }]
          : [{ effect: 'deny', code: 'UNKNOWN_CREDENTIAL' }],
        subject: allow ? { kind: 'person', id: `r-${i % 97}`, personKind: 'resident' } : { kind: 'unknown' },
        direction: 'in',
        actions: allow ? [{ type: 'unlock', durationMs: 3000 }] : [],
      },
      latencyUs: 40 + (i % 13),
    },
  };
}

export type Arrival = JournalMessage & { topic: string };

/**
 * The command centre's side: subscribes (QoS 1, persistent session, so nothing is lost across a
 * broker restart) to the gateway's journal and status, and records every arrival.
 */
export class UpstreamConsumer {
  /** Every journal message in arrival order, duplicates included. */
  readonly arrivals: Arrival[] = [];
  readonly statuses: { state: string; version?: string }[] = [];
  readonly malformed: string[] = [];
  private readonly unique = new Map<number, Arrival>();

  private constructor(readonly client: MqttClient) {
    client.on('message', (topic, payload) => {
      if (topic === `${BASE}/status`) {
        this.statuses.push(JSON.parse(payload.toString()) as { state: string });
        return;
      }
      const decoded = decodeJournalMessage(payload);
      if (!decoded.ok) {
        this.malformed.push(`${topic}: ${decoded.error}`);
        return;
      }
      const arrival = { ...decoded.message, topic };
      this.arrivals.push(arrival);
      if (!this.unique.has(arrival.seq)) this.unique.set(arrival.seq, arrival);
    });
  }

  static async connect(
    url: string,
    /** Credentials, TLS material. */
    auth: Partial<IClientOptions> = {},
    clientId = 'command-centre',
  ): Promise<UpstreamConsumer> {
    const client = await connectAsync(url, {
      clientId,
      protocolVersion: 5,
      clean: false,
      properties: { sessionExpiryInterval: 3600 },
      reconnectPeriod: 50,
      ...auth,
    });
    client.on('error', () => undefined); // reconnecting through a broker restart
    const consumer = new UpstreamConsumer(client);
    await client.subscribeAsync([`${BASE}/journal/#`, `${BASE}/status`], { qos: 1 });
    return consumer;
  }

  /** How many distinct seqs arrived. */
  get count(): number {
    return this.unique.size;
  }

  /** Distinct seqs in order of first arrival (de-duplicated by seq, as upstream does). */
  firstArrivals(): number[] {
    return [...this.unique.keys()];
  }

  message(seq: number): Arrival | undefined {
    return this.unique.get(seq);
  }

  /** Seqs that arrived more than once. */
  duplicates(): number[] {
    const seen = new Set<number>();
    const twice: number[] = [];
    for (const { seq } of this.arrivals) {
      if (seen.has(seq)) twice.push(seq);
      seen.add(seq);
    }
    return twice;
  }

  close(): Promise<void> {
    return this.client.endAsync(true);
  }
}

export function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}
