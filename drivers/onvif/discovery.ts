import { randomUUID } from 'node:crypto';
import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import { buildProbe, type ProbeMatch, parseProbeMatches } from './discovery-messages.js';

/**
 * One WS-Discovery probe (protocols.md §5.2): a UDP socket on an ephemeral port sends a Probe to
 * the multicast group (real LANs) or to one address by unicast, listens until `timeoutMs`, and
 * closes. Devices answer by unicast to the socket. An answer counts when it is a ProbeMatches
 * whose RelatesTo is our MessageID; anything else (garbage, another client's answer, a Hello) is
 * listed in `refused` with why (at most MAX_REFUSED entries). Cameras are de-duplicated by
 * endpoint; a later answer from the same endpoint adds the service addresses it lists.
 */

export const WS_DISCOVERY_GROUP = Object.freeze({ address: '239.255.255.250', port: 3702 });
const DEFAULT_TIMEOUT_MS = 3000;
const MAX_REFUSED = 100;

export interface ProbeOptions {
  /** Where the Probe goes; default the WS-Discovery multicast group 239.255.255.250:3702. */
  target?: { address: string; port: number };
  /** Local address to bind (and, for multicast, the interface to send on); default all. */
  bindAddress?: string;
  timeoutMs?: number;
  /** Stops listening early; the promise then resolves with what arrived so far. */
  signal?: AbortSignal;
  /** Device types to probe for (default `dn:NetworkVideoTransmitter`). */
  types?: string;
}

export interface ProbeResult {
  cameras: ProbeMatch[];
  refused: { from: string; error: string }[];
}

/** Rejects only when the socket cannot be bound or the Probe cannot be sent. */
export function probeCameras(options: ProbeOptions = {}): Promise<ProbeResult> {
  const target = options.target ?? WS_DISCOVERY_GROUP;
  const messageId = `urn:uuid:${randomUUID()}`;
  const probe = Buffer.from(buildProbe(messageId, options.types));
  const socket = dgram.createSocket(isIPv6(target.address) ? 'udp6' : 'udp4');
  const found = new Map<string, ProbeMatch>();
  const result: ProbeResult = { cameras: [], refused: [] };

  const refuse = (from: string, error: string) => {
    if (result.refused.length < MAX_REFUSED) result.refused.push({ from, error });
  };

  socket.on('message', (datagram, remote) => {
    const from = `${remote.address}:${remote.port}`;
    let matches: ProbeMatch[];
    try {
      matches = parseProbeMatches(datagram.toString('utf8'));
    } catch (err) {
      refuse(from, err instanceof Error ? err.message : String(err));
      return;
    }
    const foreign = matches.find((m) => m.relatesTo !== messageId);
    if (foreign !== undefined) {
      refuse(from, `RelatesTo ${JSON.stringify(foreign.relatesTo ?? '(none)')} does not answer our probe`);
      return;
    }
    for (const match of matches) merge(found, match);
  });

  return new Promise<ProbeResult>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    let done = false;
    const finish = (error?: Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      socket.removeAllListeners('message');
      try {
        socket.close();
      } catch {
        // Already closed.
      }
      if (error) reject(error);
      else resolve({ cameras: [...found.values()], refused: result.refused });
    };
    const onAbort = () => finish();
    socket.on('error', (err) => finish(err));
    if (options.signal?.aborted) {
      finish();
      return;
    }
    options.signal?.addEventListener('abort', onAbort, { once: true });
    socket.bind(
      { port: 0, ...(options.bindAddress === undefined ? {} : { address: options.bindAddress }) },
      () => {
        if (done) return;
        if (isMulticast(target.address)) {
          socket.setMulticastTTL(1);
          if (options.bindAddress !== undefined) socket.setMulticastInterface(options.bindAddress);
        }
        socket.send(probe, target.port, target.address, (err) => {
          if (err) finish(err);
        });
        timer = setTimeout(() => finish(), options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
      },
    );
  });
}

function merge(found: Map<string, ProbeMatch>, match: ProbeMatch): void {
  const known = found.get(match.endpoint);
  if (known === undefined) {
    found.set(match.endpoint, match);
    return;
  }
  for (const x of match.xaddrs) if (!known.xaddrs.includes(x)) known.xaddrs.push(x);
}

function isMulticast(address: string): boolean {
  if (isIPv6(address)) return address.toLowerCase().startsWith('ff');
  const first = Number(address.split('.')[0]);
  return first >= 224 && first <= 239;
}
