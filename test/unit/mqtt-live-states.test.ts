import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LiveFeed } from '../../gateway/mqtt/live-feed.js';
import type { MemoryBus } from '../../gateway/mqtt/memory-bus.js';
import type { ManualClock } from '../helpers/manual-clock.js';
import {
  feedRig,
  granted,
  publishedOn,
  refused,
  T0,
  type tempJournal,
  vehicleGranted,
} from './mqtt-live-fixtures.js';

const BASE = 'gatewarden/demo';

describe('LiveFeed: retained states of the local tree', () => {
  let site: ReturnType<typeof tempJournal>;
  let bus: MemoryBus;
  let clock: ManualClock;
  let feed: LiveFeed;

  const on = (topic: string) => publishedOn(bus, topic);
  const last = (topic: string) => on(topic).at(-1);

  beforeEach(() => {
    ({ site, bus, clock, feed } = feedRig());
  });

  afterEach(async () => {
    await feed.stop();
    site.close();
  });

  it('releases the lock for the unlock time, the barrier for the policy unlock time, then closes them', async () => {
    feed.start();
    const pass = site.journal.append('decision', T0, granted(T0));
    site.journal.append('decision', T0, vehicleGranted(T0));
    await feed.flush();
    const ped = () => last(`${BASE}/gate/north/north-ped-in/state`);
    const car = () => last(`${BASE}/gate/north/north-car-in/state`);
    expect(ped()).toMatchObject({
      open: true,
      lock: 'unlocked',
      releasedBy: 'pass',
      releasedUntil: T0 + 5000,
      lastPass: { seq: pass.seq, at: T0, outcome: 'granted', reason: 'RESIDENT' },
    });
    expect(car()).toMatchObject({ open: true, barrier: 'up', releasedUntil: T0 + 5000 });
    clock.advance(4999);
    expect(ped()).toMatchObject({ open: true });
    clock.advance(1);
    await feed.flush();
    expect(ped()).toMatchObject({ open: false, lock: 'locked', releasedBy: null, releasedUntil: null });
    expect(car()).toMatchObject({ open: false, barrier: 'down' });
  });

  it('shows a door alarm on the lane until it is acknowledged', async () => {
    feed.start();
    const alarm = site.journal.append('alarm', T0, {
      code: 'DOOR_FORCED_OPEN',
      severity: 'critical',
      laneId: 'north-ped-in',
      detail: { device: 'idcard-1' },
    });
    await feed.flush();
    expect(last(`${BASE}/gate/north/north-ped-in/state`)?.alarm).toEqual({
      seq: alarm.seq,
      at: T0,
      code: 'DOOR_FORCED_OPEN',
    });
    site.journal.append('alarm_ack', T0 + 1, { alarmSeq: alarm.seq, operator: 'op' });
    await feed.flush();
    expect(last(`${BASE}/gate/north/north-ped-in/state`)?.alarm).toBeNull();
  });

  it('counts the day’s passes and starts again at local midnight', async () => {
    feed.start();
    site.journal.append('decision', T0, granted(T0));
    site.journal.append('decision', T0 + 1, vehicleGranted(T0 + 1));
    // At a building entrance (Decision.entrance): no passage of the community, counted apart.
    const home = granted(T0 + 2);
    home.decision.entrance = { building: '3' };
    site.journal.append('decision', T0 + 2, home);
    const r = site.journal.append('decision', T0 + 2, refused(T0 + 2));
    await feed.flush();
    expect(last(`${BASE}/counters/daily`)).toEqual({
      retain: true,
      qos: 1,
      day: '2024-05-01',
      since: Date.UTC(2024, 3, 30, 16, 0, 0),
      at: T0,
      granted: 2,
      refused: 1,
      buildingEntrances: { granted: 1, refused: 0 },
      lanes: { 'north-ped-in': { granted: 2, refused: 1 }, 'north-car-in': { granted: 1, refused: 0 } },
      reasons: { FEVER: 1 },
      throughSeq: r.seq,
    });
    clock.advance(14 * 3600_000); // past 00:00 on 2024-05-02, site time
    await feed.flush();
    expect(last(`${BASE}/counters/daily`)).toMatchObject({
      day: '2024-05-02',
      granted: 0,
      refused: 0,
      reasons: {},
    });
  });

  it('publishes the present on start, rebuilt from the journal, for clients that come later', async () => {
    site.journal.append('mode', T0 - 60_000, { from: 'closed', to: 'open', operator: 'op', reason: 'r' });
    site.journal.append('device', T0 - 50_000, { deviceId: 'qr-1', laneId: 'north-car-in', state: 'online' });
    site.journal.append('device', T0 - 40_000, { deviceId: 'idcard-1', state: 'error', detail: 'SAM fault' });
    const pass = site.journal.append('decision', T0 - 2000, granted(T0 - 2000));
    site.journal.append('decision', T0 - 86_400_000, granted(T0 - 86_400_000)); // yesterday: not counted
    feed.start();
    await feed.flush();
    const late = new Map<string, Record<string, unknown>>();
    await bus.subscribe(`${BASE}/#`, (m) =>
      late.set(m.topic, { retain: m.retain, ...JSON.parse(m.payload.toString()) }),
    );
    expect(late.get(`${BASE}/gateway/status`)).toEqual({
      retain: true,
      state: 'online',
      at: T0,
      version: '9.9.9',
    });
    expect(late.get(`${BASE}/mode`)).toMatchObject({ mode: 'open', seq: 1 });
    expect(late.get(`${BASE}/fire`)).toEqual({ retain: true, active: false, seq: null, at: T0 });
    expect(late.get(`${BASE}/device/qr-1/availability`)).toMatchObject({ state: 'online' });
    expect(late.get(`${BASE}/device/idcard-1/availability`)).toMatchObject({ state: 'offline' });
    expect(late.get(`${BASE}/device/idcard-1/state`)).toMatchObject({ state: 'error', detail: 'SAM fault' });
    expect(late.get(`${BASE}/gate/north/north-ped-in/state`)).toMatchObject({
      open: true,
      releasedUntil: T0 + 3000,
      lastPass: { seq: pass.seq },
      devicesDown: ['idcard-1'],
    });
    expect(late.get(`${BASE}/counters/daily`)).toMatchObject({
      granted: 1,
      refused: 0,
      throughSeq: pass.seq,
    });
  });

  it('stops with a retained offline status and no listener left', async () => {
    feed.start();
    await feed.stop();
    expect(last(`${BASE}/gateway/status`)).toMatchObject({ retain: true, state: 'offline' });
    const count = bus.published.length;
    site.journal.append('decision', T0, granted(T0));
    await feed.flush();
    expect(bus.published.length).toBe(count);
    expect(clock.pending).toBe(0);
  });
});
