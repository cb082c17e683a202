export interface LoginThrottleOptions {
  now: () => number;
  /** Failed logins allowed per key within `windowMs` before the key is locked. */
  maxFailures: number;
  windowMs: number;
  /** How long a locked key stays locked. */
  lockMs: number;
}

/**
 * Slows password guessing at the login route. It counts *failed* logins, per client address
 * and per user name separately (a guesser spreading names over one address, or addresses over
 * one name, is caught either way); a key with `maxFailures` within `windowMs` is refused for
 * `lockMs` before its password is even checked. Request-rate limiters (@fastify/rate-limit)
 * count every request, so a guard who logs in and out at each handover would lock themselves
 * out; this one leaves successful logins alone.
 */
export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();
  private readonly lockedUntil = new Map<string, number>();

  constructor(private readonly options: LoginThrottleOptions) {}

  /** Seconds until these keys may try again; 0 when they may now. */
  retryAfter(keys: readonly string[]): number {
    const now = this.options.now();
    let until = 0;
    for (const key of keys) {
      const t = this.lockedUntil.get(key);
      if (t === undefined) continue;
      if (t <= now) this.lockedUntil.delete(key);
      else until = Math.max(until, t);
    }
    return until === 0 ? 0 : Math.ceil((until - now) / 1000);
  }

  failed(keys: readonly string[]): void {
    const now = this.options.now();
    for (const key of keys) {
      const recent = (this.failures.get(key) ?? []).filter((t) => now - t < this.options.windowMs);
      recent.push(now);
      if (recent.length >= this.options.maxFailures) {
        this.lockedUntil.set(key, now + this.options.lockMs);
        this.failures.delete(key);
      } else {
        this.failures.set(key, recent);
      }
    }
    // Bounded memory under a spray of keys: the oldest counts go first (a Map keeps insertion order).
    for (const key of this.failures.keys()) {
      if (this.failures.size <= 10_000) break;
      this.failures.delete(key);
    }
  }

  succeeded(keys: readonly string[]): void {
    for (const key of keys) this.failures.delete(key);
  }
}
