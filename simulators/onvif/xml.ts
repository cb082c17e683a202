import xml2js from 'xml2js';

/**
 * XML plumbing shared by the ONVIF simulator: the namespaces it declares (protocols.md §5.1),
 * escaping for what it writes, and a reader for what clients send. Requests are read with
 * xml2js (sax in strict mode: a DOCTYPE's entities are never expanded, an undeclared entity is
 * a parse error) with every namespace prefix stripped, so `s:Body`, `env:Body` and `Body` read
 * alike. Routing is by service path and element name, as on a camera with one path per service.
 */
export const NS = {
  env: 'http://www.w3.org/2003/05/soap-envelope',
  wsa5: 'http://www.w3.org/2005/08/addressing',
  tds: 'http://www.onvif.org/ver10/device/wsdl',
  trt: 'http://www.onvif.org/ver10/media/wsdl',
  tev: 'http://www.onvif.org/ver10/events/wsdl',
  tan: 'http://www.onvif.org/ver20/analytics/wsdl',
  tt: 'http://www.onvif.org/ver10/schema',
  tns1: 'http://www.onvif.org/ver10/topics',
  ttr: 'http://www.onvif.org/ver20/analytics/radiometry',
  wsnt: 'http://docs.oasis-open.org/wsn/b-2',
  wstop: 'http://docs.oasis-open.org/wsn/t-1',
  wsntw: 'http://docs.oasis-open.org/wsn/bw-2',
  'wsrf-rw': 'http://docs.oasis-open.org/wsrf/rw-2',
  ter: 'http://www.onvif.org/ver10/error',
  xs: 'http://www.w3.org/2001/XMLSchema',
} as const;

/** `xmlns:p="…"` for every namespace above, for an Envelope start tag. */
export const NS_DECLARATIONS = Object.entries(NS)
  .map(([prefix, uri]) => `xmlns:${prefix}="${uri}"`)
  .join(' ');

/** The ConcreteSet topic dialect ONVIF uses in Topic elements and filters. */
export const CONCRETE_SET = 'http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet';

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

/** Escapes text or an attribute value; UTF-8 text (a plate's 京) passes unchanged. */
export function escapeXml(value: string | number | boolean): string {
  return String(value).replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

/** An element of a parsed request: children by local name, attributes under `$`, text under `_`. */
export type XmlNode = Record<string, unknown>;

/** Parses a request document; throws on anything that is not well-formed XML. */
export async function parseXml(text: string): Promise<XmlNode> {
  const parsed: unknown = await xml2js.parseStringPromise(text, {
    explicitArray: false,
    tagNameProcessors: [xml2js.processors.stripPrefix],
    attrNameProcessors: [xml2js.processors.stripPrefix],
  });
  if (!isNode(parsed)) throw new Error('empty document');
  return parsed;
}

export function isNode(value: unknown): value is XmlNode {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The first child element called `name` (xml2js makes repeated children an array). */
export function child(node: unknown, name: string): unknown {
  if (!isNode(node)) return undefined;
  const value = node[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Follows a path of child names. */
export function path(node: unknown, ...names: string[]): unknown {
  let at = node;
  for (const name of names) at = child(at, name);
  return at;
}

/** Text content of an element (an element with attributes keeps its text under `_`). */
export function text(node: unknown): string | undefined {
  if (typeof node === 'string') return node;
  if (isNode(node) && typeof node._ === 'string') return node._;
  if (isNode(node)) return '';
  return undefined;
}

export function attribute(node: unknown, name: string): string | undefined {
  if (!isNode(node) || !isNode(node.$)) return undefined;
  const value = node.$[name];
  return typeof value === 'string' ? value : undefined;
}

/** Names of an element's child elements, in document order. */
export function childNames(node: unknown): string[] {
  if (!isNode(node)) return [];
  return Object.keys(node).filter((key) => key !== '$' && key !== '_');
}
