import type { Logger } from 'pino';
import type { HalfDuplexLine } from '../../drivers/line/half-duplex-line.js';
import type { ScanCredentials } from '../../drivers/shared/code-credentials.js';
import type { LaneActuator } from '../../drivers/shared/lane-port.js';
import type { Site } from '../site.js';
import type { SiteLanePort } from './site-lane-port.js';

/** What a device family gets to build its devices from: the site, its lines and the lane port. */
export interface DeviceContext {
  site: Site;
  log: Logger;
  port: SiteLanePort;
  line(id: string): HalfDuplexLine;
  /**
   * The site's signed-pass layer, built on the first call and shared: every scanner and keypad
   * checks codes through it. Throws when the pass key files are unusable.
   */
  passCredentials(): ScanCredentials;
}

/**
 * One running part of the device layer (style H5): built by a family's builder, started after
 * every line is open, stopped before the lines close. `setFire` reaches every actuator.
 */
export interface DeviceModule {
  readonly devices: number;
  start(): void;
  stop(): Promise<void>;
  /** Devices that act on their lane's decisions (doors, barriers). */
  actuators?: readonly { laneId: string; actuator: LaneActuator }[];
  setFire?(active: boolean): void;
  /** Link state of each device, for health views and tests. */
  states(): DeviceState[];
}

export interface DeviceState {
  deviceId: string;
  online: boolean;
  /** Round-trip of the last exchange with the device, ms, where the link measures it. */
  roundTripMs?: number;
  /** The link's running counters (replies, timeouts, retries, offline transitions, ...). */
  counters?: Readonly<Record<string, number>>;
}
