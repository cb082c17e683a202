/**
 * A small site for the live feed and Home Assistant tests: one gate with a pedestrian and a
 * vehicle lane, an ID-card reader and a QR scanner, a journal in a temp directory, a clock the
 * test moves by hand, and decision payloads of each kind.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema, type GatewardenConfig } from '../../config/schema.js';
import { type Db, openDatabase } from '../../gateway/db.js';
import type { JournalEventMap } from '../../gateway/journal/events.js';
import { Journal } from '../../gateway/journal/journal.js';
import { LiveFeed } from '../../gateway/mqtt/live-feed.js';
import { MemoryBus } from '../../gateway/mqtt/memory-bus.js';
import type { Decision, Reason, TemperatureReading } from '../../gateway/rules/types.js';
import { memoryLog } from '../helpers/idcard-lane.js';
import { ManualClock } from '../helpers/manual-clock.js';

/** 2024-05-01 10:00 in Asia/Shanghai. */
export const T0 = Date.UTC(2024, 4, 1, 2, 0, 0);
export const KEY = Buffer.alloc(32, 7);

export function siteConfig(
  homeAssistant: { enabled: boolean } = { enabled: true },
  siteId = 'demo',
): GatewardenConfig {
  return configSchema.parse({
    site: { id: siteId, name: { zh: '幸福里小区', en: 'Xingfuli Community' }, timezone: 'Asia/Shanghai' },
    mode: 'closed',
    policy: { unlockSeconds: 5 },
    gates: [
      {
        id: 'north',
        name: { zh: '北门', en: 'North Gate' },
        primary: true,
        lanes: [
          {
            id: 'north-ped-in',
            name: { zh: '北门行人入口', en: 'North ped in' },
            kind: 'pedestrian',
            direction: 'in',
          },
          {
            id: 'north-car-in',
            name: { zh: '北门车辆入口', en: 'North car in' },
            kind: 'vehicle',
            direction: 'in',
          },
        ],
      },
    ],
    lines: [{ id: 'bus-1', path: '/dev/null' }],
    idcard: { devices: [{ id: 'idcard-1', line: 'bus-1', lane: 'north-ped-in' }] },
    scanners: [{ id: 'qr-1', lane: 'north-car-in', serial: { path: '/dev/null' } }],
    mqtt: { homeAssistant },
  });
}

/** A journal on a fresh database file; `close` removes both. */
export function tempJournal(options: Parameters<typeof Journal.open>[1] = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'gw-live-'));
  const path = join(dir, 'gateway.db');
  const db: Db = openDatabase(path);
  const journal = Journal.open(db, options);
  return {
    path,
    db,
    journal,
    close() {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function granted(at: number, overrides: Partial<Decision> = {}): JournalEventMap['decision'] {
  return {
    gateId: 'north',
    request: { at, laneId: 'north-ped-in', shift: 'day', credential: { kind: 'card', value: 'CRES1' } },
    decision: {
      allow: true,
      reasons: [
        { effect: 'grant', code: 'RESIDENT' },
        { effect: 'notice', code: 'QUARANTINED' },
      ],
      subject: { kind: 'person', id: 'res1', personKind: 'resident', householdId: '3-2-501' },
      direction: 'in',
      actions: [
        { type: 'unlock', durationMs: 5000 },
        { type: 'indicate', led: 'green', buzzer: 'short', text: { zh: '请通行', en: 'Go ahead' } },
      ],
      ...overrides,
    },
    latencyUs: 12.5,
  };
}

export function vehicleGranted(at: number): JournalEventMap['decision'] {
  return {
    gateId: 'north',
    request: { at, laneId: 'north-car-in', shift: 'day', credential: { kind: 'plate', value: '沪A12345' } },
    decision: {
      allow: true,
      reasons: [{ effect: 'grant', code: 'VEHICLE_PERMIT' }],
      subject: { kind: 'vehicle', id: 'car1', vehicleKind: 'resident' },
      direction: 'in',
      actions: [{ type: 'raise_barrier' }],
    },
  };
}

export function refused(at: number, reasons?: Reason[]): JournalEventMap['decision'] {
  return {
    gateId: 'north',
    request: {
      at,
      laneId: 'north-ped-in',
      shift: 'day',
      credential: { kind: 'idcard', value: 'hash-of-id' },
    },
    decision: {
      allow: false,
      reasons: reasons ?? [
        { effect: 'deny', code: 'FEVER', detail: { celsius: 38.2 } },
        { effect: 'deny', code: 'QUARANTINED', detail: { order: 'q-77' } },
        { effect: 'deny', code: 'HIGH_RISK_ORIGIN', detail: { region: '某市某区' } },
      ],
      subject: { kind: 'person', id: 'vis1', personKind: 'visitor' },
      direction: 'in',
      actions: [{ type: 'indicate', led: 'red', buzzer: 'long', text: { zh: '体温异常', en: 'Fever' } }],
    },
  };
}

/**
 * A reading at the pedestrian lane with a mask seen; `marks` are the instrument and the
 * re-measure mark as the checkpoint journals them, `source` the device or `cli:<operator>`.
 */
export function reading(
  at: number,
  celsius: number,
  marks: Pick<TemperatureReading, 'instrument' | 'remeasure'> = {},
  source = 'idcard-1',
): JournalEventMap['reading'] {
  return { gateId: 'north', laneId: 'north-ped-in', reading: { at, celsius, mask: true, ...marks }, source };
}

/** A live feed over a temporary journal, a memory bus and a manual clock at T0 (not started). */
export function feedRig() {
  const site = tempJournal();
  const bus = new MemoryBus();
  const clock = new ManualClock(T0);
  const feed = new LiveFeed({
    journal: site.journal,
    config: siteConfig(),
    bus,
    log: memoryLog().logger,
    pseudonymKey: KEY,
    now: clock.now,
    timers: clock,
    version: '9.9.9',
  });
  return { site, bus, clock, feed };
}

/** The JSON payloads published on `topic`, each with its retain flag and QoS. */
export function publishedOn(bus: MemoryBus, topic: string): Record<string, unknown>[] {
  return bus.published
    .filter((m) => m.topic === topic)
    .map((m) => ({ retain: m.retain, qos: m.qos, ...JSON.parse(m.payload.toString()) }));
}
