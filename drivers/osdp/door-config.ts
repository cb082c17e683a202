import type { ScanCredentials } from '../shared/code-credentials.js';
import type { WrongCodePolicy } from '../shared/wrong-code-limit.js';
import { OUT_CONTROL } from './messages/codes.js';
import type { OsdpCommand } from './messages/commands.js';

export type LockKind = 'fail-secure' | 'fail-safe';

export interface OsdpDoorConfig {
  /** Device id from the configuration: names the device in the journal and on the dashboard. */
  deviceId: string;
  laneId: string;
  address: number;
  /** Reader number on the PD whose cards and PINs belong to this lane; absent: no reader. */
  reader?: number;
  /**
   * The site's pass layer (gateway/passes): a code typed at the keypad is checked as a scanned
   * one is, so `passes.unsigned: refuse` covers keypads too. Absent: presented as a plain `qr`.
   */
  codes?: ScanCredentials;
  /** The keypad's wrong-code limit (default DEFAULT_WRONG_CODE_POLICY). */
  wrongCodes?: WrongCodePolicy;
  /** Send a pass's unlock commit-gated (OsdpDoorAdapter.decide says how); default true. */
  gatedUnlock?: boolean;
  /** A keypad lock still running when the gateway started (its KEYPAD_LOCKED alarm): epoch ms. */
  keypadLockedUntil?: number;
  door?: DoorConfig;
}

export interface DoorConfig {
  /** Output that drives the lock relay. */
  output: number;
  /**
   * fail-secure (electric strike): energised = released, stays locked without power.
   * fail-safe (magnetic lock): energised = locked, releases without power (fire codes).
   */
  lock: LockKind;
  contactInput?: number;
  /** Request-to-exit button. */
  rexInput?: number;
  /** Fire-alarm panel contact: active releases every lock and raises every barrier. */
  fireInput?: number;
  /** How long the door may stay open after its release before DOOR_HELD_OPEN. */
  heldOpenMs: number;
  /** How long the exit button releases the lock. */
  rexReleaseMs: number;
}

/** OUT that releases the lock for `durationMs`: energises a strike, de-energises a maglock. */
export function releaseCommand(door: DoorConfig, durationMs: number): OsdpCommand {
  const timer100ms = Math.max(1, Math.min(0xffff, Math.round(durationMs / 100)));
  const control = door.lock === 'fail-secure' ? OUT_CONTROL.TEMP_ON : OUT_CONTROL.TEMP_OFF;
  return { type: 'OUT', outputs: [{ output: door.output, control, timer100ms }] };
}

/**
 * The lock's state outside a timed release: secured, or released for good while the fire alarm
 * lasts. Throws for a device without a door.
 */
export function restingOutput(door: DoorConfig | undefined, fire: boolean): OsdpCommand {
  if (!door) throw new Error('no door on this device');
  const energised = door.lock === 'fail-secure' ? fire : !fire;
  const control = energised ? OUT_CONTROL.PERM_ON_ABORT_TIMED : OUT_CONTROL.PERM_OFF_ABORT_TIMED;
  return { type: 'OUT', outputs: [{ output: door.output, control, timer100ms: 0 }] };
}
