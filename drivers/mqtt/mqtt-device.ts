import type { Logger } from 'pino';
import type { BusMessage, MessageBus } from '../../gateway/mqtt/bus.js';
import { AlarmLatch } from '../shared/alarm-latch.js';
import { type Clock, systemClock } from '../shared/clock.js';
import type { LanePort } from '../shared/lane-port.js';
import { AvailabilityTracker, type Reachability } from './availability.js';
import type {
  DecodeResult,
  DeviceCodec,
  DeviceCommand,
  DeviceEvent,
  DeviceReport,
  MqttDeviceKind,
} from './device-events.js';
import { DeviceSubscriptions } from './device-subscriptions.js';
import { MalformedLog } from './malformed-log.js';

export interface MqttDeviceSettings {
  deviceId: string;
  /** Absent for a device of no lane: a contact on a household's door (household-door-device.ts). */
  laneId?: string;
  kind: MqttDeviceKind;
  /** No live message for this long: offline. Absent: availability topics and last wills only. */
  stateTimeoutMs?: number;
}

export interface MqttDeviceDeps {
  bus: MessageBus;
  codec: DeviceCodec;
  port: LanePort;
  log: Logger;
  clock?: Clock;
  /** Told of every change of the device's status (health views, Home Assistant). Must not throw. */
  onStatus?: (status: MqttDeviceStatus) => void;
}

export interface MqttDeviceStatus {
  deviceId: string;
  laneId?: string;
  kind: MqttDeviceKind;
  reachability: Reachability;
  /** The latest value of every field the device reported (retained messages included). */
  report: DeviceReport;
  counters: Readonly<MqttDeviceCounters>;
}

export interface MqttDeviceCounters {
  messages: number;
  malformed: number;
  ignored: number;
  commands: number;
  commandFailures: number;
  subscribeFailures: number;
}

/**
 * One MQTT device on the bus: subscribes to its codec's topics, decodes each message, drops and
 * logs malformed ones (with the device and topic; at most one line a second, the rest counted),
 * follows its availability (AvailabilityTracker) and reports it through the lane port:
 * `deviceState` online/offline (journaled on change), DEVICE_OFFLINE once per outage, and
 * `error` while a lock reports itself jammed. Subclasses act on reports (a door contact) and
 * decisions (a lock). This class alone is a sensor.
 *
 * Isolation: every message is handled inside a try/catch that logs with the device id, so a bug
 * or a hostile payload on one device never reaches the bus, the gateway or another device.
 * Lifecycle (style H5): the constructor stores; `start()` subscribes; `stop()` unsubscribes and
 * clears every timer.
 */
export class MqttDevice {
  protected readonly clock: Clock;
  protected readonly log: Logger;
  protected readonly port: LanePort;
  protected running = false;
  private readonly availability: AvailabilityTracker;
  private readonly alarms: AlarmLatch;
  private readonly subscriptions: DeviceSubscriptions;
  private readonly malformed: MalformedLog;
  private report: DeviceReport = {};
  private jammed = false;
  private wasOffline = false;
  private readonly counters = { messages: 0, ignored: 0, commands: 0, commandFailures: 0 };

  constructor(
    readonly settings: MqttDeviceSettings,
    private readonly deps: MqttDeviceDeps,
  ) {
    this.clock = deps.clock ?? systemClock;
    this.log = deps.log;
    this.port = deps.port;
    const { deviceId, laneId } = settings;
    this.alarms = new AlarmLatch(deps.port, { deviceId, ...(laneId === undefined ? {} : { laneId }) });
    this.subscriptions = new DeviceSubscriptions(deps.bus, this.clock, deps.log, settings.deviceId, (m) =>
      this.onMessage(m),
    );
    this.malformed = new MalformedLog(this.clock, deps.log, settings.deviceId);
    this.availability = new AvailabilityTracker(this.clock, settings.stateTimeoutMs, (online, why) =>
      this.reachabilityChanged(online, why),
    );
  }

  get deviceId(): string {
    return this.settings.deviceId;
  }

  /** Whether the device's codec times a release itself (DeviceCodec.pulses). */
  protected get codecPulses(): boolean {
    return this.deps.codec.pulses;
  }

  /** The latest value of every field the device reported. */
  protected get lastReport(): Readonly<DeviceReport> {
    return this.report;
  }

  get reachability(): Reachability {
    return this.availability.state;
  }

  status(): MqttDeviceStatus {
    const { deviceId, laneId, kind } = this.settings;
    const report = { ...this.report };
    return {
      deviceId,
      laneId,
      kind,
      reachability: this.reachability,
      report,
      counters: {
        ...this.counters,
        malformed: this.malformed.count,
        subscribeFailures: this.subscriptions.failures,
      },
    };
  }

  /** Subscribes to every topic of the device; resolves once each was tried (refusals retry later). */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.availability.start();
    await this.subscriptions.subscribe(this.deps.codec.topics);
  }

  async stop(): Promise<void> {
    this.running = false;
    this.availability.stop();
    this.stopped();
    await this.subscriptions.close();
  }

  /** Publishes the codec's messages for `command`, in order; failures are logged and counted. */
  protected send(command: DeviceCommand, why: string): void {
    const messages = this.deps.codec.encode(command);
    if (messages.length === 0) return;
    this.counters.commands++;
    if (this.reachability === 'offline')
      this.log.warn({ command: command.type, why }, 'commanding an offline device');
    void (async () => {
      for (const m of messages) {
        try {
          await this.deps.bus.publish(m.topic, m.payload, { qos: 1, retain: m.retain });
        } catch (err) {
          this.counters.commandFailures++;
          this.log.warn(
            { err, device: this.deviceId, topic: m.topic, why },
            'command not published / 命令发送失败',
          );
          return;
        }
      }
      this.log.debug({ command: command.type, why }, 'command sent');
    })();
  }

  /** A report, after the common fields were taken in; `live` is false for a retained message. */
  protected onReport(_report: DeviceReport, _live: boolean): void {}
  /**
   * The device became reachable or unreachable (already reported to the lane port); `wasOffline`:
   * it had been known offline before (not merely unknown, as before the first message).
   */
  protected onReachable(_online: boolean, _wasOffline: boolean): void {}
  /** Called by stop(): subclasses clear their timers here. */
  protected stopped(): void {}

  protected notify(): void {
    try {
      this.deps.onStatus?.(this.status());
    } catch (err) {
      this.log.error({ err }, 'status observer failed');
    }
  }

  private onMessage(message: BusMessage): void {
    if (!this.running) return;
    this.counters.messages++;
    try {
      const result: DecodeResult = this.deps.codec.decode(message.topic, message.payload);
      if (result.kind === 'malformed') {
        this.malformed.drop(message, result.reason);
        return;
      }
      if (result.kind === 'ignored') {
        this.counters.ignored++;
        return;
      }
      for (const event of result.events) this.apply(event, !message.retain);
      this.notify();
    } catch (err) {
      this.log.error(
        { err, device: this.deviceId, topic: message.topic },
        'message handling failed; dropped',
      );
    }
  }

  private apply(event: DeviceEvent, live: boolean): void {
    if (event.type === 'availability') {
      this.availability.declare(event.scope, event.online);
      return;
    }
    if (live) this.availability.heard();
    const { readings, ...fields } = event.report;
    this.report = { ...this.report, ...fields, ...(readings ? { readings } : {}) };
    if (event.report.lock !== undefined) this.lockReported(event.report.lock === 'jammed');
    if (event.report.tamper === true && live)
      this.alarms.raise('tamper', 'DEVICE_TAMPER', 'critical', { reason: 'tamper reported' });
    if (event.report.tamper === false) this.alarms.clear('tamper');
    this.onReport(event.report, live);
  }

  private lockReported(jammed: boolean): void {
    if (jammed === this.jammed) return;
    this.jammed = jammed;
    const { deviceId, laneId } = this.settings;
    if (jammed) this.port.deviceState(deviceId, 'error', 'lock jammed / 门锁卡住', laneId);
    else if (this.reachability === 'online')
      this.port.deviceState(deviceId, 'online', 'lock free again', laneId);
  }

  private reachabilityChanged(online: boolean, why: string): void {
    const { deviceId, laneId } = this.settings;
    const wasOffline = this.wasOffline;
    this.wasOffline = !online;
    if (online) {
      this.alarms.clear('offline');
      this.port.deviceState(deviceId, this.jammed ? 'error' : 'online', why, laneId);
      this.log.info({ why }, 'device online / 设备上线');
    } else {
      this.port.deviceState(deviceId, 'offline', why, laneId);
      this.alarms.raise('offline', 'DEVICE_OFFLINE', 'critical', { reason: why });
      this.log.warn({ why }, 'device offline / 设备离线');
    }
    this.onReachable(online, wasOffline);
    this.notify();
  }
}
