import { afterEach, describe, expect, it, vi } from 'vitest';
import { openDatabase } from '../../gateway/db.js';
import { Journal } from '../../gateway/journal/journal.js';
import type { MessageBus } from '../../gateway/mqtt/bus.js';
import { LiveFeed } from '../../gateway/mqtt/live-feed.js';
import { MemoryBus } from '../../gateway/mqtt/memory-bus.js';
import { memoryLog } from '../helpers/idcard-lane.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { granted, KEY, siteConfig, T0, tempJournal } from './mqtt-live-fixtures.js';

const BASE = 'gatewarden/demo';
/** One turn of the event loop: what the feed scheduled with setImmediate before has run. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A bus that fails as told: `throw` synchronously, `reject`, `hang` (never settles) or `ok`. */
class FaultyBus implements MessageBus {
  mode: 'throw' | 'reject' | 'hang' | 'ok' = 'ok';
  readonly delivered = new MemoryBus();
  async subscribe(): Promise<() => Promise<void>> {
    return async () => {};
  }
  publish(
    topic: string,
    payload: string | Buffer,
    options?: { qos?: 0 | 1; retain?: boolean },
  ): Promise<void> {
    if (this.mode === 'throw') throw new Error('bus exploded');
    if (this.mode === 'reject') return Promise.reject(new Error('bus refused'));
    if (this.mode === 'hang') return new Promise(() => {});
    return this.delivered.publish(topic, payload, options);
  }
}

describe('LiveFeed never stands in the way of the journal', () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  function setup(bus: MessageBus, maxInFlight?: number, maxQueued?: number) {
    const listenerErrors: unknown[] = [];
    const site = tempJournal({ onListenerError: (e) => listenerErrors.push(e) });
    const clock = new ManualClock(T0);
    const log = memoryLog();
    const feed = new LiveFeed({
      journal: site.journal,
      config: siteConfig(),
      bus,
      log: log.logger,
      pseudonymKey: KEY,
      now: clock.now,
      timers: clock,
      ...(maxInFlight === undefined ? {} : { maxInFlight }),
      ...(maxQueued === undefined ? {} : { maxQueued }),
    });
    const stop = async () => {
      const stopping = feed.stop();
      clock.advance(10_000); // its bounded wait for the offline status, on a bus that may hang
      await stopping;
    };
    cleanups.push(() => site.close(), stop);
    return { site, clock, feed, log, listenerErrors };
  }

  it.each(['throw', 'reject'] as const)(
    'a bus that %ss is counted and logged once; every append commits',
    async (mode) => {
      const bus = new FaultyBus();
      bus.mode = mode;
      const { site, feed, log, listenerErrors } = setup(bus);
      feed.start();
      for (let i = 0; i < 20; i++) site.journal.append('decision', T0 + i, granted(T0 + i));
      await feed.flush();
      expect(site.journal.lastSeq()).toBe(20);
      expect(listenerErrors).toEqual([]);
      expect(feed.stats.failed).toBeGreaterThan(20);
      expect(feed.stats.published).toBe(0);
      const warnings = log.lines().filter((l) => String(l.msg).startsWith('bus refused a live message'));
      expect(warnings).toHaveLength(1);
    },
  );

  it('publishes every state again on a timer after the bus failed, and only then', async () => {
    const bus = new FaultyBus();
    const { site, clock, feed } = setup(bus);
    bus.mode = 'reject';
    feed.start();
    site.journal.append('mode', T0, { from: 'closed', to: 'lockdown', operator: 'op', reason: 'r' });
    await feed.flush();
    bus.mode = 'ok';
    expect(bus.delivered.published).toHaveLength(0);
    clock.advance(4999);
    expect(bus.delivered.published).toHaveLength(0);
    clock.advance(1);
    await feed.flush();
    const topics = bus.delivered.published.map((m) => m.topic);
    expect(topics).toContain(`${BASE}/mode`);
    expect(topics).toContain(`${BASE}/gateway/status`);
    expect(topics).toContain(`${BASE}/gate/north/north-ped-in/state`);
    const mode = bus.delivered.published.find((m) => m.topic === `${BASE}/mode`);
    expect(JSON.parse(String(mode?.payload))).toMatchObject({ mode: 'lockdown' });
  });

  it('drops above maxInFlight instead of queueing without bound', async () => {
    const bus = new FaultyBus();
    bus.mode = 'hang';
    const { site, feed } = setup(bus, 10);
    feed.start();
    for (let i = 0; i < 50; i++) site.journal.append('decision', T0 + i, granted(T0 + i));
    expect(site.journal.lastSeq()).toBe(50);
    await nextTurn(); // the drain the appends scheduled has run (publishes never settle here)
    expect(feed.stats.dropped).toBeGreaterThan(100);
  });

  it('does its work after the append returned, not inside it', async () => {
    const bus = new MemoryBus();
    const { site, feed } = setup(bus);
    feed.start();
    const before = bus.published.length;
    site.journal.append('decision', T0, granted(T0));
    expect(bus.published.length).toBe(before);
    await nextTurn();
    expect(bus.published.some((m) => m.topic === `${BASE}/pass/north/north-ped-in`)).toBe(true);
  });

  it('reads what did not fit its queue back from the journal, in order', async () => {
    const bus = new MemoryBus();
    const { site, feed } = setup(bus, undefined, 3);
    feed.start();
    for (let i = 0; i < 10; i++) site.journal.append('decision', T0 + i, granted(T0 + i));
    await feed.flush();
    const seqs = bus.published
      .filter((m) => m.topic === `${BASE}/pass/north/north-ped-in`)
      .map((m) => (JSON.parse(m.payload.toString()) as { seq: number }).seq);
    expect(seqs).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('a broken payload is skipped and logged with its seq; the next entries still go out', async () => {
    const bus = new MemoryBus();
    const { site, feed, log } = setup(bus);
    feed.start();
    const broken = granted(T0, { allow: false, reasons: [] });
    const bad = site.journal.append('decision', T0, broken);
    site.journal.append('decision', T0 + 1, granted(T0 + 1));
    await feed.flush();
    expect(feed.stats.skipped).toBe(1);
    expect(log.lines().find((l) => l.seq === bad.seq)).toMatchObject({ level: 50, type: 'decision' });
    expect(bus.published.filter((m) => m.topic === `${BASE}/pass/north/north-ped-in`)).toHaveLength(1);
  });

  it('picks up entries another process appended, in order, on follow() or the next append', async () => {
    const bus = new MemoryBus();
    const { site, feed } = setup(bus);
    feed.start();
    const otherDb = openDatabase(site.path);
    cleanups.push(() => otherDb.close());
    const other = Journal.open(otherDb);
    other.append('decision', T0, granted(T0));
    other.append('decision', T0 + 1, granted(T0 + 1));
    feed.follow();
    other.append('decision', T0 + 2, granted(T0 + 2));
    site.journal.append('decision', T0 + 3, granted(T0 + 3)); // the gap (seq 3) comes first
    await feed.flush();
    const seqs = bus.published
      .filter((m) => m.topic === `${BASE}/pass/north/north-ped-in`)
      .map((m) => (JSON.parse(m.payload.toString()) as { seq: number }).seq);
    expect(seqs).toEqual([1, 2, 3, 4]);
  });

  it('a handler on the bus that appends to the journal does not break ordering or the append', async () => {
    const bus = new MemoryBus();
    const { site, feed, listenerErrors } = setup(bus);
    feed.start();
    const seen = vi.fn();
    await bus.subscribe(`${BASE}/pass/#`, (m) => {
      const { seq } = JSON.parse(m.payload.toString()) as { seq: number };
      seen(seq);
      if (seq === 1) site.journal.append('alarm', T0, { code: 'TAILGATING', severity: 'critical' });
    });
    site.journal.append('decision', T0, granted(T0));
    await feed.flush();
    expect(seen).toHaveBeenCalledWith(1);
    expect(site.journal.lastSeq()).toBe(2);
    expect(bus.published.some((m) => m.topic === `${BASE}/alarm`)).toBe(true);
    expect(listenerErrors).toEqual([]);
  });
});
