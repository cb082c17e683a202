/**
 * Randomness for simulators, injected so that a test with a seed sees the same faults, noise
 * and secure-channel randoms on every run. Production code passes `Math.random`.
 */

/** Uniform numbers in [0, 1). */
export type RandomSource = () => number;

/**
 * mulberry32: a small 32-bit generator, plenty for fault injection and line noise (not for
 * keys: a simulated PD's RND.B needs no secrecy). The same seed gives the same sequence.
 */
export function seededRandom(seed: number): RandomSource {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` bytes drawn from `random`. */
export function randomBytesFrom(random: RandomSource, count: number): Buffer {
  const out = Buffer.alloc(count);
  for (let i = 0; i < count; i++) out[i] = Math.floor(random() * 256) & 0xff;
  return out;
}

/** An integer in min..max inclusive. */
export function randomInt(random: RandomSource, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

/** True with probability `p` (0 never draws, so a disabled fault does not shift the sequence). */
export function chance(random: RandomSource, p: number): boolean {
  return p > 0 && random() < p;
}
