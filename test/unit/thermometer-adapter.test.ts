import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Clock } from '../../drivers/shared/clock.js';
import type { DeviceAlarm, LanePort, ReadingPort } from '../../drivers/shared/lane-port.js';
import {
  SerialThermometer,
  type SerialThermometerOptions,
} from '../../drivers/thermometer/serial-thermometer.js';
import { ThermometerAdapter } from '../../drivers/thermometer/thermometer-adapter.js';
import { MemoryBus } from '../../drivers/transport/memory-bus.js';
import { childLogger } from '../../gateway/logging.js';
import type { RemeasureMark, TemperatureReading } from '../../gateway/rules/types.js';
import { seededRandom } from '../../simulators/shared/random.js';
import type { ReadingFormat } from '../../simulators/thermometer/reading-formats.js';
import {
  type LineEnd,
  ThermometerSerialSimulator,
} from '../../simulators/thermometer/serial-thermometer-sim.js';
import { memoryLog } from '../helpers/idcard-lane.js';
import { drive } from '../helpers/scanner-rig.js';

const CONFIG = { deviceId: 'thermo-north', laneId: 'north-ped-in' };

/**
 * A clock over the global timers (so `vi.useFakeTimers()` drives it) whose `now` has a fraction,
 * as the system clock's does: the adapter must hand the journal whole milliseconds.
 */
const fractionalClock: Clock = {
  now: () => Date.now() + 0.625,
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * A LanePort and ReadingPort that record what they are given. `mark` plays the checkpoint: the
 * re-measure mark it gives each reading; `fail` makes the journal refuse the next reading.
 */
function recordingPort(mark: (reading: TemperatureReading) => RemeasureMark | undefined = () => undefined) {
  const readings: { laneId: string; reading: TemperatureReading; source: string }[] = [];
  const alarms: DeviceAlarm[] = [];
  const states: string[] = [];
  const control = { fail: false };
  const port: LanePort & ReadingPort = {
    reading(laneId, reading, source) {
      if (control.fail) {
        control.fail = false;
        throw new Error('journal full');
      }
      readings.push({ laneId, reading, source });
      const m = mark(reading);
      return m === undefined ? reading : { ...reading, remeasure: m };
    },
    present: () => {
      throw new Error('a thermometer presents no credential');
    },
    alarm: (alarm) => alarms.push(alarm),
    deviceState: (deviceId, state, detail, laneId) =>
      states.push(`${deviceId} ${state}${detail ? ` ${detail}` : ''}${laneId ? ` @${laneId}` : ''}`),
    fire: () => undefined,
    fireActive: () => false,
  };
  return { port, readings, alarms, states, control };
}

describe('SerialThermometer + ThermometerAdapter over an in-memory line with the simulated thermometer', () => {
  const stops: (() => Promise<void>)[] = [];

  beforeEach(() => {
    vi.useFakeTimers();
  });

  afterEach(async () => {
    for (const stop of stops.splice(0)) await stop();
    vi.useRealTimers();
  });

  async function rig(
    options: {
      mark?: (reading: TemperatureReading) => RemeasureMark | undefined;
      format?: ReadingFormat;
      lineEnd?: LineEnd;
      noise?: number;
      chunkSize?: number;
      thermometer?: Partial<Omit<SerialThermometerOptions, 'transport'>>;
    } = {},
  ) {
    const bus = new MemoryBus(options.chunkSize === undefined ? {} : { chunkSize: options.chunkSize });
    const host = bus.attach('host');
    const log = memoryLog();
    const thermometer = new SerialThermometer({
      transport: host,
      reopenIntervalMs: 100,
      clock: fractionalClock,
      log: childLogger(log.logger, 'driver:thermo-north:serial'),
      ...options.thermometer,
    });
    const sim = new ThermometerSerialSimulator({
      transport: bus.attach('device'),
      baudRate: 9600,
      clock: fractionalClock,
      random: seededRandom(5),
      ...(options.format === undefined ? {} : { format: options.format }),
      ...(options.lineEnd === undefined ? {} : { lineEnd: options.lineEnd }),
      ...(options.noise === undefined ? {} : { noise: options.noise }),
    });
    const lane = recordingPort(options.mark);
    const adapter = new ThermometerAdapter(
      CONFIG,
      thermometer,
      lane.port,
      childLogger(log.logger, 'driver:thermo-north'),
    );
    const recorded: TemperatureReading[] = [];
    adapter.on('recorded', (r) => recorded.push(r));
    adapter.start();
    stops.push(async () => {
      adapter.stop();
      await thermometer.stop();
      await sim.stop();
    });
    await sim.start();
    expect(await thermometer.start()).toBe(true);
    const celsius = () => lane.readings.map((r) => r.reading.celsius);
    return { bus, host, log, thermometer, sim, lane, adapter, recorded, celsius };
  }

  it('hands each reading to the lane as a handheld reading in whole milliseconds, in every format', async () => {
    const t = await rig();
    await drive(t.sim.measure(36.6));
    await drive(t.sim.measure(37.2, { format: 'prefixed' }));
    await drive(t.sim.measure(38.1, { format: 'fahrenheit' }));
    await drive(t.sim.measure(36.9, { format: 'tagged' }));
    await drive(t.sim.measure(35.8, { format: 'suffixed' }));
    await vi.advanceTimersByTimeAsync(5);
    expect(t.celsius()).toEqual([36.6, 37.2, 38.1, 36.9, 35.8]);
    for (const { laneId, reading, source } of t.lane.readings) {
      expect({ laneId, source }).toEqual({ laneId: CONFIG.laneId, source: CONFIG.deviceId });
      expect(reading).toStrictEqual({
        at: reading.at,
        celsius: reading.celsius,
        mask: null,
        instrument: 'handheld',
      });
      expect(Number.isInteger(reading.at)).toBe(true);
    }
    expect(t.thermometer.counters).toEqual({ readings: 5, refused: 0, reconnects: 0 });
  });

  it.each<LineEnd>(['cr', 'lf', 'crlf'])('reads lines ended by %s, chunked byte by byte', async (lineEnd) => {
    const t = await rig({ lineEnd, chunkSize: 1, format: 'prefixed' });
    await drive(t.sim.measure(36.4));
    await drive(t.sim.measure(36.5));
    await vi.advanceTimersByTimeAsync(5);
    expect(t.celsius()).toEqual([36.4, 36.5]);
    expect(t.thermometer.counters.refused).toBe(0);
  });

  it('logs the mark the checkpoint gave each reading and emits the reading as journaled', async () => {
    const t = await rig({ mark: (r) => (r.celsius >= 37.3 ? 'taken' : undefined) });
    await drive(t.sim.measure(36.6));
    await drive(t.sim.measure(38.2));
    await vi.advanceTimersByTimeAsync(5);
    expect(t.recorded.map((r) => [r.celsius, r.remeasure])).toEqual([
      [36.6, undefined],
      [38.2, 'taken'],
    ]);
    const logged = t.log.lines().filter((l) => l.ns === 'gw:driver:thermo-north' && l.level === 30);
    expect(logged.map((l) => [l.msg, l.celsius, l.remeasure])).toEqual([
      ['handheld reading recorded', 36.6, 'none'],
      ['handheld re-measure recorded', 38.2, 'taken'],
    ]);
  });

  it('refuses surface readings, Lo/Hi/Err, garbage, over-long and cut-off lines: counted and logged, never a reading', async () => {
    const t = await rig({ format: 'prefixed' });
    await drive(t.sim.surface(33.0));
    await drive(t.sim.status('lo'));
    await drive(t.sim.status('hi'));
    await drive(t.sim.status('error'));
    await drive(t.sim.garbage(20));
    await drive(t.sim.line('x'.repeat(100)));
    await drive(t.sim.measure(29.0));
    t.bus.inject(Buffer.from('BODY:36.')); // the device stops mid-line
    await vi.advanceTimersByTimeAsync(150);
    await drive(t.sim.measure(36.7));
    await vi.advanceTimersByTimeAsync(5);

    expect(t.celsius()).toEqual([36.7]);
    expect(t.thermometer.counters).toEqual({ readings: 1, refused: 8, reconnects: 0 });
    expect(t.thermometer.refusals).toEqual({
      'not-body': 1,
      low: 1,
      high: 1,
      'device-error': 1,
      unrecognised: 1,
      'too-long': 1,
      'out-of-range': 1,
      incomplete: 1,
    });
    const refused = t.log.lines().filter((l) => l.msg === 'thermometer line refused: not a reading');
    expect(refused).toHaveLength(8);
    expect(refused.every((l) => l.level === 20)).toBe(true);
    expect(refused[0]).toMatchObject({ reason: 'not-body', line: 'SURFACE:33.0℃' });
    expect(t.lane.alarms).toEqual([]);
  });

  it('reads through injected line noise', async () => {
    const t = await rig({ noise: 1, format: 'fahrenheit' });
    for (const c of [36.1, 36.2, 36.3]) await drive(t.sim.measure(c));
    await vi.advanceTimersByTimeAsync(5);
    expect(t.celsius()).toEqual([36.1, 36.2, 36.3]);
    expect(t.sim.counters.garbage).toBe(3);
    expect(t.thermometer.counters.refused).toBe(3);
  });

  it('reads a custom format', async () => {
    const t = await rig({ thermometer: { lines: { format: /^TMP,(\d+\.\d),OK$/u, unit: 'F' } } });
    await drive(t.sim.line('TMP,98.1,OK'));
    await drive(t.sim.line('36.6'));
    await vi.advanceTimersByTimeAsync(5);
    expect(t.celsius()).toEqual([36.7]);
    expect(t.thermometer.refusals).toEqual({ unrecognised: 1 });
  });

  it('logs a reading the journal refused and goes on reading', async () => {
    const t = await rig();
    t.lane.control.fail = true;
    await drive(t.sim.measure(36.6));
    await drive(t.sim.measure(36.8));
    await vi.advanceTimersByTimeAsync(5);
    expect(t.celsius()).toEqual([36.8]);
    expect(t.recorded.map((r) => r.celsius)).toEqual([36.8]);
    expect(t.log.lines().find((l) => l.msg === 'could not journal a handheld reading')).toMatchObject({
      level: 50,
      celsius: 36.6,
      err: { message: 'journal full' },
    });
  });

  it('turns link changes into device states and one DEVICE_OFFLINE per outage', async () => {
    const t = await rig();
    t.host.unplug();
    await vi.advanceTimersByTimeAsync(550); // several failed reopen attempts: still one alarm
    t.host.plugIn();
    await vi.advanceTimersByTimeAsync(150);
    await drive(t.sim.measure(36.6));
    await vi.advanceTimersByTimeAsync(5);
    expect(t.celsius()).toEqual([36.6]);
    t.host.unplug();
    await vi.advanceTimersByTimeAsync(50);

    expect(t.lane.states).toEqual([
      'thermo-north online @north-ped-in',
      'thermo-north offline host disconnected @north-ped-in',
      'thermo-north online @north-ped-in',
      'thermo-north offline host disconnected @north-ped-in',
    ]);
    const alarm = {
      code: 'DEVICE_OFFLINE',
      severity: 'warning',
      deviceId: 'thermo-north',
      laneId: 'north-ped-in',
      detail: { reason: 'host disconnected' },
    };
    expect(t.lane.alarms).toEqual([alarm, alarm]);
    expect(t.thermometer.counters.reconnects).toBe(1);
  });

  it('drops a line cut off by an unplug rather than completing it with bytes after the replug', async () => {
    const t = await rig();
    t.bus.inject(Buffer.from('BODY:3'));
    await vi.advanceTimersByTimeAsync(1);
    t.host.unplug();
    t.host.plugIn();
    await vi.advanceTimersByTimeAsync(150);
    t.bus.inject(Buffer.from('6.6\r\n'));
    await vi.advanceTimersByTimeAsync(5);
    expect(t.celsius()).toEqual([]);
    expect(t.thermometer.refusals).toEqual({ 'out-of-range': 1 });
  });

  it('stop() removes exactly its listeners', async () => {
    const t = await rig();
    const other: number[] = [];
    t.thermometer.on('reading', (r) => other.push(r.celsius));
    t.adapter.stop();
    await drive(t.sim.measure(36.6));
    await vi.advanceTimersByTimeAsync(5);
    expect(t.lane.readings).toEqual([]);
    expect(other).toEqual([36.6]);
  });
});
