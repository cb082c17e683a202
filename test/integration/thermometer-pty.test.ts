/**
 * The serial thermometer stack over a real pseudo-terminal pair from socat: the simulated
 * thermometer (in process, through SerialTransport) on one end, SerialThermometer +
 * ThermometerAdapter on the other with a port that records what it is handed. Needs `socat`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { thermometerSchema } from '../../config/thermometer-schema.js';
import type { DeviceAlarm, LanePort, ReadingPort } from '../../drivers/shared/lane-port.js';
import { SerialThermometer } from '../../drivers/thermometer/serial-thermometer.js';
import { ThermometerAdapter } from '../../drivers/thermometer/thermometer-adapter.js';
import { SerialTransport } from '../../drivers/transport/serial-transport.js';
import type { DeviceContext } from '../../gateway/devices/device-module.js';
import { buildThermometers } from '../../gateway/devices/thermometer-devices.js';
import { childLogger } from '../../gateway/logging.js';
import type { TemperatureReading } from '../../gateway/rules/types.js';
import { PtyPair } from '../../simulators/shared/pty-pair.js';
import { seededRandom } from '../../simulators/shared/random.js';
import { ThermometerSerialSimulator } from '../../simulators/thermometer/serial-thermometer-sim.js';
import { memoryLog } from '../helpers/idcard-lane.js';
import { waitFor } from '../helpers/wait-for.js';

const BAUD = 9600;
const DEVICE = 'thermo-east';
const LANE = 'east-ped-in';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A LanePort and ReadingPort that record what they are handed; every reading is the re-measure. */
function recordingPort() {
  const readings: { laneId: string; reading: TemperatureReading; source: string }[] = [];
  const alarms: DeviceAlarm[] = [];
  const states: string[] = [];
  const port: LanePort & ReadingPort = {
    reading(laneId, reading, source) {
      readings.push({ laneId, reading, source });
      return { ...reading, remeasure: 'taken' };
    },
    present: () => {
      throw new Error('a thermometer presents no credential');
    },
    alarm: (alarm) => alarms.push(alarm),
    deviceState: (deviceId, state, detail) =>
      states.push(`${deviceId} ${state}${detail ? ` ${detail}` : ''}`),
    fire: () => undefined,
    fireActive: () => false,
  };
  return { port, readings, alarms, states };
}

async function pair() {
  const dir = mkdtempSync(join(tmpdir(), 'gw-thermo-'));
  const ptys = await new PtyPair(dir, 'thermo').start();
  cleanups.push(async () => {
    await ptys.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const sim = new ThermometerSerialSimulator({
    transport: new SerialTransport({ path: ptys.b, baudRate: BAUD }),
    baudRate: BAUD,
    reopenIntervalMs: 100,
    random: seededRandom(9),
  });
  const simLinks: string[] = [];
  sim.on('link', (state) => simLinks.push(state));
  cleanups.push(() => sim.stop());
  expect(await sim.start()).toBe(true);
  return { ptys, sim, simLinks };
}

async function setUp() {
  const { ptys, sim, simLinks } = await pair();
  const log = memoryLog();
  const thermometer = new SerialThermometer({
    transport: new SerialTransport({ path: ptys.a, baudRate: BAUD }),
    reopenIntervalMs: 100,
    log: childLogger(log.logger, `driver:${DEVICE}`),
  });
  const lane = recordingPort();
  const adapter = new ThermometerAdapter(
    { deviceId: DEVICE, laneId: LANE },
    thermometer,
    lane.port,
    childLogger(log.logger, `driver:${DEVICE}`),
  );
  const events: string[] = [];
  thermometer.on('online', () => events.push('online'));
  thermometer.on('offline', () => events.push('offline'));
  adapter.start();
  cleanups.push(async () => {
    adapter.stop();
    await thermometer.stop();
  });
  expect(await thermometer.start()).toBe(true);
  const celsius = () => lane.readings.map((r) => r.reading.celsius);
  return { ptys, sim, simLinks, thermometer, lane, log, events, celsius };
}

const handheld = (celsius: number) => ({
  laneId: LANE,
  source: DEVICE,
  reading: { at: expect.any(Number), celsius, mask: null, instrument: 'handheld' },
});

describe('serial thermometer over a socat pseudo-terminal pair', () => {
  it('readings in three formats arrive as handheld readings; surface, error and garbage lines are refused and counted', async () => {
    const t = await setUp();
    await t.sim.measure(36.6, { format: 'plain' });
    await t.sim.measure(37.4, { format: 'prefixed' });
    await t.sim.measure(38.1, { format: 'fahrenheit' });
    await waitFor('three readings', () => t.lane.readings.length === 3);
    await t.sim.surface(33.0, { format: 'prefixed' });
    await t.sim.garbage(24);
    await t.sim.status('error');
    await t.sim.measure(36.2, { format: 'tagged' });
    await waitFor('the reading after the refused lines', () => t.lane.readings.length === 4);

    expect(t.lane.readings).toStrictEqual([handheld(36.6), handheld(37.4), handheld(38.1), handheld(36.2)]);
    for (const { reading } of t.lane.readings) expect(Number.isInteger(reading.at)).toBe(true);
    expect(t.thermometer.counters).toEqual({ readings: 4, refused: 3, reconnects: 0 });
    expect(t.thermometer.refusals).toEqual({ 'not-body': 1, unrecognised: 1, 'device-error': 1 });
    const marks = t.log.lines().filter((l) => l.msg === 'handheld re-measure recorded');
    expect(marks.map((l) => l.remeasure)).toEqual(['taken', 'taken', 'taken', 'taken']);
    expect(t.lane.alarms).toEqual([]);
  });

  it('goes offline with DEVICE_OFFLINE when the pair is stopped, online again when it is restarted, then reads again', async () => {
    const t = await setUp();
    await t.sim.measure(36.5);
    await waitFor('the reading before', () => t.lane.readings.length === 1);

    await t.ptys.stop();
    await waitFor('the thermometer offline', () => t.events.includes('offline'));
    expect(t.thermometer.isOnline).toBe(false);
    expect(t.lane.states.at(-1)).toMatch(new RegExp(`^${DEVICE} offline`));
    expect(t.lane.alarms).toEqual([
      expect.objectContaining({
        code: 'DEVICE_OFFLINE',
        severity: 'warning',
        deviceId: DEVICE,
        laneId: LANE,
      }),
    ]);
    await waitFor('the simulator link down', () => t.simLinks.includes('down'));

    await t.ptys.start();
    await waitFor('the thermometer online again', () => t.events.filter((e) => e === 'online').length === 2);
    await waitFor('the simulator link up again', () => t.simLinks.filter((s) => s === 'up').length === 2);
    expect(t.thermometer.counters.reconnects).toBe(1);
    await t.sim.measure(37.9, { format: 'fahrenheit' });
    await waitFor('the reading after', () => t.lane.readings.length === 2);

    expect(t.celsius()).toEqual([36.5, 37.9]);
    expect(t.lane.states).toEqual([
      `${DEVICE} online`,
      expect.stringMatching(new RegExp(`^${DEVICE} offline `)),
      `${DEVICE} online`,
    ]);
    expect(t.lane.alarms).toHaveLength(1);
  });

  it('is built from its configuration entry, custom format and unit included', async () => {
    const { ptys, sim } = await pair();
    const entry = thermometerSchema.parse({
      id: DEVICE,
      lane: LANE,
      serial: { path: ptys.a, baud: BAUD },
      format: '^TMP,(\\d+\\.\\d),OK$',
      unit: 'C',
    });
    const lane = recordingPort();
    const log = memoryLog();
    // Only what buildThermometers reads: the configured entries, a logger and the lane port.
    const context = {
      site: { config: { thermometers: [entry] } },
      log: log.logger,
      port: lane.port,
      line: () => {
        throw new Error('a thermometer is on no shared line');
      },
    } as unknown as DeviceContext;
    const modules = buildThermometers(context);
    expect(modules.map((m) => m.devices)).toEqual([1]);
    const [module] = modules;
    if (module === undefined) throw new Error('no module');
    module.start();
    cleanups.push(() => module.stop());
    await waitFor('the thermometer online', () => module.states()[0]?.online === true);

    await sim.line('36.6');
    await sim.line('TMP,98.6F,OK');
    await sim.line('TMP,36.9,OK');
    await waitFor('the reading', () => lane.readings.length === 1);
    expect(lane.readings).toStrictEqual([handheld(36.9)]);
    expect(module.states()).toEqual([
      { deviceId: DEVICE, online: true, counters: { readings: 1, refused: 2, reconnects: 0 } },
    ]);
    expect(lane.states).toEqual([`${DEVICE} online`]);
  });
});
