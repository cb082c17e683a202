import { EventEmitter } from 'node:events';
import { connect, type MqttClient } from 'mqtt';

/** How long `stop()` waits for the goodbye's PUBACK and the DISCONNECT before dropping the link. */
const STOP_WAIT_MS = 2000;
/** How a simulated device reaches its broker. */
export interface SimConnection {
  /** `mqtt://127.0.0.1:1883`, `ws://…`, `mqtts://…` */
  url: string;
  clientId: string;
  username?: string;
  password?: string;
  /** Wait between reconnect attempts after the broker went away. Default 1000 ms. */
  reconnectMs?: number;
}

export interface SimWill {
  topic: string;
  payload: string;
}

export interface SimLinkEvents {
  /** Connected (again): the device publishes its birth messages now. */
  up: [];
  /** Lost or ended; `why` for the console. */
  down: [why: string];
  message: [topic: string, payload: Buffer];
}

/**
 * The MQTT side of a simulated device: one MQTT.js client with the device's last will
 * (retained, QoS 1, as Tasmota and Zigbee2MQTT set theirs), its command subscriptions renewed
 * after each reconnect (MQTT.js `resubscribe`), and three ways to leave:
 * - `stop()`: a clean exit, after the device's own goodbye (a device that shuts down in order
 *   publishes its offline state itself; the broker then drops the will);
 * - `crash()`: the connection is cut without DISCONNECT, as when power fails or the process is
 *   killed, so the broker publishes the will;
 * - the broker going away: reconnect attempts every `reconnectMs` until `stop()`.
 */
export class SimLink extends EventEmitter<SimLinkEvents> {
  private client: MqttClient | undefined;
  /** The last state told to listeners: `down` once per outage, not at every reconnect attempt. */
  private told: 'up' | 'down' | undefined;

  constructor(
    private readonly connection: SimConnection,
    private readonly will: SimWill,
    private readonly subscriptions: readonly string[],
  ) {
    super();
  }

  get connected(): boolean {
    return this.client?.connected === true;
  }

  /**
   * Connects; resolves once connected and subscribed (the device is then born), rejects when the
   * broker refuses the connection.
   */
  start(): Promise<void> {
    const c = this.connection;
    const client = connect(c.url, {
      clientId: c.clientId,
      ...(c.username === undefined ? {} : { username: c.username }),
      ...(c.password === undefined ? {} : { password: c.password }),
      reconnectPeriod: c.reconnectMs ?? 1000,
      connectTimeout: 10_000,
      clean: true,
      will: { topic: this.will.topic, payload: Buffer.from(this.will.payload), qos: 1, retain: true },
    });
    this.client = client;
    client.on('message', (topic, payload) => this.emit('message', topic, payload));
    client.on('close', () => this.down('connection closed'));
    client.on('error', (err) => this.down(err.message));
    return new Promise((resolve, reject) => {
      let first = true;
      client.on('connect', () => {
        void client
          .subscribeAsync([...this.subscriptions], { qos: 1 })
          .then(() => {
            this.told = 'up';
            this.emit('up');
            if (first) resolve();
            first = false;
          })
          .catch((err: Error) => {
            this.down(`subscription refused: ${err.message}`);
            if (first) reject(err);
            first = false;
          });
      });
      // A refused CONNACK (a numeric code: bad credentials, refused id) ends it; a broker that is
      // not there yet (ECONNREFUSED) is retried every reconnectMs until it comes.
      client.on('error', (err: Error & { code?: unknown }) => {
        if (!first || typeof err.code !== 'number') return;
        first = false;
        this.client = undefined;
        client.end(true);
        reject(err);
      });
    });
  }

  /** Publishes if connected; a device without a link drops what it would have said. */
  async publish(topic: string, payload: string | Buffer, retain = false): Promise<void> {
    if (!this.client?.connected) return;
    await this.client.publishAsync(topic, payload, { qos: 1, retain });
  }

  /** A clean exit: `goodbye` (the device's offline state) first, then DISCONNECT. */
  async stop(goodbye?: SimWill): Promise<void> {
    const client = this.client;
    if (!client) return;
    this.client = undefined;
    // A broker that just died leaves the client "connected" until its keepalive notices: the
    // goodbye's PUBACK would never come. Bounded, then the connection is dropped as by a crash.
    const polite = (async () => {
      if (goodbye && client.connected)
        await client.publishAsync(goodbye.topic, goodbye.payload, { qos: 1, retain: true });
      await client.endAsync();
    })();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), STOP_WAIT_MS);
    });
    try {
      if ((await Promise.race([polite, late])) === 'late') await client.endAsync(true);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The connection dies without DISCONNECT: the broker publishes the will. No reconnect. */
  async crash(): Promise<void> {
    const client = this.client;
    if (!client) return;
    this.client = undefined;
    await client.endAsync(true);
  }

  private down(why: string): void {
    if (this.told === 'down') return;
    this.told = 'down';
    this.emit('down', why);
  }
}
