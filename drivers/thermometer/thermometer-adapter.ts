import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { RemeasureMark, TemperatureReading } from '../../gateway/rules/types.js';
import { AlarmLatch } from '../shared/alarm-latch.js';
import type { LanePort, ReadingPort } from '../shared/lane-port.js';
import type { HandheldReading, LineRefusal, Thermometer, ThermometerEvents } from './thermometer.js';

export interface ThermometerAdapterConfig {
  /** Device id from the configuration: the reading's source in the journal. */
  deviceId: string;
  /** The lane where the operator uses the thermometer: its readings count there. */
  laneId: string;
}

export interface ThermometerAdapterEvents {
  /** A reading as journaled, with the re-measure mark the checkpoint gave it. */
  recorded: [reading: TemperatureReading];
}

/** The log message for what the checkpoint made of a handheld reading. */
const MARK_MESSAGES: Readonly<Record<RemeasureMark | 'none', string>> = {
  none: 'handheld reading recorded',
  required: 'handheld reading recorded: re-measure asked for',
  waiting: 'handheld reading recorded while waiting for the camera re-measure: not counted',
  taken: 'handheld re-measure recorded',
};

/**
 * The lane-facing side of a handheld thermometer (serial or USB-serial): each reading becomes a
 * `handheld` TemperatureReading on the lane through `ReadingPort.reading`, which journals it and
 * marks it (docs/rules.md, "Re-measure before FEVER": with a high camera reading pending it is
 * the re-measure, `taken`). The mask is not told (`null`): a thermometer does not see one.
 *
 * Link changes become device states; going offline raises DEVICE_OFFLINE once per outage (an
 * AlarmLatch cleared when the device is back). The alarm is a `warning`, not `critical` as for a
 * scanner or camera: no pass waits on this device, since the operator can still enter the
 * re-measure by hand (`gatewarden reading <lane> <celsius> --handheld`).
 *
 * A refused line (surface mode, `Lo`/`Hi`/`Err`, noise) is never a reading: logged at debug
 * with its reason and text (a temperature is not personal), and counted by the driver.
 */
export class ThermometerAdapter extends EventEmitter<ThermometerAdapterEvents> {
  private readonly alarms: AlarmLatch;
  private readonly removers: (() => void)[] = [];

  constructor(
    private readonly config: ThermometerAdapterConfig,
    private readonly thermometer: Thermometer,
    private readonly port: LanePort & ReadingPort,
    private readonly log: Logger,
  ) {
    super();
    this.alarms = new AlarmLatch(port, { deviceId: config.deviceId, laneId: config.laneId });
  }

  /** Subscribes to the thermometer (which the host starts and stops); `stop()` removes exactly these listeners. */
  start(): void {
    this.listen('reading', (reading) => this.onReading(reading));
    this.listen('refused', (refusal) => this.onRefused(refusal));
    this.listen('online', () => {
      this.port.deviceState(this.config.deviceId, 'online', undefined, this.config.laneId);
      this.alarms.clear('offline');
    });
    this.listen('offline', (reason) => {
      this.port.deviceState(this.config.deviceId, 'offline', reason, this.config.laneId);
      this.alarms.raise('offline', 'DEVICE_OFFLINE', 'warning', { reason });
    });
  }

  stop(): void {
    for (const remove of this.removers.splice(0)) remove();
  }

  private onReading(reading: HandheldReading): void {
    let recorded: TemperatureReading;
    try {
      recorded = this.port.reading(
        this.config.laneId,
        // The journal keeps whole milliseconds; the clock may give fractions.
        { at: Math.round(reading.at), celsius: reading.celsius, mask: null, instrument: 'handheld' },
        this.config.deviceId,
      );
    } catch (err) {
      // Not journaled, so it counts for nothing: the operator measures again (or types it in).
      this.log.error({ err, celsius: reading.celsius }, 'could not journal a handheld reading');
      return;
    }
    const mark = recorded.remeasure ?? 'none';
    this.log.info({ celsius: recorded.celsius, remeasure: mark }, MARK_MESSAGES[mark]);
    this.emit('recorded', recorded);
  }

  private onRefused(refusal: LineRefusal): void {
    this.log.debug(
      {
        reason: refusal.reason,
        length: refusal.length,
        ...(refusal.text === undefined ? {} : { line: refusal.text }),
      },
      'thermometer line refused: not a reading',
    );
  }

  private listen<K extends keyof ThermometerEvents>(
    event: K,
    listener: (...args: ThermometerEvents[K]) => void,
  ): void {
    // EventEmitter<T>'s overloads do not narrow a generic K; the cast keeps the call typed here.
    const plain = this.thermometer as unknown as EventEmitter;
    const wrapped = listener as (...args: unknown[]) => void;
    plain.on(event, wrapped);
    this.removers.push(() => plain.off(event, wrapped));
  }
}
