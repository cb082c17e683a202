import type { Decision } from '../../gateway/rules/types.js';
import type { LaneActuator } from '../shared/lane-port.js';
import type { DeviceReport } from './device-events.js';
import { MqttDevice, type MqttDeviceDeps, type MqttDeviceSettings } from './mqtt-device.js';

export interface ContactSettings extends MqttDeviceSettings {
  kind: 'contact';
  /** How long the door may stay open after its release before DOOR_HELD_OPEN. */
  heldOpenMs: number;
}

export interface ContactDeps extends MqttDeviceDeps {
  /** Whether the door's lock is open now, when the lock is an MQTT device the gateway knows. */
  lockReleased?: () => boolean;
}

/** Tolerance for a contact that reports open just after the release ends (as the OSDP door has). */
const FORCED_GRACE_MS = 1000;

/**
 * A door contact (a Zigbee contact sensor, a Tasmota switch input, a JSON sensor) at a lane,
 * with the OSDP door's alarms (drivers/osdp/door-adapter.ts): DOOR_FORCED_OPEN when the door
 * opens while nothing released it, DOOR_HELD_OPEN when it stays open past its release plus
 * `heldOpenMs`. It learns the releases as an actuator of its lane (every pass decision there,
 * whichever lock acted on it), from the fire alarm, and from its MQTT lock if it has one
 * (`lockReleased`: a lock opened by its key or keypad is not forced).
 *
 * A retained state only sets the door's state: it may be old, and a door found open is not
 * "forced" by the gateway having been away. A live state is news: Zigbee2MQTT, Tasmota and
 * plain devices publish a contact when it changes, so a live "open" is an opening, also as the
 * first message heard (the sensor's birth message was published before the gateway listened).
 */
export class ContactDevice extends MqttDevice implements LaneActuator {
  private releasedUntil = Number.NEGATIVE_INFINITY;
  private siteFire = false;
  private doorOpen: boolean | undefined;
  private heldTimer: unknown;

  constructor(
    override readonly settings: ContactSettings,
    private readonly contactDeps: ContactDeps,
  ) {
    super(settings, contactDeps);
  }

  /** The door as last reported: open, closed, or unknown (nothing heard since start or an outage). */
  get door(): 'open' | 'closed' | 'unknown' {
    return this.doorOpen === undefined ? 'unknown' : this.doorOpen ? 'open' : 'closed';
  }

  actuate(decision: Decision): void {
    if (!decision.allow) return;
    for (const action of decision.actions) {
      if (action.type !== 'unlock') continue;
      this.releasedUntil = Math.max(this.releasedUntil, this.clock.now() + action.durationMs);
    }
  }

  setFire(active: boolean): void {
    this.siteFire = active;
    if (active) this.clearHeld();
  }

  protected override onReport(report: DeviceReport, live: boolean): void {
    if (report.open === undefined) return;
    if (!live) {
      this.doorOpen = report.open;
      return;
    }
    if (report.open === this.doorOpen) return;
    this.doorOpen = report.open;
    this.log.info({ door: this.door }, report.open ? 'door opened / 门已打开' : 'door closed / 门已关闭');
    this.clearHeld();
    if (report.open) this.opened();
  }

  protected override onReachable(online: boolean, _wasOffline: boolean): void {
    if (online) return;
    this.doorOpen = undefined;
    this.clearHeld();
  }

  protected override stopped(): void {
    this.clearHeld();
  }

  private opened(): void {
    const now = this.clock.now();
    const released =
      this.fireActive() ||
      now <= this.releasedUntil + FORCED_GRACE_MS ||
      this.contactDeps.lockReleased?.() === true;
    const ids = { deviceId: this.deviceId, laneId: this.settings.laneId };
    if (!released) {
      this.port.alarm({ code: 'DOOR_FORCED_OPEN', severity: 'critical', ...ids, detail: {} });
      return;
    }
    const heldOpenMs = this.settings.heldOpenMs;
    const deadline = Math.max(now, this.releasedUntil) + heldOpenMs;
    this.heldTimer = this.clock.setTimeout(() => {
      this.heldTimer = undefined;
      if (this.doorOpen === true && !this.fireActive())
        this.port.alarm({
          code: 'DOOR_HELD_OPEN',
          severity: 'warning',
          ...ids,
          detail: { heldMs: heldOpenMs },
        });
    }, deadline - now);
  }

  private fireActive(): boolean {
    return this.siteFire || this.port.fireActive();
  }

  private clearHeld(): void {
    if (this.heldTimer !== undefined) this.clock.clearTimeout(this.heldTimer);
    this.heldTimer = undefined;
  }
}
