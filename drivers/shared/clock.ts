/**
 * Time as drivers see it: injected, so tests can drive a session with fake timers and a
 * simulator can run faster than real time. `now()` is epoch milliseconds and may have a
 * fraction (from `performance.timeOrigin + performance.now()`), so wire-time budgets of a few
 * milliseconds are measurable.
 */
export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => performance.timeOrigin + performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimeout(resolve, ms));
}
