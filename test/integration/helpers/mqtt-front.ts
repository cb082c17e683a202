/**
 * A TCP front for a real broker, on a free loopback port, for the upstream bridge tests:
 * - `cut()` drops every connection through it at once, the bytes in flight with them, and
 *   turns new ones away until `restore()`: a network outage in the middle of a batch, which
 *   stopping the broker (it reads what it was sent before it exits) does not reliably give.
 * - `refuseMqtt5`: answers an MQTT 5 CONNECT as an MQTT 3.1.1 broker does (CONNACK return code
 *   0x01, unacceptable protocol version, then close) and passes 3.1.1 connections through.
 * `levels` records the protocol level of every CONNECT seen (4 = 3.1.1, 5 = MQTT 5).
 */
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';

const HOST = '127.0.0.1';
/** MQTT 3.1.1 §3.2: CONNACK, remaining length 2, no session present, return code 0x01. */
const CONNACK_UNACCEPTABLE_PROTOCOL = Buffer.from([0x20, 0x02, 0x00, 0x01]);

export class MqttFront {
  readonly levels: number[] = [];
  private readonly sockets = new Set<Socket>();
  private down = false;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(target: { host: string; port: number }, options: { refuseMqtt5?: boolean } = {}) {
    let front: MqttFront | undefined;
    const server = createServer((client) => front?.accept(client, target, options.refuseMqtt5 ?? false));
    await new Promise<void>((ok, fail) => server.once('error', fail).listen(0, HOST, () => ok()));
    front = new MqttFront(server, (server.address() as AddressInfo).port);
    return front;
  }

  get url(): string {
    return `mqtt://${HOST}:${this.port}`;
  }

  cut(): void {
    this.down = true;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  restore(): void {
    this.down = false;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise((ok) => this.server.close(ok));
  }

  private accept(client: Socket, target: { host: string; port: number }, refuseMqtt5: boolean): void {
    if (this.down) {
      client.destroy();
      return;
    }
    this.sockets.add(client);
    client.on('error', () => undefined);
    client.once('close', () => this.sockets.delete(client));
    let head = Buffer.alloc(0);
    const readConnect = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const level = protocolLevel(head);
      if (level === undefined) return; // not all of the variable header yet
      client.off('data', readConnect);
      this.levels.push(level);
      if (refuseMqtt5 && level === 5) {
        client.end(CONNACK_UNACCEPTABLE_PROTOCOL);
        return;
      }
      const broker = connect(target.port, target.host);
      this.sockets.add(broker);
      broker.on('error', () => client.destroy());
      broker.once('close', () => {
        this.sockets.delete(broker);
        client.destroy();
      });
      client.once('close', () => broker.destroy());
      broker.write(head);
      client.pipe(broker);
      broker.pipe(client);
    };
    client.on('data', readConnect);
  }
}

/**
 * The protocol level byte of a CONNECT at the start of `bytes` (MQTT 3.1.1 §3.1.2.2: after the
 * fixed header with its variable-length remaining length, and the protocol name as a
 * length-prefixed string), or undefined while too few bytes are there.
 */
function protocolLevel(bytes: Buffer): number | undefined {
  let i = 1;
  while (i < bytes.length && i <= 4 && ((bytes[i] as number) & 0x80) !== 0) i++;
  i++; // past the last byte of the remaining length
  if (bytes.length < i + 2) return undefined;
  const nameLength = bytes.readUInt16BE(i);
  const at = i + 2 + nameLength;
  return at < bytes.length ? bytes[at] : undefined;
}
