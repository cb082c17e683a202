import type { DeviceReport } from './device-events.js';
import { MqttDevice, type MqttDeviceDeps, type MqttDeviceSettings } from './mqtt-device.js';

export interface HouseholdDoorSettings extends MqttDeviceSettings {
  kind: 'contact';
  /** How long the door may stay open (a delivery taken in) before the port hears `openPastGrace`. */
  graceMs: number;
}

/**
 * Where a household door reports, for the gateway to judge against the household's quarantine
 * orders (gateway/devices/household-doors.ts); the device itself knows no registry. Called for
 * live messages only (a retained state may be days old). May throw (a journal write failing):
 * the device logs it and goes on.
 */
export interface HouseholdDoorPort {
  /** The door opened, or closed again; `openMs`: how long it was open, when its opening was heard. */
  doorChanged(open: boolean, openMs?: number): void;
  /** The door opened `openMs` ago (the grace) and is still open. */
  openPastGrace(openMs: number): void;
  /** The battery charge the sensor reported, percent (0–100). */
  battery(percent: number): void;
}

export interface HouseholdDoorDeps extends MqttDeviceDeps {
  door: HouseholdDoorPort;
}

/**
 * A door contact on a household's door (home quarantine; a Zigbee contact sensor, a Tasmota
 * switch input, a JSON sensor), on no lane. It times the grace of each opening and reports
 * openings, closings, openings past the grace and battery levels to its HouseholdDoorPort; what
 * is an alarm is the gateway's to decide, against the orders in force at that moment. Its link
 * alarms (DEVICE_OFFLINE, DEVICE_TAMPER) go through the lane port it is built with, as for every
 * MQTT device.
 *
 * As for ContactDevice: a retained state only sets the door's state (a door found open is no
 * opening: it may have been open for days, and the gateway was away), and a live "open" is an
 * opening, also as the first message heard. An outage forgets the door's state and its timer.
 */
export class HouseholdDoorDevice extends MqttDevice {
  private doorOpen: boolean | undefined;
  /** When the current opening was heard live; undefined when closed or its opening was not heard. */
  private openedAt: number | undefined;
  private graceTimer: unknown;

  constructor(
    override readonly settings: HouseholdDoorSettings,
    private readonly doorDeps: HouseholdDoorDeps,
  ) {
    super(settings, doorDeps);
  }

  /** The door as last reported: open, closed, or unknown (nothing heard since start or an outage). */
  get door(): 'open' | 'closed' | 'unknown' {
    return this.doorOpen === undefined ? 'unknown' : this.doorOpen ? 'open' : 'closed';
  }

  protected override onReport(report: DeviceReport, live: boolean): void {
    if (live && report.battery !== undefined) this.doorDeps.door.battery(report.battery);
    if (report.open === undefined) return;
    if (!live) {
      this.doorOpen = report.open;
      if (!report.open) this.forgetOpening();
      return;
    }
    if (report.open === this.doorOpen) return;
    this.doorOpen = report.open;
    this.log.info({ door: this.door }, report.open ? 'door opened / 门已打开' : 'door closed / 门已关闭');
    if (report.open) {
      this.opened();
      return;
    }
    const openMs = this.openedAt === undefined ? undefined : this.clock.now() - this.openedAt;
    this.forgetOpening();
    this.doorDeps.door.doorChanged(false, openMs);
  }

  protected override onReachable(online: boolean, _wasOffline: boolean): void {
    if (online) return;
    this.doorOpen = undefined;
    this.forgetOpening();
  }

  protected override stopped(): void {
    this.forgetOpening();
  }

  private opened(): void {
    this.forgetOpening();
    const openedAt = this.clock.now();
    this.openedAt = openedAt;
    this.graceTimer = this.clock.setTimeout(() => {
      this.graceTimer = undefined;
      if (!this.running || this.doorOpen !== true) return;
      try {
        this.doorDeps.door.openPastGrace(this.clock.now() - openedAt);
      } catch (err) {
        this.log.error({ err, device: this.deviceId }, 'open door past its grace not handled');
      }
    }, this.settings.graceMs);
    this.doorDeps.door.doorChanged(true);
  }

  private forgetOpening(): void {
    if (this.graceTimer !== undefined) this.clock.clearTimeout(this.graceTimer);
    this.graceTimer = undefined;
    this.openedAt = undefined;
  }
}
