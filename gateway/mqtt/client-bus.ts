import type { MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { type BusHandler, type MessageBus, type PublishOptions, type Qos, topicMatches } from './bus.js';

/**
 * A MessageBus over one MQTT.js client, on any broker (the embedded one, Mosquitto, upstream).
 * The client is built and owned by the caller (connection options, TLS, will, reconnects);
 * this only routes its messages to the handlers whose filters match. MQTT.js resubscribes
 * after a reconnect (`resubscribe`, on by default), so subscriptions outlive outages.
 */
export class ClientBus implements MessageBus {
  private readonly subscriptions = new Set<{ filter: string; handler: BusHandler }>();

  constructor(
    readonly client: MqttClient,
    private readonly log: Logger,
  ) {
    client.on('message', (topic, payload, packet) => {
      const message = { topic, payload, retain: packet.retain, qos: packet.qos };
      for (const s of [...this.subscriptions]) {
        if (!topicMatches(s.filter, topic)) continue;
        try {
          s.handler(message);
        } catch (err) {
          this.log.error({ err, topic, filter: s.filter }, 'MQTT message handler failed; message dropped');
        }
      }
    });
  }

  async publish(topic: string, payload: string | Buffer, options: PublishOptions = {}): Promise<void> {
    await this.client.publishAsync(topic, payload, {
      qos: options.qos ?? 0,
      retain: options.retain ?? false,
    });
  }

  async subscribe(
    filter: string,
    handler: BusHandler,
    options: { qos?: Qos } = {},
  ): Promise<() => Promise<void>> {
    const subscription = { filter, handler };
    this.subscriptions.add(subscription);
    try {
      const granted = await this.client.subscribeAsync(filter, { qos: options.qos ?? 0 });
      const refused = granted.find((g) => g.qos === 128);
      if (refused) throw new Error(`the broker refused the subscription to "${filter}"`);
    } catch (error) {
      this.subscriptions.delete(subscription);
      throw error;
    }
    return async () => {
      this.subscriptions.delete(subscription);
      const stillWanted = [...this.subscriptions].some((s) => s.filter === filter);
      if (!stillWanted && this.client.connected) await this.client.unsubscribeAsync(filter);
    };
  }
}
