import type { Logger } from 'pino';
import type { BusHandler, MessageBus } from '../../gateway/mqtt/bus.js';
import type { Clock } from '../shared/clock.js';

/** A subscription the broker refused (ACL, not connected) is tried again after this. */
const SUBSCRIBE_RETRY_MS = 5000;

/**
 * The subscriptions of one device on the bus. A refused subscription is logged with the device
 * and topic and tried again every SUBSCRIBE_RETRY_MS (never in a tight loop) until `close()`.
 */
export class DeviceSubscriptions {
  private readonly unsubscribers: (() => Promise<void>)[] = [];
  private readonly retries = new Set<unknown>();
  private open = false;
  failures = 0;

  constructor(
    private readonly bus: MessageBus,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly deviceId: string,
    private readonly handler: BusHandler,
  ) {}

  /** Resolves once each topic was tried; refusals go on retrying in the background. */
  async subscribe(topics: readonly string[]): Promise<void> {
    this.open = true;
    await Promise.all(topics.map((topic) => this.attempt(topic)));
  }

  async close(): Promise<void> {
    this.open = false;
    for (const retry of this.retries) this.clock.clearTimeout(retry);
    this.retries.clear();
    const unsubscribers = this.unsubscribers.splice(0);
    await Promise.all(unsubscribers.map((u) => u().catch(() => undefined)));
  }

  private async attempt(topic: string): Promise<void> {
    try {
      const unsubscribe = await this.bus.subscribe(topic, this.handler, { qos: 1 });
      if (this.open) this.unsubscribers.push(unsubscribe);
      else await unsubscribe();
    } catch (err) {
      this.failures++;
      this.log.error(
        { err, device: this.deviceId, topic },
        'subscription failed; retrying / 订阅失败，稍后重试',
      );
      if (!this.open) return;
      const retry = this.clock.setTimeout(() => {
        this.retries.delete(retry);
        if (this.open) void this.attempt(topic);
      }, SUBSCRIBE_RETRY_MS);
      this.retries.add(retry);
    }
  }
}
