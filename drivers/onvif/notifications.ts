import { parseXsDateTime } from './codec-values.js';
import { childOf, childrenOf, parseSoap, resolveQName, type SoapElement } from './soap-xml.js';
import { DEFAULT_XML_LIMITS, OnvifXmlError, type XmlLimits } from './xml-guard.js';

/**
 * ONVIF event notifications (Core spec, Event service; protocols.md §5.5) read from the raw
 * PullMessagesResponse, instead of through the `onvif` package's xml2js + `linerase`, which
 * turns "0123" into 123 and "true" into a boolean. Values stay the strings the camera sent.
 *
 * Elements are matched by local name (NotificationMessage, Topic, Message, Source, Key, Data,
 * SimpleItem, ElementItem), whatever their prefix or namespace; the topic's prefixes are resolved
 * through the declarations in scope at the Topic element (see `normaliseTopic`). Hand this the
 * reply as the camera sent it (the package's 'rawResponse' event), not the copy the package hands
 * its callbacks, which has every xmlns declaration removed: topics then keep their written prefix.
 */

export const ONVIF_TOPICS_NS = 'http://www.onvif.org/ver10/topics';

export type PropertyOperation = 'Initialized' | 'Changed' | 'Deleted';

export interface ElementItem {
  /** Local name of the item's element (e.g. SpotTemperatureReading). */
  name: string;
  ns: string;
  attrs: Record<string, string>;
}

export interface OnvifNotification {
  /** ConcreteSet topic, ONVIF topics written `tns1:` (see `normaliseTopic`). */
  topic: string;
  /** tt:Message/@UtcTime, epoch ms; absent when missing or unreadable. */
  utcTime?: number;
  /** Set for property events: Initialized (current state, re-sent after subscribing), Changed, Deleted. */
  operation?: PropertyOperation;
  /** SimpleItems by Name: Value, raw; the first of a repeated Name wins. */
  source: Record<string, string>;
  key: Record<string, string>;
  data: Record<string, string>;
  /** Data ElementItems by Name: the item's (first) child element. */
  elements: Record<string, ElementItem>;
}

export interface SkippedNotification {
  /** 0-based position among the NotificationMessages of the response. */
  index: number;
  reason: string;
}

export interface PullMessagesResult {
  /** Camera clock, epoch ms. */
  currentTime?: number;
  terminationTime?: number;
  notifications: OnvifNotification[];
  /** How many NotificationMessages were left out (their neighbours are kept)... */
  skipped: number;
  /** ...and why, each. */
  skippedReasons: SkippedNotification[];
}

const OPERATIONS: ReadonlySet<string> = new Set(['Initialized', 'Changed', 'Deleted']);

/**
 * Reads a PullMessagesResponse (or a base-notification Notify, which carries the same messages).
 * Throws OnvifXmlError for a reply the guard refuses, that is not SOAP, or whose body is another
 * answer (`unexpected-body`); SoapFaultError for a fault. A malformed NotificationMessage is
 * skipped and counted in `skipped` (why in `skippedReasons`), never the whole response.
 */
export function parsePullMessagesResponse(
  xml: string,
  limits: XmlLimits = DEFAULT_XML_LIMITS,
): PullMessagesResult {
  const body = parseSoap(xml, limits);
  if (body.name !== 'PullMessagesResponse' && body.name !== 'Notify')
    throw new OnvifXmlError('unexpected-body', `expected a PullMessagesResponse, got <${body.name}>`);
  const result: PullMessagesResult = { notifications: [], skipped: 0, skippedReasons: [] };
  const currentTime = timeOf(childOf(body, 'CurrentTime'));
  const terminationTime = timeOf(childOf(body, 'TerminationTime'));
  if (currentTime !== undefined) result.currentTime = currentTime;
  if (terminationTime !== undefined) result.terminationTime = terminationTime;
  childrenOf(body, 'NotificationMessage').forEach((message, index) => {
    const read = readNotificationMessage(message);
    if (typeof read === 'string') {
      result.skipped++;
      result.skippedReasons.push({ index, reason: read });
    } else result.notifications.push(read);
  });
  return result;
}

/** One wsnt:NotificationMessage, or why it cannot be used. */
export function readNotificationMessage(element: SoapElement): OnvifNotification | string {
  const topicElement = childOf(element, 'Topic');
  if (topicElement === undefined) return 'no Topic';
  const topic = normaliseTopic(topicElement.text.trim(), topicElement.prefixes);
  if (topic === '') return 'empty Topic';
  const wrapper = childOf(element, 'Message');
  if (wrapper === undefined) return `no Message (topic ${topic})`;
  const message = childOf(wrapper, 'Message');
  if (message === undefined) return `Message holds no tt:Message (topic ${topic})`;
  const notification: OnvifNotification = {
    topic,
    source: simpleItems(childOf(message, 'Source')),
    key: simpleItems(childOf(message, 'Key')),
    data: simpleItems(childOf(message, 'Data')),
    elements: elementItems(childOf(message, 'Data')),
  };
  const utcTime = message.attrs.UtcTime === undefined ? undefined : parseXsDateTime(message.attrs.UtcTime);
  if (utcTime !== undefined) notification.utcTime = utcTime;
  const operation = message.attrs.PropertyOperation?.trim();
  if (operation !== undefined && OPERATIONS.has(operation))
    notification.operation = operation as PropertyOperation;
  return notification;
}

/**
 * A ConcreteSet topic with each path segment's prefix resolved through `scope`: a prefix bound to
 * the ONVIF topics namespace is written `tns1:` whatever the camera called it; another bound
 * prefix stays as written, unless it is `tns1` bound elsewhere, then `{uri}` is written instead;
 * an undeclared prefix stays as written. `ns1:RuleEngine/ns1:Radiometry/X` → `tns1:RuleEngine/Radiometry/X`.
 */
export function normaliseTopic(topic: string, scope: Readonly<Record<string, string>>): string {
  // The namespace of the segment before: a child written in its parent's namespace needs no prefix.
  let parentNs: string | undefined;
  return topic
    .split('/')
    .map((segment, i) => {
      if (segment.indexOf(':') < 0) return segment;
      const { prefix, local, ns } = resolveQName(segment, scope);
      const inParentNs = i > 0 && ns !== undefined && ns === parentNs;
      parentNs = ns ?? `undeclared:${prefix}`;
      if (ns === ONVIF_TOPICS_NS) return inParentNs ? local : `tns1:${local}`;
      return prefix === 'tns1' && ns !== undefined ? `{${ns}}${local}` : segment;
    })
    .join('/');
}

function simpleItems(part: SoapElement | undefined): Record<string, string> {
  const items: Record<string, string> = Object.create(null);
  for (const item of childrenOf(part, 'SimpleItem')) {
    const name = item.attrs.Name;
    if (name !== undefined && !Object.hasOwn(items, name)) items[name] = item.attrs.Value ?? '';
  }
  return items;
}

function elementItems(part: SoapElement | undefined): Record<string, ElementItem> {
  const items: Record<string, ElementItem> = Object.create(null);
  for (const item of childrenOf(part, 'ElementItem')) {
    const name = item.attrs.Name;
    const value = item.children[0];
    if (name !== undefined && value !== undefined && !Object.hasOwn(items, name))
      items[name] = { name: value.name, ns: value.ns, attrs: value.attrs };
  }
  return items;
}

function timeOf(element: SoapElement | undefined): number | undefined {
  return element === undefined ? undefined : parseXsDateTime(element.text);
}
