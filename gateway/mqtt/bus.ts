/**
 * The one interface every MQTT user in the gateway talks through: the embedded broker in
 * process (`LocalBus`), an MQTT.js client on any broker (`ClientBus`), or a memory bus in unit
 * tests. Device drivers, the live feed, Home Assistant discovery and the upstream bridge depend
 * on this, never on aedes or MQTT.js directly, so each can be tested on the bus it needs.
 *
 * Contract
 * - `publish` resolves once the message is handed on: at QoS 1 on a client bus, once the broker
 *   acknowledged it (PUBACK); on the local bus, once every local subscriber was given it.
 *   It rejects when the bus cannot take it (disconnected with nothing queued, closed).
 * - `subscribe` resolves once the subscription is active (SUBACK); the handler then gets every
 *   matching message, retained ones included, in arrival order. A handler must not throw; a
 *   throw is caught and logged by the bus, never passed to another subscriber.
 * - The returned function ends that one subscription.
 */
export type Qos = 0 | 1;

export interface BusMessage {
  topic: string;
  payload: Buffer;
  retain: boolean;
  qos: Qos | 2;
}

export interface PublishOptions {
  qos?: Qos;
  retain?: boolean;
}

export type BusHandler = (message: BusMessage) => void;

export interface MessageBus {
  publish(topic: string, payload: string | Buffer, options?: PublishOptions): Promise<void>;
  subscribe(filter: string, handler: BusHandler, options?: { qos?: Qos }): Promise<() => Promise<void>>;
}

/**
 * Whether `topic` matches the subscription `filter` (MQTT 3.1.1 §4.7: `+` one level, `#` the
 * rest, and a filter starting with a wildcard does not match topics starting with `$`).
 */
export function topicMatches(filter: string, topic: string): boolean {
  if (topic.startsWith('$') && (filter.startsWith('+') || filter.startsWith('#'))) return false;
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    const level = f[i];
    if (level === '#') return true;
    if (i >= t.length) return false;
    if (level !== '+' && level !== t[i]) return false;
  }
  return f.length === t.length;
}
