/**
 * GatewayMetrics over an in-memory journal and fakes: decisions are counted from the appends of
 * this process only (not the replay, not after stop()), card-to-unlock comes from the lane
 * port's dispatch hook, device, sink and journal values are read at scrape time.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../gateway/db.js';
import type { DeviceState } from '../../gateway/devices/device-module.js';
import { SiteLanePort } from '../../gateway/devices/site-lane-port.js';
import type { JournalEventMap } from '../../gateway/journal/events.js';
import { Journal } from '../../gateway/journal/journal.js';
import type { Decision } from '../../gateway/rules/types.js';
import type { Site } from '../../gateway/site.js';
import type { InfluxSink, InfluxSinkStatus } from '../../gateway/telemetry/influx-sink.js';
import { GatewayMetrics } from '../../gateway/telemetry/metrics.js';

const AT = Date.UTC(2026, 10, 28, 1, 0, 0);
const GRANT: Decision = {
  allow: true,
  reasons: [{ effect: 'grant', code: 'RESIDENT' }],
  subject: { kind: 'person', id: 'p-1', personKind: 'resident' },
  direction: 'in',
  actions: [{ type: 'unlock', durationMs: 5000 }],
};
const REFUSAL: Decision = {
  allow: false,
  reasons: [
    { effect: 'notice', code: 'QUARANTINED' },
    { effect: 'deny', code: 'FEVER' },
    { effect: 'deny', code: 'NO_MASK' },
  ],
  subject: { kind: 'unknown' },
  direction: 'out',
  actions: [],
};

function decision(laneId: string, d: Decision, latencyUs?: number): JournalEventMap['decision'] {
  return {
    gateId: 'north',
    request: { at: AT, laneId, shift: 'day' },
    decision: d,
    ...(latencyUs !== undefined ? { latencyUs } : {}),
  };
}

const now = AT;
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function setup(extra: { devices?: () => DeviceState[]; sink?: Pick<InfluxSink, 'status'> } = {}) {
  const db = openDatabase(':memory:');
  const journal = Journal.open(db);
  const metrics = new GatewayMetrics({
    site: { db, journal, now: () => now },
    defaultMetrics: false,
    ...extra,
  });
  cleanups.push(() => {
    metrics.stop();
    db.close();
  });
  return { db, journal, metrics };
}

/** Values of one metric by their labels, joined as `k=v,k=v` (suffix `#le=` for buckets). */
async function values(registry: Registry, name: string): Promise<Record<string, number>> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  if (!metric) throw new Error(`no metric ${name}`);
  const out: Record<string, number> = {};
  for (const v of metric.values as {
    labels: Record<string, string | number>;
    value: number;
    metricName?: string;
  }[]) {
    const key = Object.entries(v.labels)
      .map(([k, x]) => `${k}=${x}`)
      .join(',');
    out[`${v.metricName ?? name}{${key}}`] = v.value;
  }
  return out;
}

describe('GatewayMetrics', () => {
  it('counts the decisions appended after it was built, until stop()', async () => {
    const db = openDatabase(':memory:');
    const journal = Journal.open(db);
    journal.append('decision', AT, decision('north-ped-in', GRANT, 10)); // the replay: not counted
    const metrics = new GatewayMetrics({ site: { db, journal, now: () => now }, defaultMetrics: false });
    journal.append('decision', AT, decision('north-ped-in', GRANT, 12));
    journal.append('decision', AT, decision('north-ped-in', GRANT, 30));
    journal.append('decision', AT, decision('north-ped-out', REFUSAL, 2_000));
    journal.append('decision', AT, decision('north-ped-out', REFUSAL)); // no latency kept
    journal.append('alarm', AT, { code: 'DOOR_HELD_OPEN', severity: 'warning' });
    metrics.stop();
    journal.append('decision', AT, decision('north-ped-in', GRANT, 12));

    expect(await values(metrics.registry, 'gatewarden_decisions_total')).toEqual({
      'gatewarden_decisions_total{lane=north-ped-in,outcome=granted,reason=RESIDENT}': 2,
      'gatewarden_decisions_total{lane=north-ped-out,outcome=refused,reason=FEVER}': 2,
    });
    const latency = await values(metrics.registry, 'gatewarden_decision_latency_seconds');
    expect(latency['gatewarden_decision_latency_seconds_count{lane=north-ped-in}']).toBe(2);
    expect(latency['gatewarden_decision_latency_seconds_sum{lane=north-ped-in}']).toBeCloseTo(42e-6, 12);
    expect(latency['gatewarden_decision_latency_seconds_bucket{le=0.00001,lane=north-ped-in}']).toBe(0);
    expect(latency['gatewarden_decision_latency_seconds_bucket{le=0.000025,lane=north-ped-in}']).toBe(1);
    expect(latency['gatewarden_decision_latency_seconds_bucket{le=0.00005,lane=north-ped-in}']).toBe(2);
    expect(latency['gatewarden_decision_latency_seconds_count{lane=north-ped-out}']).toBe(1);
    expect(latency['gatewarden_decision_latency_seconds_bucket{le=0.001,lane=north-ped-out}']).toBe(0);
    expect(latency['gatewarden_decision_latency_seconds_bucket{le=0.0025,lane=north-ped-out}']).toBe(1);
    const text = await metrics.registry.getSingleMetricAsString('gatewarden_decisions_total');
    expect(text).toMatch(/^# HELP gatewarden_decisions_total /);
    expect(text).toMatch(/^# TYPE gatewarden_decisions_total counter$/m);
    db.close();
  });

  it('times card to unlock through the lane port, for unlocking and raising decisions only', async () => {
    const { metrics } = setup();
    let handed: Decision = GRANT;
    const checkpoint = {
      present: () => ({ decision: handed, entry: { payload: { request: { at: now - 40 } } } }),
    };
    const port = new SiteLanePort({ checkpoint } as unknown as Site);
    port.onDispatch(metrics.dispatched);
    port.present('north-ped-in', { kind: 'card', value: '04:a2' }, 'reader');
    handed = { ...GRANT, actions: [{ type: 'raise_barrier' }] };
    port.present('north-vehicle-in', { kind: 'plate', value: '沪A12345' }, 'camera');
    handed = REFUSAL;
    port.present('north-ped-in', { kind: 'card', value: '04:a3' }, 'reader');
    port.onDispatch(undefined);
    port.present('north-ped-in', { kind: 'card', value: '04:a2' }, 'reader');

    const v = await values(metrics.registry, 'gatewarden_card_to_unlock_seconds');
    expect(v['gatewarden_card_to_unlock_seconds_count{lane=north-ped-in}']).toBe(1);
    expect(v['gatewarden_card_to_unlock_seconds_sum{lane=north-ped-in}']).toBeCloseTo(0.04, 9);
    expect(v['gatewarden_card_to_unlock_seconds_bucket{le=0.025,lane=north-ped-in}']).toBe(0);
    expect(v['gatewarden_card_to_unlock_seconds_bucket{le=0.05,lane=north-ped-in}']).toBe(1);
    expect(v['gatewarden_card_to_unlock_seconds_count{lane=north-vehicle-in}']).toBe(1);
  });

  it('reads device link state and error counters at scrape time', async () => {
    let states: DeviceState[] = [
      {
        deviceId: 'osdp-1',
        online: true,
        counters: { commands: 900, replies: 880, timeouts: 20, naks: 0, busy: 3, offlineTransitions: 1 },
      },
      { deviceId: 'board-1', online: false, counters: { requests: 10, crcErrors: 2, writeFailures: 1 } },
      { deviceId: 'scanner-1', online: true },
    ];
    const { metrics } = setup({ devices: () => states });
    expect(await values(metrics.registry, 'gatewarden_device_online')).toEqual({
      'gatewarden_device_online{device=osdp-1}': 1,
      'gatewarden_device_online{device=board-1}': 0,
      'gatewarden_device_online{device=scanner-1}': 1,
    });
    expect(await values(metrics.registry, 'gatewarden_device_errors_total')).toEqual({
      'gatewarden_device_errors_total{device=osdp-1,counter=timeouts}': 20,
      'gatewarden_device_errors_total{device=osdp-1,counter=naks}': 0,
      'gatewarden_device_errors_total{device=osdp-1,counter=offlineTransitions}': 1,
      'gatewarden_device_errors_total{device=board-1,counter=crcErrors}': 2,
      'gatewarden_device_errors_total{device=board-1,counter=writeFailures}': 1,
    });
    states = [{ deviceId: 'osdp-1', online: false, counters: { timeouts: 25 } }];
    expect(await values(metrics.registry, 'gatewarden_device_online')).toEqual({
      'gatewarden_device_online{device=osdp-1}': 0,
    });
    expect(await values(metrics.registry, 'gatewarden_device_errors_total')).toEqual({
      'gatewarden_device_errors_total{device=osdp-1,counter=timeouts}': 25,
    });
  });

  it('reads the sink cursors and counters at scrape time', async () => {
    const status: InfluxSinkStatus = {
      connected: false,
      replaying: true,
      pointsSent: 1234,
      writeFailures: 7,
      deadLetters: 1,
      lastError: 'ECONNREFUSED',
      cursors: [
        { name: 'influx', position: 90, lag: 10, lagSeconds: 4.5 },
        { name: 'influx.bulk', position: 100, lag: 0, lagSeconds: 0 },
      ],
    };
    const { metrics } = setup({ sink: { status: () => status } });
    expect(await values(metrics.registry, 'gatewarden_sink_lag_entries')).toEqual({
      'gatewarden_sink_lag_entries{sink=influx}': 10,
      'gatewarden_sink_lag_entries{sink=influx.bulk}': 0,
    });
    expect(await values(metrics.registry, 'gatewarden_sink_lag_seconds')).toEqual({
      'gatewarden_sink_lag_seconds{sink=influx}': 4.5,
      'gatewarden_sink_lag_seconds{sink=influx.bulk}': 0,
    });
    expect(await values(metrics.registry, 'gatewarden_sink_points_sent_total')).toEqual({
      'gatewarden_sink_points_sent_total{}': 1234,
    });
    status.pointsSent = 2000;
    status.connected = true;
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/^gatewarden_sink_points_sent_total 2000$/m);
    expect(text).toMatch(/^gatewarden_sink_write_failures_total 7$/m);
    expect(text).toMatch(/^gatewarden_sink_dead_letters 1$/m);
    expect(text).toMatch(/^gatewarden_sink_connected 1$/m);
  });

  it('leaves out sink and device metrics without a sink and devices', async () => {
    const { metrics } = setup();
    const text = await metrics.registry.metrics();
    expect(text).not.toMatch(/gatewarden_sink_/);
    expect(text).not.toMatch(/gatewarden_device_/);
  });

  it('reports the journal length and the database file size', async () => {
    const { journal, metrics } = setup();
    journal.append('alarm', AT, { code: 'DOOR_HELD_OPEN', severity: 'warning' });
    journal.append('alarm', AT, { code: 'DOOR_HELD_OPEN', severity: 'warning' });
    expect(await metrics.registry.metrics()).toMatch(/^gatewarden_journal_entries 2$/m);
    expect(await values(metrics.registry, 'gatewarden_journal_bytes')).toEqual({
      'gatewarden_journal_bytes{}': 0,
    });

    const dir = mkdtempSync(join(tmpdir(), 'gw-metrics-'));
    const db = openDatabase(join(dir, 'gw.db'));
    const onDisk = new GatewayMetrics({ site: { db, journal: Journal.open(db), now: () => now } });
    cleanups.push(() => {
      onDisk.stop();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const bytes = (await values(onDisk.registry, 'gatewarden_journal_bytes'))['gatewarden_journal_bytes{}'];
    expect(bytes).toBeGreaterThan(4096);
    // Process metrics, with the gateway's prefix, in the gateway's registry only.
    expect(await onDisk.registry.metrics()).toMatch(/^gatewarden_process_cpu_user_seconds_total /m);
    expect(await metrics.registry.metrics()).not.toMatch(/gatewarden_process_/);
  });
});
