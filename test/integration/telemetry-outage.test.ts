/**
 * The store-and-forward promise, with real parts: the real gateway (`gatewarden start`) sends
 * its journal to a real influxd while a load writer appends passes, refusals, readings and
 * alarms. (1) influxd is stopped under load (20 s by default) and started again; (2) the gateway is
 * killed with SIGKILL again and again under load. Afterwards every journal entry is in InfluxDB
 * exactly once, in the journal's order, with its content.
 *
 * The outage lasts GATEWARDEN_TEST_OUTAGE_SECONDS (default 20) so CI stays fast; it was also
 * run with 300 (docs/telemetry.md).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type JournalRow, TelemetryRig } from './helpers/telemetry-rig.js';

const OUTAGE_MS = Number(process.env.GATEWARDEN_TEST_OUTAGE_SECONDS ?? 20) * 1000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Journal entries of one type in event-time order (time, then seq: the points' timestamps). */
function ofType(rows: readonly JournalRow[], type: string) {
  return rows
    .filter((r) => r.type === type)
    .sort((a, b) => a.at - b.at || a.seq - b.seq)
    .map((r) => ({ seq: r.seq, at: r.at, payload: JSON.parse(r.payload) }));
}

/** Every pass, refusal, alarm and reading of the journal is in InfluxDB once, in order, with its content. */
async function expectAllDelivered(
  rig: TelemetryRig,
): Promise<{ passes: number; readings: number; alarms: number }> {
  const rows = rig.journal();
  expect(rig.acknowledged.length).toBeGreaterThan(0);
  const inJournal = new Set(rows.map((r) => r.seq));
  for (const seq of rig.acknowledged) expect(inJournal.has(seq)).toBe(true);

  const decisions = ofType(rows, 'decision');
  const passes = await rig.points('pass');
  expect(passes.map((p) => p.seq)).toEqual(decisions.map((d) => d.seq));
  passes.forEach((p, i) => {
    const d = decisions[i]?.payload;
    expect(p.lane).toBe(d.request.laneId);
    expect(p.outcome).toBe(d.decision.allow ? 'granted' : 'refused');
    expect(p.reason).toBe(d.decision.reasons.find((r: { effect: string }) => r.effect === 'deny')?.code);
    expect(p.decide_us).toBe(d.latencyUs);
  });

  const alarms = ofType(rows, 'alarm');
  const alarmPoints = await rig.points('alarm');
  expect(alarmPoints.map((p) => p.seq)).toEqual(alarms.map((a) => a.seq));
  for (const [i, p] of alarmPoints.entries()) expect(p.code).toBe(alarms[i]?.payload.code);

  const readings = ofType(rows, 'reading');
  const temperatures = await rig.points('temperature');
  expect(temperatures.map((t) => t.seq)).toEqual(readings.map((r) => r.seq));
  for (const [i, t] of temperatures.entries()) expect(t.celsius).toBe(readings[i]?.payload.reading.celsius);
  return { passes: passes.length, readings: readings.length, alarms: alarms.length };
}

describe('InfluxDB store-and-forward through the real gateway', () => {
  let rig: TelemetryRig | undefined;
  afterEach(async () => {
    await rig?.dispose();
    rig = undefined;
  });

  it(
    'loses nothing and duplicates nothing when influxd is down for a minute under load',
    async () => {
      rig = await TelemetryRig.start();
      await rig.startGateway();
      await rig.startLoad(20);
      await sleep(3000);
      await rig.influxd.stop();
      const outageFrom = Date.now();
      const beforeOutage = rig.acknowledged.length;
      await sleep(OUTAGE_MS);
      const duringOutage = rig.acknowledged.length - beforeOutage;
      const outageTo = Date.now();
      await rig.influxd.restart();
      await sleep(3000);
      await rig.stopLoad();
      await rig.waitDrained();
      const counts = await expectAllDelivered(rig);
      // The outage really happened under load, and the backlog was marked as replayed.
      expect(duringOutage).toBeGreaterThan(100);
      const replayed = await rig.influxd.series(
        'SELECT count("seq") FROM "pass" WHERE "replayed" = true',
        'gw',
      );
      expect(Number(replayed[0]?.count)).toBeGreaterThan(0);
      expect(counts.passes + counts.readings + counts.alarms).toBeGreaterThan(duringOutage);
      // The high-rate samples (one a second here) taken while influxd was down waited in the
      // outbox and arrived too.
      const samples = await rig.influxd.series(
        `SELECT "out" FROM "occupancy" WHERE time >= ${outageFrom}ms AND time < ${outageTo}ms`,
        'gw',
      );
      expect(samples.length).toBeGreaterThan(0);
      // What a technician sees from the command line beside the running gateway.
      const status = rig.site.run(['telemetry', 'status', '--json']);
      expect(status.status).toBe(0);
      const parsed = JSON.parse(status.stdout) as {
        journal: number;
        cursors: { name: string; position: number; lag: number }[];
        deadLetters: number;
      };
      expect(parsed.cursors.filter((c) => c.name.startsWith('influx'))).toEqual([
        expect.objectContaining({ name: 'influx', lag: 0 }),
        expect.objectContaining({ name: 'influx.bulk', lag: 0 }),
      ]);
      expect(parsed.deadLetters).toBe(0);
    },
    OUTAGE_MS + 120_000,
  );

  it('loses nothing and duplicates nothing when the gateway is killed with SIGKILL repeatedly under load', async () => {
    rig = await TelemetryRig.start();
    await rig.startGateway();
    await rig.startLoad(5);
    for (let kill = 0; kill < 6; kill++) {
      await sleep(700 + ((kill * 373) % 900));
      await rig.stopGateway('SIGKILL');
      await sleep(300);
      await rig.startGateway();
    }
    await sleep(1000);
    await rig.stopLoad();
    await rig.waitDrained();
    const counts = await expectAllDelivered(rig);
    expect(counts.passes).toBeGreaterThan(500);
  }, 180_000);
});
