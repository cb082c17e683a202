import { HEADER_LENGTH, MARK } from '../../drivers/osdp/framing/constants.js';
import { chance, type RandomSource, randomInt } from '../shared/random.js';

/**
 * Faults a simulated bus can inject, per PD and for the whole bus, switchable at run time.
 * Every probability is drawn from the bus's injected random source, so a seeded test sees the
 * same faults on every run.
 */
export interface FaultSettings {
  /** The PD hears nothing and answers nothing (unplugged, wrong address); its state stands still. */
  silent: boolean;
  /** Probability that a reply is lost on the line after the PD sent it (the PD believes it did). */
  dropReplies: number;
  /** Extra delay before a reply; 300 ms is past the CP's 200 ms reply timeout. 0 = on time. */
  lateReplyMs: number;
  /** Answer BUSY, without processing, to this many next commands. */
  busyNext: number;
  /** Probability of answering BUSY to a command. */
  busyProbability: number;
  /** Probability of flipping one byte after the check was computed (the CP sees a bad check). */
  corruptCheck: number;
}

export const NO_FAULTS: Readonly<FaultSettings> = Object.freeze({
  silent: false,
  dropReplies: 0,
  lateReplyMs: 0,
  busyNext: 0,
  busyProbability: 0,
  corruptCheck: 0,
});

/** Random bytes written onto the line between exchanges, `ratePerSecond` bursts on average. */
export interface NoiseSettings {
  ratePerSecond: number;
  /** Bytes per burst: 1..maxBytes (default 8). */
  maxBytes?: number;
}

/** Throws RangeError naming the first setting out of range. */
export function checkFaults(faults: Partial<FaultSettings>): void {
  for (const key of ['dropReplies', 'busyProbability', 'corruptCheck'] as const) {
    const p = faults[key];
    if (p !== undefined && !(p >= 0 && p <= 1))
      throw new RangeError(`${key} ${p} is not a probability in 0..1`);
  }
  const late = faults.lateReplyMs;
  if (late !== undefined && !(Number.isFinite(late) && late >= 0)) {
    throw new RangeError(`lateReplyMs ${late} is not a duration >= 0`);
  }
  const next = faults.busyNext;
  if (next !== undefined && !(Number.isInteger(next) && next >= 0)) {
    throw new RangeError(`busyNext ${next} is not a count >= 0`);
  }
}

export function checkNoise(noise: NoiseSettings): void {
  if (!(Number.isFinite(noise.ratePerSecond) && noise.ratePerSecond > 0)) {
    throw new RangeError(`noise rate ${noise.ratePerSecond} is not a positive number of bursts per second`);
  }
  const max = noise.maxBytes;
  if (max !== undefined && !(Number.isInteger(max) && max >= 1 && max <= 1024)) {
    throw new RangeError(`noise maxBytes ${max} is not an integer in 1..1024`);
  }
}

/** Both probabilities apply independently: the chance that at least one fires. */
export function either(a: number, b: number): number {
  return 1 - (1 - a) * (1 - b);
}

/**
 * The fault settings of one bus: one entry per PD (keyed by the PD object, so COMSET moving a PD
 * to another address keeps its faults) plus the bus-wide entry that applies to every PD.
 */
export class FaultTable<K> {
  private bus: FaultSettings = { ...NO_FAULTS };
  private readonly own = new Map<K, FaultSettings>();

  constructor(private readonly random: RandomSource) {}

  set(target: K | 'bus', faults: Partial<FaultSettings>): void {
    checkFaults(faults);
    if (target === 'bus') this.bus = { ...this.bus, ...faults };
    else this.own.set(target, { ...(this.own.get(target) ?? NO_FAULTS), ...faults });
  }

  get(target: K | 'bus'): FaultSettings {
    return { ...(target === 'bus' ? this.bus : (this.own.get(target) ?? NO_FAULTS)) };
  }

  clear(target: K | 'bus'): void {
    if (target === 'bus') this.bus = { ...NO_FAULTS };
    else this.own.delete(target);
  }

  /** The PD's faults combined with the bus's: either can silence, delay, drop or corrupt. */
  effective(key: K): FaultSettings {
    const own = this.own.get(key) ?? NO_FAULTS;
    const bus = this.bus;
    return {
      silent: own.silent || bus.silent,
      dropReplies: either(own.dropReplies, bus.dropReplies),
      lateReplyMs: Math.max(own.lateReplyMs, bus.lateReplyMs),
      busyNext: own.busyNext + bus.busyNext,
      busyProbability: either(own.busyProbability, bus.busyProbability),
      corruptCheck: either(own.corruptCheck, bus.corruptCheck),
    };
  }

  /** Uses up one of the PD's (else the bus's) counted BUSY answers, or rolls the BUSY probability. */
  takeBusy(key: K): boolean {
    const own = this.own.get(key);
    if (own && own.busyNext > 0) {
      own.busyNext--;
      return true;
    }
    if (this.bus.busyNext > 0) {
      this.bus.busyNext--;
      return true;
    }
    return this.roll(this.effective(key).busyProbability);
  }

  roll(probability: number): boolean {
    return chance(this.random, probability);
  }

  /**
   * A copy of a packet with one byte after the 5-byte header XORed with a non-zero value: the
   * framing (SOM, LEN) still holds, so the CP sees a complete packet whose check fails, rather
   * than a timeout. CRC-16 and the checksum both detect every single-byte change.
   */
  corrupt(packet: Buffer): Buffer {
    const copy = Buffer.from(packet);
    const som = copy[0] === MARK ? 1 : 0;
    const at = randomInt(this.random, som + HEADER_LENGTH, copy.length - 1);
    copy[at] = (copy[at] ?? 0) ^ randomInt(this.random, 1, 255);
    return copy;
  }
}
