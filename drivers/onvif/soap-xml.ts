import xml2js from 'xml2js';
import { DEFAULT_XML_LIMITS, OnvifXmlError, XmlGuard, type XmlLimits } from './xml-guard.js';

/**
 * SOAP replies as a small namespace-resolved tree. Every document goes through the XmlGuard first
 * (size, depth, no DTD), then through xml2js in synchronous mode with no value processing:
 * attribute values and text stay the strings the camera sent ("0123" stays "0123").
 *
 * Namespace prefixes are resolved here, from the `xmlns` declarations in scope, not by xml2js: a
 * prefix with no declaration resolves to '' instead of failing the document, because cameras are
 * sloppy and because the `onvif` package hands its callbacks the reply with every `xmlns`
 * declaration deleted (the unchanged reply is its 'rawResponse' event). Lookups by local name
 * (`childOf`) work on either.
 */

export const SOAP12_NS = 'http://www.w3.org/2003/05/soap-envelope';
export const SOAP11_NS = 'http://schemas.xmlsoap.org/soap/envelope/';
const XML_NS = 'http://www.w3.org/XML/1998/namespace';

export interface SoapElement {
  /** Namespace URI; '' for none or an undeclared prefix. */
  ns: string;
  /** Local name (no prefix). */
  name: string;
  /** Attributes by local name (the first wins if two prefixes share one), xmlns declarations excluded. */
  attrs: Record<string, string>;
  /** The element's own text, raw (whitespace kept); text around child elements is joined. */
  text: string;
  children: SoapElement[];
  /** Prefix → namespace URI in scope here ('' is the default namespace): for QName values. */
  prefixes: Readonly<Record<string, string>>;
}

/** The body was a SOAP fault. `code`/`subcodes` are QNames as written (`env:Sender`, `ter:NotAuthorized`). */
export class SoapFaultError extends Error {
  constructor(
    readonly code: string | undefined,
    /** The outermost subcode (SOAP 1.2), the one ONVIF's `ter:` codes use. */
    readonly subcode: string | undefined,
    readonly reason: string | undefined,
    readonly detail: string | undefined,
    /** Every subcode, outermost first. */
    readonly subcodes: readonly string[] = subcode === undefined ? [] : [subcode],
  ) {
    const what = [code, ...subcodes].filter((c) => c !== undefined).join(' / ');
    super(`SOAP fault ${what || '(no code)'}: ${clip(reason ?? 'no reason given', 200)}`);
    this.name = 'SoapFaultError';
  }
}

const PARSER_OPTIONS: xml2js.ParserOptions = Object.freeze({
  async: false,
  strict: true,
  xmlns: false,
  explicitRoot: true,
  explicitArray: true,
  explicitChildren: true,
  preserveChildrenOrder: true,
  charsAsChildren: false,
  includeWhiteChars: true,
  explicitCharkey: true,
  trim: false,
  normalize: false,
  normalizeTags: false,
  attrkey: '$',
  charkey: '_',
  childkey: '$$',
  emptyTag: () => ({}),
});

interface RawNode {
  '#name'?: string;
  $?: Record<string, string>;
  _?: unknown;
  $$?: RawNode[];
}

/** Checks `xml` with the guard, parses it, and returns its root element. Throws OnvifXmlError. */
export function parseXml(xml: string, limits: XmlLimits = DEFAULT_XML_LIMITS): SoapElement {
  const guard = new XmlGuard(limits);
  guard.feed(xml);
  guard.end();
  let result: unknown;
  let failure: unknown;
  try {
    // Synchronous: the callback has run when parseString returns. Nothing is thrown inside it
    // (xml2js would call it a second time with that error).
    xml2js.parseString(xml, PARSER_OPTIONS, (err: unknown, out: unknown) => {
      failure ??= err ?? undefined;
      result ??= out ?? undefined;
    });
  } catch (err) {
    failure ??= err;
  }
  if (failure !== undefined || result === undefined || result === null || typeof result !== 'object')
    throw new OnvifXmlError('malformed', `not well-formed XML: ${describeFailure(failure)}`);
  const [rootName, rootNode] = Object.entries(result as Record<string, RawNode>)[0] ?? [];
  if (rootName === undefined || rootNode === undefined)
    throw new OnvifXmlError('malformed', 'not well-formed XML: no root element');
  return toTree(rootName, typeof rootNode === 'object' ? rootNode : {});
}

/** The envelope's Header (if any) and the Body's first element. Throws OnvifXmlError or SoapFaultError. */
export function parseSoapEnvelope(
  xml: string,
  limits: XmlLimits = DEFAULT_XML_LIMITS,
): { header?: SoapElement; body: SoapElement } {
  const root = parseXml(xml, limits);
  if (root.name !== 'Envelope' || ![SOAP12_NS, SOAP11_NS, ''].includes(root.ns))
    throw new OnvifXmlError('not-soap', `the root element is <${describe(root)}>, not a SOAP Envelope`);
  const body = childOf(root, 'Body');
  if (body === undefined) throw new OnvifXmlError('not-soap', 'the SOAP Envelope has no Body');
  const first = body.children[0];
  if (first === undefined) throw new OnvifXmlError('not-soap', 'the SOAP Body is empty');
  if (first.name === 'Fault') throw readFault(first);
  const header = childOf(root, 'Header');
  return header === undefined ? { body: first } : { header, body: first };
}

/** The Body's first element. Throws OnvifXmlError, or SoapFaultError when the body is a fault. */
export function parseSoap(xml: string, limits: XmlLimits = DEFAULT_XML_LIMITS): SoapElement {
  return parseSoapEnvelope(xml, limits).body;
}

/** The first child with local name `name` (any namespace). */
export function childOf(element: SoapElement | undefined, name: string): SoapElement | undefined {
  return element?.children.find((c) => c.name === name);
}

export function childrenOf(element: SoapElement | undefined, name: string): SoapElement[] {
  return element?.children.filter((c) => c.name === name) ?? [];
}

/** The element's text content, its descendants' included, in document order. */
export function textContent(element: SoapElement): string {
  const parts: string[] = [];
  const stack: SoapElement[] = [element];
  for (let e = stack.pop(); e !== undefined; e = stack.pop()) {
    parts.push(e.text);
    for (let i = e.children.length - 1; i >= 0; i--) stack.push(e.children[i] as SoapElement);
  }
  return parts.join('');
}

/** Splits a QName value (`tns1:RuleEngine`) into prefix, local part and the URI bound in `scope`. */
export function resolveQName(
  qname: string,
  scope: Readonly<Record<string, string>>,
): { prefix: string; local: string; ns: string | undefined } {
  const colon = qname.indexOf(':');
  const prefix = colon < 0 ? '' : qname.slice(0, colon);
  const local = colon < 0 ? qname : qname.slice(colon + 1);
  const ns = prefix === 'xml' ? XML_NS : Object.hasOwn(scope, prefix) ? scope[prefix] : undefined;
  return { prefix, local, ns };
}

function toTree(rootName: string, rootNode: RawNode): SoapElement {
  const root = element(rootName, rootNode, Object.freeze(Object.create(null)));
  const pending: Array<[SoapElement, RawNode]> = [[root, rootNode]];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [parent, node] = next;
    for (const child of node.$$ ?? []) {
      const converted = element(child['#name'] ?? '', child, parent.prefixes);
      parent.children.push(converted);
      pending.push([converted, child]);
    }
  }
  return root;
}

function element(qname: string, node: RawNode, inherited: Readonly<Record<string, string>>): SoapElement {
  const attrs: Record<string, string> = Object.create(null);
  let declared: Record<string, string> | undefined;
  for (const [name, value] of Object.entries(node.$ ?? {})) {
    if (name === 'xmlns' || name.startsWith('xmlns:')) {
      declared ??= Object.create(null) as Record<string, string>;
      declared[name === 'xmlns' ? '' : name.slice(6)] = String(value);
    } else {
      const local = name.slice(name.indexOf(':') + 1);
      if (!Object.hasOwn(attrs, local)) attrs[local] = String(value);
    }
  }
  const prefixes =
    declared === undefined
      ? inherited
      : Object.freeze(Object.assign(Object.create(null), inherited, declared));
  const { local, ns } = resolveQName(qname, prefixes);
  return {
    ns: ns ?? '',
    name: local,
    attrs,
    text: typeof node._ === 'string' ? node._ : '',
    children: [],
    prefixes,
  };
}

function readFault(fault: SoapElement): SoapFaultError {
  const text = (e: SoapElement | undefined) => {
    const t = e === undefined ? '' : textContent(e).trim();
    return t === '' ? undefined : t;
  };
  // SOAP 1.2: Code/Value, Code/Subcode/Value (nested), Reason/Text, Detail.
  const code = childOf(fault, 'Code');
  const subcodes: string[] = [];
  for (let sub = childOf(code, 'Subcode'); sub !== undefined; sub = childOf(sub, 'Subcode')) {
    const value = text(childOf(sub, 'Value'));
    if (value !== undefined) subcodes.push(value);
  }
  const detail = childOf(fault, 'Detail') ?? childOf(fault, 'detail');
  return new SoapFaultError(
    text(childOf(code, 'Value')) ?? text(childOf(fault, 'faultcode')),
    subcodes[0],
    text(childOf(childOf(fault, 'Reason'), 'Text')) ?? text(childOf(fault, 'faultstring')),
    detail === undefined ? undefined : clip(text(detail) ?? '', 500) || undefined,
    subcodes,
  );
}

function describe(e: SoapElement): string {
  return e.ns === '' ? e.name : `${e.name} xmlns="${e.ns}"`;
}

function describeFailure(err: unknown): string {
  if (err === undefined) return 'no root element';
  const message = err instanceof Error ? err.message : String(err);
  return clip(message.replace(/\s*\n\s*/g, ', '), 200);
}

function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max)}…`;
}
