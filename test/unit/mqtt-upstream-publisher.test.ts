/**
 * The journal publisher on a memory bus (beside the integration tests on a real Mosquitto):
 * order, commit only after every acknowledgement, the in-flight window, no publishing while the
 * link is down, and a failed batch re-sent from the cursor.
 */
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Db, openDatabase } from '../../gateway/db.js';
import { Journal } from '../../gateway/journal/journal.js';
import type { MessageBus, PublishOptions } from '../../gateway/mqtt/bus.js';
import { MemoryBus } from '../../gateway/mqtt/memory-bus.js';
import { decodeJournalMessage } from '../../gateway/mqtt/upstream/journal-message.js';
import { JournalPublisher, type PublishLink } from '../../gateway/mqtt/upstream/journal-publisher.js';
import { waitFor } from '../helpers/wait-for.js';

const T0 = Date.UTC(2024, 4, 1);
const base = { prefix: 'gatewarden', siteId: 'maple', gatewayId: 'north' };

/**
 * A bus whose publishes wait to be acknowledged by the test (`ack`), or are refused (`refuse`),
 * recorded on a MemoryBus once acknowledged: a broker whose PUBACKs the test hands out.
 */
class HeldBus implements MessageBus {
  readonly memory = new MemoryBus();
  readonly held: { topic: string; payload: string; done: (error?: Error) => void }[] = [];
  sent = 0;
  autoAck = false;
  mostHeld = 0;

  publish(topic: string, payload: string | Buffer, options?: PublishOptions): Promise<void> {
    expect(options?.qos).toBe(1);
    this.sent++;
    return new Promise((resolve, reject) => {
      const done = (error?: Error) => {
        if (error) reject(error);
        else void this.memory.publish(topic, payload, options).then(resolve);
      };
      if (this.autoAck) done();
      else {
        this.held.push({ topic, payload: String(payload), done });
        this.mostHeld = Math.max(this.mostHeld, this.held.length);
      }
    });
  }

  ack(n = this.held.length): void {
    for (const p of this.held.splice(0, n)) p.done();
  }

  refuse(n = 1): void {
    for (const p of this.held.splice(0, n)) p.done(new Error('PUBACK 0x87 not authorised'));
  }

  subscribe(): Promise<() => Promise<void>> {
    throw new Error('not used');
  }

  seqs(): number[] {
    return this.memory.published.map((m) => {
      const decoded = decodeJournalMessage(m.payload);
      if (!decoded.ok) throw new Error(decoded.error);
      return decoded.message.seq;
    });
  }
}

describe('JournalPublisher', () => {
  let db: Db;
  let journal: Journal;
  let bus: HeldBus;
  let link: { connected: boolean; receiveMaximum: number | undefined };
  let publisher: JournalPublisher;

  function makePublisher(options: { batchSize?: number; inFlight?: number } = {}): JournalPublisher {
    return new JournalPublisher({
      journal,
      bus,
      link: link as PublishLink,
      base,
      batchSize: options.batchSize ?? 10,
      inFlight: options.inFlight ?? 4,
      pollMs: 20,
      retry: { initialMs: 5, maxMs: 20 },
      log: pino({ level: 'silent' }),
    });
  }

  function appendPasses(n: number): void {
    for (let i = 0; i < n; i++)
      journal.append('device', T0 + i, { deviceId: `reader-${i % 3}`, state: i % 2 ? 'online' : 'offline' });
  }

  beforeEach(() => {
    db = openDatabase(':memory:');
    journal = Journal.open(db);
    bus = new HeldBus();
    link = { connected: true, receiveMaximum: undefined };
  });

  afterEach(async () => {
    bus.autoAck = true;
    bus.ack();
    await publisher?.stop();
    db.close();
  });

  it('publishes every entry once, in seq order, as its JSON envelope on <base>/journal/<type>', async () => {
    bus.autoAck = true;
    journal.append('alarm', T0, { code: 'DOOR_HELD_OPEN', severity: 'warning', laneId: 'north-ped-in' });
    appendPasses(24);
    publisher = makePublisher();
    publisher.start();
    appendPasses(5); // appended while it runs: the append wakes it
    await waitFor('all 30 published', () => bus.memory.published.length === 30);
    await waitFor('the cursor at 30', () => publisher.cursor.position === 30);
    expect(bus.seqs()).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    const first = bus.memory.published[0];
    expect(first?.topic).toBe('gatewarden/maple/north/journal/alarm');
    expect(JSON.parse(String(first?.payload))).toEqual({
      seq: 1,
      at: T0,
      type: 'alarm',
      gateway: 'north',
      site: 'maple',
      payload: { code: 'DOOR_HELD_OPEN', severity: 'warning', laneId: 'north-ped-in' },
      prevHash: '0'.repeat(64),
      hash: [...journal.iterate(0)][0]?.hash,
    });
    expect(bus.memory.published[1]?.topic).toBe('gatewarden/maple/north/journal/device');
    expect(publisher.status()).toMatchObject({
      cursor: 'mqtt.upstream',
      position: 30,
      lag: 0,
      published: 30,
    });
  });

  it('commits a batch only once every message of it was acknowledged, with at most inFlight awaiting', async () => {
    appendPasses(10);
    publisher = makePublisher({ batchSize: 10, inFlight: 4 });
    publisher.start();
    await waitFor('a full window', () => bus.held.length === 4);
    for (let acked = 0; acked < 9; acked++) {
      bus.ack(1);
      await waitFor('the window refilled', () => bus.held.length === Math.min(4, 9 - acked));
      expect(publisher.cursor.position).toBe(0);
    }
    bus.ack(1);
    await waitFor('the cursor at 10', () => publisher.cursor.position === 10);
    expect(bus.mostHeld).toBe(4);
    expect(bus.sent).toBe(10);
  });

  it("caps the window at the broker's Receive Maximum", async () => {
    link.receiveMaximum = 2;
    appendPasses(6);
    publisher = makePublisher({ inFlight: 50 });
    publisher.start();
    await waitFor('two awaiting', () => bus.held.length === 2);
    bus.autoAck = true;
    bus.ack();
    await waitFor('the cursor at 6', () => publisher.cursor.position === 6);
    expect(bus.mostHeld).toBe(2);
  });

  it('publishes nothing while the link is down, and everything once it is up', async () => {
    link.connected = false;
    bus.autoAck = true;
    appendPasses(7);
    publisher = makePublisher();
    publisher.start();
    appendPasses(3);
    // Several polls pass; nothing may go out meanwhile.
    await new Promise((r) => setTimeout(r, 100));
    expect(bus.sent).toBe(0);
    link.connected = true;
    publisher.wake();
    await waitFor('the cursor at 10', () => publisher.cursor.position === 10);
    expect(bus.seqs()).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('re-sends a refused batch from the committed cursor, never committing past the refusal', async () => {
    appendPasses(25);
    publisher = makePublisher({ batchSize: 10, inFlight: 3 });
    publisher.start();
    await waitFor('a full window', () => bus.held.length === 3);
    bus.ack(); // 1..3
    await waitFor('the next window', () => bus.held.length === 3);
    bus.ack(1); // 4
    await waitFor('7 sent', () => bus.sent === 7);
    bus.refuse(1); // 5 refused
    // No more is sent after a refusal; the batch fails once the ones in flight (6, 7) settle.
    bus.ack();
    await new Promise((r) => setTimeout(r, 2));
    expect(bus.sent).toBe(7);
    await waitFor('the batch sent again', () => bus.held.length > 0);
    expect(bus.sent).toBeGreaterThan(7);
    expect(publisher.cursor.position).toBe(0);
    bus.autoAck = true;
    bus.ack();
    await waitFor('the cursor at 25', () => publisher.cursor.position === 25);
    const seqs = bus.seqs();
    // Every entry arrived; the duplicates are from the failed batch only (1..10).
    expect(new Set(seqs)).toEqual(new Set(Array.from({ length: 25 }, (_, i) => i + 1)));
    const duplicates = seqs.filter((s, i) => seqs.indexOf(s) !== i);
    expect(duplicates.length).toBeGreaterThan(0);
    for (const d of duplicates) expect(d).toBeLessThanOrEqual(10);
    // 1-4, 6 and 7 were acknowledged before the batch failed; then the whole journal again,
    // from the committed cursor (0), in seq order. (A reader orders by seq: a message refused in
    // the middle of a window arrives after the ones behind it.)
    expect(seqs.slice(0, 6)).toEqual([1, 2, 3, 4, 6, 7]);
    expect(seqs.slice(6)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    expect(publisher.status().failedBatches).toBe(1);
  });

  it('resumes from the committed cursor after a restart', async () => {
    bus.autoAck = true;
    appendPasses(12);
    publisher = makePublisher({ batchSize: 5 });
    publisher.start();
    await waitFor('the cursor at 12', () => publisher.cursor.position === 12);
    await publisher.stop();
    appendPasses(4);
    publisher = makePublisher({ batchSize: 5 });
    publisher.start();
    await waitFor('the cursor at 16', () => publisher.cursor.position === 16);
    expect(bus.seqs()).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
  });
});
