import type { MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { type BusHandler, type MessageBus, type PublishOptions, type Qos, topicMatches } from './bus.js';

/** The broker answered a SUBSCRIBE with failure (0x80). */
export class SubscriptionRefused extends Error {
  constructor(readonly filter: string) {
    super(`the broker refused the subscription to "${filter}"`);
  }
}

/**
 * A MessageBus over one MQTT.js client, on any broker (the embedded one, Mosquitto, upstream).
 * The client is built and owned by the caller (connection options, TLS, will, reconnects);
 * this only routes its messages to the handlers whose filters match. MQTT.js resubscribes
 * after a reconnect (`resubscribe`, on by default), so subscriptions outlive outages; a
 * subscription asked for before the first connection, or cut off before its SUBACK, is asked
 * for again on the next connection, and only a broker's refusal or the client's end fails it.
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
    for (;;) {
      let refused: boolean;
      try {
        const granted = await this.client.subscribeAsync(filter, { qos: options.qos ?? 0 });
        // 0x80 in MQTT 3.1.1; any reason code from 0x80 up (e.g. 0x87 not authorised) in MQTT 5.
        refused = granted.some((g) => g.qos >= 0x80);
      } catch (error) {
        // MQTT.js rejects with the SUBACK attached when the broker refused the filter; any
        // other rejection means the connection went away before the SUBACK (or before the
        // first connection). Then the handler stays, so a persistent session's backlog
        // delivered on connect is routed, and the subscription is asked for again.
        refused = (error as { packet?: { cmd?: string } }).packet?.cmd === 'suback';
        if (!refused && (await this.nextConnection())) continue;
        if (!refused) {
          this.subscriptions.delete(subscription);
          throw error;
        }
      }
      if (!refused) break;
      this.subscriptions.delete(subscription);
      throw new SubscriptionRefused(filter);
    }
    return async () => {
      this.subscriptions.delete(subscription);
      const stillWanted = [...this.subscriptions].some((s) => s.filter === filter);
      if (!stillWanted && this.client.connected) await this.client.unsubscribeAsync(filter);
    };
  }

  /** Resolves true on the client's next connection, false once it ended for good. */
  private nextConnection(): Promise<boolean> {
    if (this.client.disconnecting || this.client.disconnected) return Promise.resolve(false);
    return new Promise((resolve) => {
      const settle = (connected: boolean) => {
        this.client.off('connect', onConnect);
        this.client.off('end', onEnd);
        resolve(connected);
      };
      const onConnect = () => settle(true);
      const onEnd = () => settle(false);
      this.client.on('connect', onConnect);
      this.client.on('end', onEnd);
    });
  }
}
