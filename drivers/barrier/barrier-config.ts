/**
 * One vehicle lane's barrier on a relay/IO board: which coils pulse the gate controller's dry
 * contacts and which of the board's polled discrete inputs (indexes into the session's input
 * block) carry the loop detector, the limit switches and the fire input; and the timings.
 */
export interface BarrierConfig {
  /** Device id from the configuration: names the barrier in the journal and on the dashboard. */
  deviceId: string;
  laneId: string;
  /** Coil addresses (0-based, as on the wire) wired to OPEN, CLOSE and optionally STOP. */
  coils: { open: number; close: number; stop?: number };
  /**
   * Input indexes. `loop` is the safety loop under and just past the arm (the arm must never come
   * down on it); `fire` an optional fire-alarm panel contact on this board.
   */
  inputs: { loop: number; upLimit: number; downLimit: number; fire?: number };
  timing?: Partial<BarrierTiming>;
}

export interface BarrierTiming {
  /** How long a relay holds a contact closed; controllers want a 0.5–1 s closure. */
  pulseMs: number;
  /** After the last permitted vehicle has left the loop, wait this long before lowering. */
  settleMs: number;
  /** The arm must reach its limit this long after a command's closure began, or BARRIER_STUCK. */
  travelTimeoutMs: number;
  /** A raise that no vehicle drives through is lowered after this long (the driver turned away). */
  passTimeoutMs: number;
}

export const DEFAULT_BARRIER_TIMING: BarrierTiming = {
  pulseMs: 500,
  settleMs: 1000,
  travelTimeoutMs: 10_000,
  passTimeoutMs: 30_000,
};

/** Throws RangeError naming the first setting out of range or the first coil used twice. */
export function checkBarrierConfig(config: BarrierConfig, timing: BarrierTiming): void {
  const coils = [config.coils.open, config.coils.close, config.coils.stop].filter((c) => c !== undefined);
  if (new Set(coils).size !== coils.length) throw new RangeError(`${config.deviceId}: a coil is wired twice`);
  for (const [name, value] of Object.entries({ ...config.coils, ...config.inputs })) {
    if (!(Number.isInteger(value) && value >= 0 && value <= 0xffff))
      throw new RangeError(`${config.deviceId}: ${name} ${value} is not an address`);
  }
  for (const [name, value] of Object.entries(timing)) {
    if (!(Number.isFinite(value) && value >= 0))
      throw new RangeError(`${config.deviceId}: ${name} ${value} ms`);
  }
  if (timing.pulseMs <= 0) throw new RangeError(`${config.deviceId}: pulseMs must be > 0`);
}
