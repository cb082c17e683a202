/**
 * The network side of the embedded broker: MQTT over TCP, MQTT over WebSocket (for the
 * dashboard; `ws` with `createWebSocketStream`) and optionally MQTT over TLS. Each accepted
 * connection is handed to `accept` as a byte stream with its peer's address; what happens on it
 * is the broker's business. Port 0 binds a free port; `start` returns the bound addresses.
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer, type IncomingMessage } from 'node:http';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createServer as createTlsServer } from 'node:tls';
import type { Logger } from 'pino';
import { createWebSocketStream, WebSocketServer } from 'ws';
import type { MqttBrokerConfig } from '../../../config/mqtt-broker-schema.js';
import { readSecretFile } from '../../util/key-file.js';

export type Transport = 'tcp' | 'websocket' | 'tls';
export type Accept = (
  stream: Duplex,
  remote: string,
  transport: Transport,
  request?: IncomingMessage,
) => void;

export interface BrokerAddresses {
  mqtt: AddressInfo;
  websocket?: AddressInfo;
  tls?: AddressInfo;
}

const peer = (socket: Socket) => `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;

export class BrokerListeners {
  private readonly servers: (Server | HttpServer)[] = [];
  private webSockets: WebSocketServer | undefined;

  constructor(
    private readonly config: MqttBrokerConfig,
    private readonly accept: Accept,
    private readonly log: Logger,
  ) {}

  async start(): Promise<BrokerAddresses> {
    const { config } = this;
    const tcp = createServer({ noDelay: true }, (socket) => this.accept(socket, peer(socket), 'tcp'));
    const addresses: BrokerAddresses = { mqtt: await this.listen(tcp, config.host, config.port, 'MQTT') };
    if (config.websocket.enabled) {
      addresses.websocket = await this.startWebSocket();
    }
    if (config.tls !== undefined) {
      const { certFile, keyFile } = config.tls;
      const key = readSecretFile(keyFile, 'MQTT TLS private key');
      if (key === undefined) throw new Error(`MQTT TLS private key ${keyFile} does not exist`);
      const tls = createTlsServer({ cert: readFileSync(certFile), key }, (socket) =>
        this.accept(socket, peer(socket), 'tls'),
      );
      tls.on('tlsClientError', (err, socket) =>
        this.log.info({ err: err.message, remote: peer(socket) }, 'TLS handshake with an MQTT client failed'),
      );
      addresses.tls = await this.listen(tls, config.tls.host, config.tls.port, 'MQTT over TLS');
    }
    return addresses;
  }

  /** Stops accepting; open connections are the broker's to close. */
  async stop(): Promise<void> {
    this.webSockets?.close();
    for (const client of this.webSockets?.clients ?? []) client.terminate();
    const servers = this.servers.splice(0);
    await Promise.all(servers.map((s) => new Promise<void>((done) => s.close(() => done()))));
  }

  private async startWebSocket(): Promise<AddressInfo> {
    const { websocket, limits } = this.config;
    const http = createHttpServer((_req, res) => {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`MQTT over WebSocket is at ${websocket.path}\n`);
    });
    // One WebSocket message may carry more than one MQTT packet (MQTT 3.1.1 §6); the exact
    // per-packet limit is the packet guard's, this only bounds what ws buffers.
    this.webSockets = new WebSocketServer({
      server: http,
      path: websocket.path,
      maxPayload: 2 * limits.maxPacketBytes + 16,
    });
    this.webSockets.on('connection', (ws, request) => {
      const stream = createWebSocketStream(ws);
      this.accept(stream, peer(request.socket), 'websocket', request);
    });
    return this.listen(http, websocket.host, websocket.port, 'MQTT over WebSocket');
  }

  private listen(
    server: Server | HttpServer,
    host: string,
    port: number,
    what: string,
  ): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      server.once('error', (err) =>
        reject(new Error(`cannot listen for ${what} on ${host}:${port}: ${err.message}`)),
      );
      server.listen(port, host, () => {
        this.servers.push(server);
        server.on('error', (err) => this.log.error({ err }, `${what} listener failed`));
        resolve(server.address() as AddressInfo);
      });
    });
  }
}
