import type { BarrierConfig } from './barrier-config.js';

/** The barrier's four inputs as the adapter reads them from the board's polled block. */
export interface BarrierInputs {
  loop: boolean;
  up: boolean;
  down: boolean;
  fire: boolean;
}

export type CoilRole = 'open' | 'close' | 'stop';

export interface BarrierStatus {
  online: boolean;
  /** What the adapter last commanded: the arm should be heading there. */
  commanded?: 'up' | 'down';
  /** Permitted vehicles that have not yet crossed the loop. */
  passes: number;
  fire: boolean;
  inputs?: BarrierInputs;
}

export interface BarrierAdapterEvents {
  /** A relay closure was commanded (the coil turned on), with why. */
  command: [info: { role: CoilRole; reason: string; at: number }];
  /** The guard refused to lower, with why (loop occupied, fire, a pass pending, state unknown). */
  guard: [info: { reason: string; at: number }];
}

/**
 * The barrier's inputs out of the board's block. An input the block does not hold (a wiring
 * that names an input outside the polled range) reads as its safe value: the loop as occupied.
 */
export function parseInputs(wiring: BarrierConfig['inputs'], values: readonly boolean[]): BarrierInputs {
  const at = (index: number | undefined, safe: boolean) =>
    index === undefined ? false : (values[index] ?? safe);
  return {
    loop: at(wiring.loop, true),
    up: at(wiring.upLimit, false),
    down: at(wiring.downLimit, false),
    fire: at(wiring.fire, false),
  };
}

export function armPosition(inputs: BarrierInputs | undefined): 'up' | 'down' | 'between' | 'unknown' {
  if (!inputs) return 'unknown';
  return inputs.up ? 'up' : inputs.down ? 'down' : 'between';
}
