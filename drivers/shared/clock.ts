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

/**
 * A sleep that a polling loop can cut short: `sleep(ms)` resolves after `ms`, or at once when
 * `wake()` is called (new work was queued, the loop is stopping). One sleeper at a time; a
 * `wake()` with nobody asleep does nothing.
 */
export class InterruptibleSleep {
  private wakeUp: (() => void) | undefined;

  constructor(private readonly clock: Clock) {}

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = this.clock.setTimeout(() => {
        this.wakeUp = undefined;
        resolve();
      }, ms);
      this.wakeUp = () => {
        this.clock.clearTimeout(timer);
        this.wakeUp = undefined;
        resolve();
      };
    });
  }

  wake(): void {
    this.wakeUp?.();
  }
}

/**
 * `promise`, or a rejection with `message` when it has not settled within `ms` on `clock`: for
 * waits on another party (a camera, a broker) that may never answer.
 */
export function withTimeout<T>(
  promise: Promise<T>,
  ms: number,
  clock: Clock,
  message = `no answer within ${ms} ms`,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = clock.setTimeout(() => reject(new Error(message)), ms);
    promise.then(
      (v) => {
        clock.clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clock.clearTimeout(timer);
        reject(e);
      },
    );
  });
}
