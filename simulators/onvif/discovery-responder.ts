import { randomUUID } from 'node:crypto';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { escapeXml, parseXml, path, text } from './xml.js';

/**
 * WS-Discovery (2005/04) responder (protocols.md §5.2): answers a Probe whose Types is empty
 * or names only `NetworkVideoTransmitter` / `Device` (prefixes ignored) and whose Scopes, if
 * any, each prefix one of the camera's scopes, with a ProbeMatches sent unicast to the
 * probe's source. Everything else is ignored and counted; nothing a datagram holds can stop
 * the responder. By default it binds the simulator's own host and never touches a multicast
 * group (tests probe it unicast); with `multicast` it binds the wildcard address and joins
 * 239.255.255.250 as a camera on a LAN does.
 */
export const DISCOVERY_GROUP = '239.255.255.250';
const WSA = 'http://schemas.xmlsoap.org/ws/2004/08/addressing';
const WSD = 'http://schemas.xmlsoap.org/ws/2005/04/discovery';
const TYPES = new Set(['NetworkVideoTransmitter', 'Device']);

export interface DiscoveryResponderOptions {
  host: string;
  port: number;
  multicast: boolean;
  /** `urn:uuid:…`, the device's stable endpoint reference. */
  endpoint: string;
  scopes(): readonly string[];
  /** Device service URLs. */
  xaddrs(): readonly string[];
  /** Increments at each boot (WS-Discovery AppSequence InstanceId). */
  instanceId(): number;
  /** False while the camera is rebooting: probes are then unanswered. */
  online(): boolean;
}

export interface DiscoveryCounters {
  probes: number;
  answered: number;
  /** Probes for other types or scopes, and probes while offline. */
  unmatched: number;
  /** Well-formed SOAP that is not a Probe (Hello, Bye, Resolve, …). */
  ignored: number;
  /** Datagrams that are not a SOAP envelope at all. */
  garbage: number;
}

export class DiscoveryResponder {
  readonly counters: DiscoveryCounters = { probes: 0, answered: 0, unmatched: 0, ignored: 0, garbage: 0 };
  private socket: Socket | undefined;
  private messageNumber = 0;

  constructor(private readonly options: DiscoveryResponderOptions) {}

  get port(): number {
    return this.socket?.address().port ?? 0;
  }

  async start(): Promise<number> {
    const { host, multicast } = this.options;
    const v6 = host.includes(':');
    const socket = createSocket({ type: v6 ? 'udp6' : 'udp4', reuseAddr: multicast });
    socket.on('message', (msg, from) => void this.onMessage(msg, from));
    socket.bind(this.options.port, multicast ? (v6 ? '::' : '0.0.0.0') : host);
    try {
      await once(socket, 'listening');
    } catch (err) {
      socket.close();
      throw err;
    }
    socket.on('error', () => {}); // a send to a vanished peer must not take the camera down
    if (multicast) {
      const wildcard = host === '0.0.0.0' || host === '::' || host === '';
      try {
        if (wildcard) socket.addMembership(DISCOVERY_GROUP);
        else socket.addMembership(DISCOVERY_GROUP, host);
      } catch (err) {
        socket.close();
        throw err;
      }
    }
    this.socket = socket;
    return this.port;
  }

  async stop(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  private async onMessage(msg: Buffer, from: RemoteInfo): Promise<void> {
    let document: unknown;
    try {
      document = await parseXml(msg.toString('utf8'));
    } catch {
      this.counters.garbage++;
      return;
    }
    const body = path(document, 'Envelope', 'Body');
    if (body === undefined) {
      this.counters.garbage++;
      return;
    }
    const probe = path(body, 'Probe');
    if (probe === undefined) {
      this.counters.ignored++;
      return;
    }
    this.counters.probes++;
    const messageId = text(path(document, 'Envelope', 'Header', 'MessageID'))?.trim() ?? '';
    if (!this.options.online() || !this.matches(probe)) {
      this.counters.unmatched++;
      return;
    }
    const reply = Buffer.from(this.probeMatches(messageId), 'utf8');
    this.socket?.send(reply, from.port, from.address, (err) => {
      if (!err) this.counters.answered++;
    });
  }

  private matches(probe: unknown): boolean {
    const types = (text(path(probe, 'Types')) ?? '').split(/\s+/).filter(Boolean);
    if (!types.every((t) => TYPES.has(t.replace(/^.*:/, '')))) return false;
    const scopes = (text(path(probe, 'Scopes')) ?? '').split(/\s+/).filter(Boolean);
    const ours = this.options.scopes();
    return scopes.every((wanted) =>
      ours.some((s) => s === wanted || s.startsWith(wanted.replace(/\/?$/, '/'))),
    );
  }

  private probeMatches(relatesTo: string): string {
    const { endpoint } = this.options;
    return (
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
      `<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope" xmlns:wsa="${WSA}" xmlns:wsd="${WSD}"` +
      ' xmlns:dn="http://www.onvif.org/ver10/network/wsdl" xmlns:tds="http://www.onvif.org/ver10/device/wsdl">' +
      `<env:Header><wsa:MessageID>urn:uuid:${randomUUID()}</wsa:MessageID>` +
      `<wsa:RelatesTo>${escapeXml(relatesTo)}</wsa:RelatesTo>` +
      `<wsa:To>${WSA}/role/anonymous</wsa:To><wsa:Action>${WSD}/ProbeMatches</wsa:Action>` +
      `<wsd:AppSequence MessageNumber="${++this.messageNumber}" InstanceId="${this.options.instanceId()}"/>` +
      '</env:Header><env:Body><wsd:ProbeMatches><wsd:ProbeMatch>' +
      `<wsa:EndpointReference><wsa:Address>${escapeXml(endpoint)}</wsa:Address></wsa:EndpointReference>` +
      '<wsd:Types>dn:NetworkVideoTransmitter tds:Device</wsd:Types>' +
      `<wsd:Scopes>${escapeXml(this.options.scopes().join(' '))}</wsd:Scopes>` +
      `<wsd:XAddrs>${escapeXml(this.options.xaddrs().join(' '))}</wsd:XAddrs>` +
      '<wsd:MetadataVersion>1</wsd:MetadataVersion>' +
      '</wsd:ProbeMatch></wsd:ProbeMatches></env:Body></env:Envelope>'
    );
  }
}
