import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { CameraAdapter, type CameraAdapterConfig } from '../../drivers/onvif/camera-adapter.js';
import type { CameraObservation } from '../../drivers/onvif/observations.js';
import type { DeviceAlarm, LanePort, ReadingPort } from '../../drivers/shared/lane-port.js';
import type { Decision, PresentedCredential, TemperatureReading } from '../../gateway/rules/types.js';
import { ManualClock } from '../helpers/manual-clock.js';

class Port implements LanePort, ReadingPort {
  readonly readings: TemperatureReading[] = [];
  readonly presented: PresentedCredential[] = [];
  readonly alarms: DeviceAlarm[] = [];
  readonly states: string[] = [];
  failReadings = false;
  reading(_laneId: string, reading: TemperatureReading): TemperatureReading {
    if (this.failReadings) throw new Error('disk full');
    this.readings.push(reading);
    return reading;
  }
  present(_laneId: string, credential: PresentedCredential): Decision {
    this.presented.push(credential);
    return decision([]);
  }
  alarm(alarm: DeviceAlarm): void {
    this.alarms.push(alarm);
  }
  deviceState(_id: string, state: string): void {
    this.states.push(state);
  }
  fire(): void {}
  fireActive(): boolean {
    return false;
  }
}

function decision(denies: string[]): Decision {
  return {
    allow: denies.length === 0,
    reasons: denies.map((code) => ({ effect: 'deny', code })),
    subject: { kind: 'unknown' },
    direction: 'in',
    actions: [],
  } as unknown as Decision;
}

const CONFIG: CameraAdapterConfig = {
  deviceId: 'cam',
  laneId: 'north-ped-in',
  kind: 'thermal',
  maskWindowMs: 3000,
  silentAfterMs: 30_000,
  maxClockSkewMs: 5000,
};

function adapter(config: Partial<CameraAdapterConfig> = {}) {
  const clock = new ManualClock(1_000_000);
  const port = new Port();
  const a = new CameraAdapter({ ...CONFIG, ...config }, port, clock, pino({ level: 'silent' }));
  return { a, port, clock };
}

const temp = (celsius: number, objectId?: string): CameraObservation =>
  objectId === undefined
    ? { kind: 'temperature', celsius, topic: 't' }
    : { kind: 'temperature', celsius, objectId, topic: 't' };
const mask = (seen: boolean, objectId?: string): CameraObservation =>
  objectId === undefined ? { kind: 'mask', mask: seen } : { kind: 'mask', mask: seen, objectId };

describe('CameraAdapter', () => {
  it('joins a mask to the temperature of the same object, and not to another person', () => {
    const { a, port } = adapter();
    a.observations([mask(false, '7'), temp(36.6, '7')], 1000);
    a.observations([mask(true, '8'), temp(36.7, '9')], 2000);
    expect(port.readings.map((r) => [r.celsius, r.mask, r.at])).toEqual([
      [36.6, false, 1000],
      [36.7, null, 2000],
    ]);
  });

  it('joins a mask without object ids only within the window, and only once', () => {
    const { a, port } = adapter();
    a.observations([mask(true)], 1000);
    a.observations([temp(36.5)], 3500);
    a.observations([temp(36.5)], 3600);
    a.observations([mask(true)], 10_000);
    a.observations([temp(36.5)], 13_001);
    expect(port.readings.map((r) => r.mask)).toEqual([true, null, null]);
  });

  it('a plate camera presents plates and ignores temperatures; a thermal camera the other way round', () => {
    const plate = adapter({ kind: 'plate' });
    plate.a.observations([{ kind: 'plate', plate: '京A01234' }, temp(36.5)], 1);
    expect(plate.port.presented).toEqual([{ kind: 'plate', value: '京A01234' }]);
    expect(plate.port.readings).toEqual([]);
    const thermal = adapter();
    thermal.a.observations([{ kind: 'plate', plate: '京A01234' }, temp(36.5)], 1);
    expect(thermal.port.presented).toEqual([]);
    expect(thermal.port.readings).toHaveLength(1);
  });

  it('raises CAMERA_SILENT once when people are refused for want of a reading the camera should give', () => {
    const { a, port, clock } = adapter();
    a.state('online', undefined);
    a.actuate(decision(['TEMPERATURE_REQUIRED']));
    expect(port.alarms).toEqual([]);
    clock.advance(31_000);
    a.actuate(decision(['UNKNOWN_CREDENTIAL']));
    expect(port.alarms).toEqual([]);
    a.actuate(decision(['TEMPERATURE_REQUIRED']));
    a.actuate(decision(['TEMPERATURE_REQUIRED']));
    expect(port.alarms.map((x) => [x.code, x.detail?.silentSeconds])).toEqual([['CAMERA_SILENT', 31]]);
    // A reading ends the silence; the next silence is reported again.
    a.observations([temp(36.5)], clock.now());
    clock.advance(31_000);
    a.actuate(decision(['TEMPERATURE_REQUIRED']));
    expect(port.alarms.map((x) => x.code)).toEqual(['CAMERA_SILENT', 'CAMERA_SILENT']);
  });

  it('leaves silence to DEVICE_OFFLINE while the camera is offline', () => {
    const { a, port, clock } = adapter();
    a.state('online', undefined);
    a.state('offline', 'no answer for 6 s');
    clock.advance(60_000);
    a.actuate(decision(['TEMPERATURE_REQUIRED']));
    expect(port.alarms.map((x) => x.code)).toEqual(['DEVICE_OFFLINE']);
    expect(port.states).toEqual(['online', 'offline']);
  });

  it('alarms a clock off by more than allowed once, and again after it was fixed and drifted off', () => {
    const { a, port } = adapter();
    a.clockOffset(4000);
    a.clockOffset(-6000);
    a.clockOffset(-7000);
    a.clockOffset(1000);
    a.clockOffset(9000);
    expect(port.alarms.map((x) => [x.code, x.severity, x.detail?.offsetSeconds])).toEqual([
      ['CAMERA_CLOCK_SKEW', 'warning', -6],
      ['CAMERA_CLOCK_SKEW', 'warning', 9],
    ]);
  });

  it('a reading the journal refuses is lost to the lane, and the adapter goes on', () => {
    const { a, port } = adapter();
    port.failReadings = true;
    expect(() => a.observations([temp(36.5)], 1)).not.toThrow();
    port.failReadings = false;
    a.observations([temp(36.6)], 2);
    expect(port.readings.map((r) => r.celsius)).toEqual([36.6]);
  });
});
