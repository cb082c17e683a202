/**
 * The Prometheus endpoint: a bare `node:http` server over one prom-client registry.
 *
 * Contract
 * - `GET /metrics` (and HEAD) answers 200 with the registry's exposition and its content type;
 *   a query string is ignored. Any other path is 404, any other method on /metrics 405.
 * - With `bearerToken`, /metrics answers only a request with `Authorization: Bearer <token>`
 *   (compared in constant time); any other gets 401 with `WWW-Authenticate: Bearer`. Prometheus
 *   sends it with `authorization: { credentials_file: … }` in its scrape configuration.
 * - A collect that throws or rejects answers 500 with a short text and is logged; nothing a
 *   scrape does can throw into the gateway. Client and socket errors are dropped.
 * - `listen()` binds only to the given host (loopback by default) and resolves with the bound
 *   port (port 0 picks a free one); it rejects when the address cannot be bound.
 * - `close()` stops listening, drops open keep-alive connections, and resolves once closed.
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';

export interface MetricsServerOptions {
  registry: Registry;
  log: Logger;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 9464; 0 picks a free port. */
  port?: number;
  /** The token a scrape must bear; absent: anyone who can connect may read the metrics. */
  bearerToken?: string;
}

export const METRICS_PATH = '/metrics';

export class MetricsServer {
  private readonly server: Server;
  private readonly host: string;
  private boundPort: number | undefined;
  private readonly token: Buffer | undefined;

  constructor(private readonly options: MetricsServerOptions) {
    this.host = options.host ?? '127.0.0.1';
    this.token = options.bearerToken === undefined ? undefined : Buffer.from(options.bearerToken);
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        options.log.error({ err }, 'metrics request failed');
        res.destroy();
      });
    });
    this.server.on('clientError', (_err, socket) => socket.destroy());
  }

  /** The URL of the endpoint once listening. */
  get url(): string {
    const host = this.host.includes(':') ? `[${this.host}]` : this.host;
    return `http://${host}:${this.boundPort ?? this.options.port ?? 9464}${METRICS_PATH}`;
  }

  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      const failed = (err: Error) => reject(err);
      this.server.once('error', failed);
      this.server.listen(this.options.port ?? 9464, this.host, () => {
        this.server.off('error', failed);
        this.server.on('error', (err) => this.options.log.error({ err }, 'metrics server error'));
        this.boundPort = (this.server.address() as AddressInfo).port;
        resolve(this.boundPort);
      });
    });
  }

  close(): Promise<void> {
    if (!this.server.listening) return Promise.resolve();
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private authorised(req: IncomingMessage): boolean {
    if (this.token === undefined) return true;
    const presented = bearerOf(req);
    return (
      presented !== undefined &&
      presented.length === this.token.length &&
      timingSafeEqual(presented, this.token)
    );
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path !== METRICS_PATH) return send(res, 404, 'not found: the metrics are at /metrics\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return send(res, 405, 'method not allowed\n');
    }
    if (!this.authorised(req)) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="gatewarden metrics"');
      return send(res, 401, 'unauthorised: send the scrape token as Authorization: Bearer\n');
    }
    const { registry } = this.options;
    let body: string;
    try {
      body = await registry.metrics();
    } catch (err) {
      this.options.log.error({ err }, 'collecting metrics failed');
      return send(res, 500, 'collecting metrics failed (see the gateway log)\n');
    }
    res.writeHead(200, {
      'Content-Type': registry.contentType,
      'Content-Length': Buffer.byteLength(body),
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  }
}

function bearerOf(req: IncomingMessage): Buffer | undefined {
  const value = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
  return value === undefined ? undefined : Buffer.from(value);
}

function send(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}
