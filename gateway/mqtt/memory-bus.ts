import {
  type BusHandler,
  type BusMessage,
  type MessageBus,
  type PublishOptions,
  topicMatches,
} from './bus.js';

/**
 * A MessageBus in memory with retained messages: for unit tests beside the integration tests
 * that run on the embedded broker or Mosquitto (`published` keeps every message for the test to
 * read), and for the admin API's live socket (`{ record: false }`: only the retained ones are
 * kept). Delivery is synchronous, in subscription order.
 */
export class MemoryBus implements MessageBus {
  readonly published: BusMessage[] = [];

  constructor(private readonly options: { record?: boolean } = {}) {}

  /** What handlers threw: kept for the test to look at, never passed to the publisher. */
  readonly handlerErrors: unknown[] = [];
  private readonly subscriptions = new Set<{ filter: string; handler: BusHandler }>();
  private readonly retained = new Map<string, BusMessage>();

  async publish(topic: string, payload: string | Buffer, options: PublishOptions = {}): Promise<void> {
    const message: BusMessage = {
      topic,
      payload: Buffer.from(payload),
      retain: options.retain ?? false,
      qos: options.qos ?? 0,
    };
    if (this.options.record !== false) this.published.push(message);
    if (message.retain) {
      if (message.payload.length === 0) this.retained.delete(topic);
      else this.retained.set(topic, message);
    }
    for (const s of [...this.subscriptions]) {
      if (topicMatches(s.filter, topic)) this.deliver(s.handler, { ...message, retain: false });
    }
  }

  async subscribe(filter: string, handler: BusHandler): Promise<() => Promise<void>> {
    const subscription = { filter, handler };
    this.subscriptions.add(subscription);
    for (const message of this.retained.values()) {
      if (topicMatches(filter, message.topic)) this.deliver(handler, message);
    }
    return async () => {
      this.subscriptions.delete(subscription);
    };
  }

  private deliver(handler: BusHandler, message: BusMessage): void {
    try {
      handler(message);
    } catch (error) {
      this.handlerErrors.push(error);
    }
  }
}
