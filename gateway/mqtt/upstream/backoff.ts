/**
 * Waits between attempts (reconnections, retried batches): exponential from `initialMs`, doubling
 * after each failure up to `maxMs`, with equal jitter: a wait is at least half its ceiling, so
 * hundreds of gateways that lost the same broker spread their retries and none retries at once.
 * MQTT.js's own `reconnectPeriod` is a fixed interval, which is why the connection keeps its own.
 */
export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
}

export class Backoff {
  private failed = 0;

  constructor(
    private readonly policy: BackoffPolicy,
    private readonly random: () => number = Math.random,
  ) {}

  /** Failures counted since the last reset. */
  get failures(): number {
    return this.failed;
  }

  /** Counts one more failure and returns the wait before the next attempt. */
  next(): number {
    this.failed++;
    const { initialMs, maxMs } = this.policy;
    const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(30, this.failed - 1));
    return ceiling / 2 + this.random() * (ceiling / 2);
  }

  reset(): void {
    this.failed = 0;
  }
}
