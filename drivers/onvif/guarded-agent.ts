import http from 'node:http';
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Cam } from 'onvif';
import { HttpResponseGuard } from './codec-http-response.js';
import { DEFAULT_XML_LIMITS, type XmlLimits } from './xml-guard.js';

/**
 * An http.Agent for talking to cameras: every byte a camera sends is checked by a fresh
 * HttpResponseGuard (the head skipped, the body through an XmlGuard) *before* Node's HTTP parser
 * or the `onvif` package sees it. On refusal the socket is destroyed with the OnvifXmlError, so
 * the request fails with that error (the package's callback gets it, `req` emits it) and nothing
 * more is read: a 50 MiB answer costs at most `maxBytes` of buffering, a deep one never reaches
 * the package's recursive `linerase`, a DTD never reaches any parser.
 *
 * keepAlive is off, so one socket carries one request and its response: the guard's state is the
 * response's. (The package's Digest retry opens a new request, hence a new socket and guard.)
 *
 * How: a net.Socket hands every buffer it reads to its own `push()` (Readable contract) before
 * any 'data' listener runs; the agent wraps `push` on each socket it creates. Plain HTTP only:
 * an HTTPS camera needs an https.Agent built the same way.
 */
export function guardedAgent(limits: XmlLimits = DEFAULT_XML_LIMITS): http.Agent {
  return new GuardedAgent({ ...limits });
}

class GuardedAgent extends http.Agent {
  constructor(private readonly limits: XmlLimits) {
    super({ keepAlive: false });
  }

  override createConnection(
    options: http.ClientRequestArgs,
    callback?: (err: Error | null, stream: Duplex) => void,
  ): Duplex | null | undefined {
    const socket = super.createConnection(options, callback);
    if (!(socket instanceof Socket)) throw new Error('guardedAgent: the connection is not a net.Socket');
    guardSocket(socket, new HttpResponseGuard(this.limits));
    return socket;
  }
}

/** Makes `socket` refuse (destroy itself with the error) the first received bytes `guard` refuses. */
export function guardSocket(socket: Socket, guard: HttpResponseGuard): void {
  const push = socket.push.bind(socket);
  let refused = false;
  socket.push = (chunk: unknown, encoding?: BufferEncoding): boolean => {
    if (chunk === null || chunk === undefined) return push(chunk, encoding);
    if (refused) return false;
    try {
      guard.accept(typeof chunk === 'string' ? Buffer.from(chunk, encoding) : (chunk as Uint8Array));
    } catch (err) {
      refused = true;
      socket.destroy(err instanceof Error ? err : new Error(String(err)));
      return false;
    }
    return push(chunk, encoding);
  };
}

/**
 * The `onvif` package (0.8.3) sends PullMessages, Renew and Unsubscribe with `http.request(<the
 * parsed subscription address>)`, an options object that names no agent: those requests go
 * through http.globalAgent, unguarded — and PullMessages is the reply the package runs through
 * its unbounded recursion (`linerase`, outside any try). This makes every address the package
 * parses (`Cam#_parseUrl`, which makes the subscription reference) carry `agent`. Call it once,
 * right after constructing the Cam.
 */
export function routeSubscriptionCallsThrough(cam: Cam, agent: http.Agent): void {
  const target = cam as unknown as { _parseUrl?: (address: string) => object };
  const parse = target._parseUrl;
  if (typeof parse !== 'function')
    throw new Error('onvif: Cam#_parseUrl is gone (package changed): subscription calls would be unguarded');
  target._parseUrl = (address: string) => Object.assign(parse.call(cam, address), { agent });
}
