import type { DeviceAlarm, LaneActuator, LanePort, ReadingPort } from '../../drivers/shared/lane-port.js';
import type { JournalEntry } from '../journal/events.js';
import { createLogger, type Logger } from '../logging.js';
import { StationDesk } from '../patrol/station-desk.js';
import type { Decision, PresentedCredential, TemperatureReading } from '../rules/types.js';
import type { Site } from '../site.js';

/**
 * Told, after the lane's actuators got a decision, of the lane, the decision and the request's
 * time (epoch ms): the card-to-unlock metric. Must not throw (a throw is swallowed).
 */
export type DispatchObserver = (laneId: string, decision: Decision, requestAt: number) => void;

/**
 * The LanePort every device adapter uses, over the site's checkpoint and journal. Device
 * states are journaled on change only, so a flapping link does not flood the journal with
 * repeats of the same state.
 */
export class SiteLanePort implements LanePort, ReadingPort {
  private readonly states = new Map<string, string>();
  private readonly fireListeners: ((active: boolean) => void)[] = [];
  private readonly actuators = new Map<string, LaneActuator[]>();
  private dispatchObserver: DispatchObserver | undefined;
  /** Readers placed at a station (patrol point, guardhouse) rather than a lane: gateway/patrol. */
  readonly stations: StationDesk;

  constructor(
    private readonly site: Site,
    private readonly log: Logger = createLogger({ level: 'silent' }),
  ) {
    // Unit tests hand in a bare Site (a checkpoint only): it has no configuration, so no stations.
    this.stations = new StationDesk(site, site.config?.stations ?? [], log);
  }

  /**
   * Decides and journals; then every actuator of the lane other than the reading device (which
   * acts on its own decision) gets the decision: the door opens for an ID card read beside it.
   * A credential read at a station goes to the station desk instead: journaled as a patrol tap
   * or a duty log-in, never decided, never handed to an actuator, never a pass.
   */
  present(laneId: string, credential: PresentedCredential, source: string): Decision {
    if (this.stations.has(laneId)) return this.stations.tap(laneId, credential, source);
    const { decision, entry } = this.site.checkpoint.present({ laneId, credential });
    for (const actuator of this.actuators.get(laneId) ?? []) {
      if (actuator.deviceId !== source) actuator.actuate(decision);
    }
    if (this.dispatchObserver !== undefined) {
      try {
        this.dispatchObserver(laneId, decision, entry.payload.request.at);
      } catch {
        // Metrics never stand between a decision and its gate.
      }
    }
    return decision;
  }

  preview(laneId: string, credential: PresentedCredential): Decision | undefined {
    if (this.stations.has(laneId)) return undefined;
    return this.site.checkpoint.preview({ laneId, credential });
  }

  reading(laneId: string, reading: TemperatureReading, source: string): TemperatureReading {
    return this.site.checkpoint.reading(laneId, reading, source).payload.reading;
  }

  /** Sets (or, with undefined, removes) the one dispatch observer. */
  onDispatch(observer: DispatchObserver | undefined): void {
    this.dispatchObserver = observer;
  }

  /**
   * Hands a decision made without a device (a remote open from upstream, already journaled) to
   * every actuator of the lane.
   */
  actuate(laneId: string, decision: Decision): void {
    for (const actuator of this.actuators.get(laneId) ?? []) actuator.actuate(decision);
  }

  addActuator(laneId: string, actuator: LaneActuator): void {
    const list = this.actuators.get(laneId) ?? [];
    list.push(actuator);
    this.actuators.set(laneId, list);
  }

  alarm(alarm: DeviceAlarm): void {
    const payload: {
      code: DeviceAlarm['code'];
      severity: DeviceAlarm['severity'];
      laneId?: string;
      detail: Record<string, string | number>;
    } = {
      code: alarm.code,
      severity: alarm.severity,
      detail: { ...alarm.detail, device: alarm.deviceId },
    };
    if (alarm.laneId !== undefined) payload.laneId = alarm.laneId;
    this.journalDeviceEvent('alarm', payload);
  }

  deviceState(
    deviceId: string,
    state: 'online' | 'offline' | 'error',
    detail?: string,
    laneId?: string,
  ): void {
    if (this.states.get(deviceId) === state) return;
    this.states.set(deviceId, state);
    const payload: { deviceId: string; state: typeof state; laneId?: string; detail?: string } = {
      deviceId,
      state,
    };
    if (laneId !== undefined) payload.laneId = laneId;
    if (detail !== undefined) payload.detail = detail;
    this.journalDeviceEvent('device', payload);
  }

  /**
   * Through the checkpoint's outage buffer, so a door forced open while the disk is full is held
   * and lands in order. What cannot be recorded (past the buffer's bound, another failure) is
   * logged, never thrown at the device layer: a driver's event handler is no place for it.
   */
  private journalDeviceEvent<T extends 'alarm' | 'device'>(
    type: T,
    payload: JournalEntry<T>['payload'],
  ): void {
    try {
      this.site.checkpoint.recordDeviceEvent(type, payload);
    } catch (err) {
      const what = 'code' in payload ? payload.code : payload.state;
      const device = 'deviceId' in payload ? payload.deviceId : payload.detail?.device;
      this.log.error({ err, type, what, device }, 'device event not journaled');
    }
  }

  fire(active: boolean, source: string): void {
    if (this.site.checkpoint.setFire(active, source) === undefined) return;
    for (const listener of this.fireListeners) listener(active);
  }

  fireActive(): boolean {
    return this.site.checkpoint.fireActive;
  }

  /** Called when the fire state changes, whoever changed it (a device input here, or the CLI). */
  onFire(listener: (active: boolean) => void): void {
    this.fireListeners.push(listener);
  }

  /** Tells the listeners about a fire change that arrived through the journal from elsewhere. */
  notifyFire(active: boolean): void {
    for (const listener of this.fireListeners) listener(active);
  }
}
