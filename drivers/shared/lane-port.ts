import type { AlarmCode } from '../../gateway/journal/events.js';
import type { Decision, PresentedCredential, TemperatureReading } from '../../gateway/rules/types.js';

export interface DeviceAlarm {
  code: AlarmCode;
  severity: 'warning' | 'critical';
  deviceId: string;
  laneId?: string;
  detail?: Record<string, string | number>;
}

/**
 * What a device adapter may ask of the gateway. The gateway implements it over the checkpoint
 * and the journal; tests implement it over a fixture site. Every method journals before it
 * returns, so an adapter actuates only what is already durable.
 */
export interface LanePort {
  /**
   * A credential read at a lane: decided, journaled, returned. The adapter actuates exactly the
   * decision's actions. Never throws for a bad credential (that is a deny); throws only when the
   * journal cannot take the decision, and then nothing may be actuated.
   */
  present(laneId: string, credential: PresentedCredential, source: string): Decision;
  /**
   * What `present` would decide now, recording nothing: lets a device start an actuation that
   * it completes only after `present` has journaled the same decision (an OSDP unlock whose
   * command is on the wire while the decision is made durable). Undefined where nothing is
   * decided (a patrol station); absent on ports that cannot preview.
   */
  preview?(laneId: string, credential: PresentedCredential, source: string): Decision | undefined;
  alarm(alarm: DeviceAlarm): void;
  /** The device's link state changed (online, offline, or reachable but unusable). */
  deviceState(
    deviceId: string,
    state: 'online' | 'offline' | 'error',
    detail?: string,
    laneId?: string,
  ): void;
  /** A fire-alarm input changed. */
  fire(active: boolean, source: string): void;
  /** Whether the site's fire alarm is active now (every lock released, every barrier up). */
  fireActive(): boolean;
}

/**
 * Something that acts on a lane's decisions: a door lock with its reader's lights, a barrier.
 * A device acts on the decisions for its own reads itself; the gateway hands it, through this,
 * the decisions for credentials other devices read at the same lane (an ID card or a QR code
 * at a door that an OSDP module locks).
 */
export interface LaneActuator {
  readonly deviceId: string;
  /** Called after the decision was journaled. Must not throw; failures are the device's to report. */
  actuate(decision: Decision): void;
}

/**
 * Where a thermometer (a thermal camera, a handheld one) hands its readings: journaled before
 * this returns, and returned as journaled, with the re-measure mark the checkpoint gave it.
 */
export interface ReadingPort {
  reading(laneId: string, reading: TemperatureReading, source: string): TemperatureReading;
}
