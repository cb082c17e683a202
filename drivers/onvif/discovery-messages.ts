import { childOf, parseSoapEnvelope, resolveQName, type SoapElement } from './soap-xml.js';
import { DEFAULT_XML_LIMITS, OnvifXmlError } from './xml-guard.js';

/**
 * WS-Discovery 2005/04 messages as ONVIF uses them (protocols.md §5.2; ONVIF Core, Discovery):
 * the Probe a client multicasts (or unicasts) and the ProbeMatches a device answers with.
 */

export const WSD_NS = 'http://schemas.xmlsoap.org/ws/2005/04/discovery';
export const WSA_2004_NS = 'http://schemas.xmlsoap.org/ws/2004/08/addressing';
export const DN_NS = 'http://www.onvif.org/ver10/network/wsdl';
export const TDS_NS = 'http://www.onvif.org/ver10/device/wsdl';
const SOAP12_NS = 'http://www.w3.org/2003/05/soap-envelope';
const ONVIF_SCOPE = 'onvif://www.onvif.org/';

/** Datagrams are at most 64 KiB; nothing a device should send comes near. */
const DISCOVERY_LIMITS = Object.freeze({ maxBytes: 64 * 1024, maxDepth: DEFAULT_XML_LIMITS.maxDepth });

/**
 * A Probe for `types` (space-separated QNames with the `dn:` or `tds:` prefix, both declared):
 * `dn:NetworkVideoTransmitter` for cameras, `tds:Device` for any ONVIF device (door controllers).
 */
export function buildProbe(messageId: string, types = 'dn:NetworkVideoTransmitter'): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    `<s:Envelope xmlns:s="${SOAP12_NS}" xmlns:a="${WSA_2004_NS}" xmlns:d="${WSD_NS}"` +
    ` xmlns:dn="${DN_NS}" xmlns:tds="${TDS_NS}">` +
    '<s:Header>' +
    `<a:MessageID>${escapeXml(messageId)}</a:MessageID>` +
    '<a:To s:mustUnderstand="1">urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To>' +
    `<a:Action s:mustUnderstand="1">${WSD_NS}/Probe</a:Action>` +
    '</s:Header>' +
    `<s:Body><d:Probe><d:Types>${escapeXml(types)}</d:Types><d:Scopes/></d:Probe></s:Body>` +
    '</s:Envelope>'
  );
}

export interface ProbeMatch {
  /** EndpointReference/Address: the device's stable identity (`urn:uuid:…`). */
  endpoint: string;
  /** QNames; `dn:` and `tds:` written so whatever prefixes the device used. */
  types: string[];
  scopes: string[];
  /** Service addresses (device service URLs). */
  xaddrs: string[];
  metadataVersion?: number;
  /** From the `onvif://www.onvif.org/name/…`, `…/hardware/…`, `…/location/…` scopes, percent-decoded. */
  name?: string;
  hardware?: string;
  location?: string;
  /** Header RelatesTo: the MessageID of the probe this answers. */
  relatesTo?: string;
}

/** The ProbeMatch entries of a ProbeMatches message. Throws OnvifXmlError (or SoapFaultError). */
export function parseProbeMatches(xml: string): ProbeMatch[] {
  const { header, body } = parseSoapEnvelope(xml, DISCOVERY_LIMITS);
  if (body.name !== 'ProbeMatches')
    throw new OnvifXmlError('unexpected-body', `expected ProbeMatches, got <${body.name}>`);
  const relatesTo = childOf(header, 'RelatesTo')?.text.trim();
  const matches: ProbeMatch[] = [];
  for (const match of body.children) {
    if (match.name !== 'ProbeMatch') continue;
    const endpoint = childOf(childOf(match, 'EndpointReference'), 'Address')?.text.trim() ?? '';
    if (endpoint === '') continue;
    const scopes = words(childOf(match, 'Scopes'));
    const entry: ProbeMatch = {
      endpoint,
      types: words(childOf(match, 'Types')).map((t) => normaliseType(t, childOf(match, 'Types'))),
      scopes,
      xaddrs: words(childOf(match, 'XAddrs')),
      ...scopeValues(scopes),
    };
    const version = childOf(match, 'MetadataVersion')?.text.trim();
    if (version !== undefined && /^\d{1,10}$/.test(version)) entry.metadataVersion = Number(version);
    if (relatesTo !== undefined && relatesTo !== '') entry.relatesTo = relatesTo;
    matches.push(entry);
  }
  return matches;
}

function words(element: SoapElement | undefined): string[] {
  return element === undefined ? [] : element.text.split(/\s+/).filter((w) => w !== '');
}

function normaliseType(qname: string, element: SoapElement | undefined): string {
  const { local, ns } = resolveQName(qname, element?.prefixes ?? {});
  if (ns === DN_NS) return `dn:${local}`;
  if (ns === TDS_NS) return `tds:${local}`;
  return qname;
}

/** name, hardware and location: the first scope of each; location keeps its `/` levels. */
function scopeValues(scopes: readonly string[]): Pick<ProbeMatch, 'name' | 'hardware' | 'location'> {
  const values: Pick<ProbeMatch, 'name' | 'hardware' | 'location'> = {};
  for (const scope of scopes) {
    if (!scope.toLowerCase().startsWith(ONVIF_SCOPE)) continue;
    const [category, ...rest] = scope.slice(ONVIF_SCOPE.length).split('/');
    const key = category?.toLowerCase();
    if (
      (key === 'name' || key === 'hardware' || key === 'location') &&
      values[key] === undefined &&
      rest.length > 0
    )
      values[key] = rest.map(percentDecode).join('/');
  }
  return values;
}

function percentDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
