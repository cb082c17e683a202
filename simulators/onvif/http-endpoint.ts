import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Clock, sleep } from '../../drivers/shared/clock.js';
import {
  faultReply,
  faults,
  parseEnvelope,
  SOAP_CONTENT_TYPE,
  type SoapCall,
  SoapFault,
  type SoapReply,
} from './soap.js';

/** Requests are small (the largest a client sends is a Renew or a filter); anything bigger is refused. */
export const MAX_REQUEST_BYTES = 256 * 1024;

export interface HttpEndpointOptions {
  host: string;
  clock: Clock;
  /** Answers one parsed request; a thrown SoapFault becomes a fault reply. */
  dispatch(call: SoapCall): Promise<SoapReply>;
  /** Delay added before every reply is written (the slow-camera fault). */
  replyDelayMs(): number;
  /** Told of every exchange (status 0 when the client went away first), for counters. */
  onExchange?(path: string, action: string | undefined, status: number): void;
  maxRequestBytes?: number;
}

/**
 * The camera's HTTP side (node:http): POSTed SOAP bodies are read up to a limit (413 beyond
 * it), parsed, dispatched and answered. `close()` is a power cut, not a goodbye: every open
 * connection, held PullMessages included, is destroyed, so clients see ECONNRESET as they do
 * when a camera reboots. `listen()` may be called again afterwards, on the same port.
 */
export class HttpEndpoint {
  private server: Server | undefined;
  private boundPort = 0;

  constructor(private readonly options: HttpEndpointOptions) {}

  get port(): number {
    return this.boundPort;
  }

  get listening(): boolean {
    return this.server !== undefined;
  }

  async listen(port: number): Promise<number> {
    const server = createServer((req, res) => void this.onRequest(req, res));
    server.listen(port, this.options.host);
    await once(server, 'listening');
    this.server = server;
    this.boundPort = (server.address() as AddressInfo).port;
    return this.boundPort;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const controller = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) controller.abort();
    });
    if (req.method !== 'POST') return this.plain(res, 405, 'POST SOAP requests only', path);
    const limit = this.options.maxRequestBytes ?? MAX_REQUEST_BYTES;
    const body = await readBody(req, limit);
    if (body === 'too-large') return this.plain(res, 413, `request body over ${limit} bytes`, path);
    if (body === 'aborted') return;
    let action: string | undefined;
    let reply: SoapReply;
    try {
      const parsed = await parseEnvelope(body);
      action = parsed.action;
      reply = await this.options.dispatch({
        ...parsed,
        path,
        baseUrl: `http://${urlHost(this.options.host, req.socket.localAddress)}:${this.boundPort}`,
        signal: controller.signal,
      });
    } catch (err) {
      reply = faultReply(err instanceof SoapFault ? err : faults.internal());
    }
    const delay = this.options.replyDelayMs();
    if (delay > 0) await sleep(this.options.clock, delay);
    if (controller.signal.aborted || res.destroyed) {
      this.options.onExchange?.(path, action, 0);
      return;
    }
    this.options.onExchange?.(path, action, reply.status);
    await writeReply(res, reply, controller.signal);
  }

  private plain(res: ServerResponse, status: number, text: string, path: string): void {
    this.options.onExchange?.(path, undefined, status);
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close' });
    res.end(`${text}\n`);
  }
}

async function readBody(req: IncomingMessage, limit: number): Promise<string | 'too-large' | 'aborted'> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) return 'too-large';
  const chunks: Buffer[] = [];
  let length = 0;
  try {
    for await (const chunk of req) {
      length += (chunk as Buffer).length;
      if (length > limit) return 'too-large';
      chunks.push(chunk as Buffer);
    }
  } catch {
    return 'aborted';
  }
  return Buffer.concat(chunks, length).toString('utf8');
}

async function writeReply(res: ServerResponse, reply: SoapReply, signal: AbortSignal): Promise<void> {
  const contentType = reply.contentType ?? SOAP_CONTENT_TYPE;
  if ('body' in reply) {
    const body = typeof reply.body === 'string' ? Buffer.from(reply.body, 'utf8') : reply.body;
    res.writeHead(reply.status, { 'Content-Type': contentType, 'Content-Length': body.length });
    res.end(body);
    return;
  }
  res.writeHead(reply.status, { 'Content-Type': contentType });
  try {
    await reply.stream(res, signal);
    res.end();
  } catch {
    res.destroy();
  }
}

/**
 * The host part of a URL the client can use: the bound address, or for a wildcard bind the
 * local address the client's connection arrived on (IPv4-mapped IPv6 unmapped, IPv6 bracketed).
 */
export function urlHost(bound: string, local: string | undefined): string {
  const wildcard = bound === '0.0.0.0' || bound === '::' || bound === '';
  let host = wildcard && local ? local : bound;
  if (host.startsWith('::ffff:') && host.includes('.')) host = host.slice('::ffff:'.length);
  return host.includes(':') ? `[${host}]` : host;
}
