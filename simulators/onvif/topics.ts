import { faults, SoapFault } from './soap.js';
import { CONCRETE_SET } from './xml.js';

/**
 * The event topics the simulated cameras publish (protocols.md §5.6), their message
 * descriptions for GetEventProperties, and the ConcreteSet topic filter a subscription may
 * carry. A thermal camera publishes the mask topic and one temperature topic (chosen by
 * configuration, so a gateway can be tested against each way cameras report temperature);
 * a plate camera publishes the plate topic.
 */
export const TOPICS = {
  mask: 'tns1:RuleEngine/MaskDetection/Mask',
  body: 'tns1:RuleEngine/Radiometry/BodyTemperatureAlarm',
  spot: 'tns1:VideoAnalytics/Radiometry/SpotTemperatureReading',
  box: 'tns1:VideoAnalytics/Radiometry/BoxTemperatureReading',
  plate: 'tns1:RuleEngine/LicensePlateRecognition/Plate',
} as const;

export type TopicName = keyof typeof TOPICS;
export type TemperatureTopic = 'body' | 'spot' | 'box';

type ItemDescription = readonly [name: string, type: string];
interface MessageDescription {
  isProperty: boolean;
  source: readonly ItemDescription[];
  data: readonly ItemDescription[];
  elements?: readonly ItemDescription[];
}

const RULE_SOURCE: readonly ItemDescription[] = [
  ['VideoSourceToken', 'tt:ReferenceToken'],
  ['RuleName', 'xs:string'],
];
const MODULE_SOURCE: readonly ItemDescription[] = [
  ['VideoSourceToken', 'tt:ReferenceToken'],
  ['VideoAnalyticsConfigurationToken', 'tt:ReferenceToken'],
  ['AnalyticsModuleName', 'xs:string'],
];

const DESCRIPTIONS: Record<TopicName, MessageDescription> = {
  mask: {
    isProperty: false,
    source: RULE_SOURCE,
    data: [
      ['ObjectId', 'xs:integer'],
      ['Mask', 'xs:boolean'],
    ],
  },
  body: {
    isProperty: true,
    source: [
      ['VideoSource', 'tt:ReferenceToken'],
      ['RuleName', 'xs:string'],
    ],
    data: [
      ['State', 'xs:boolean'],
      ['ObjectId', 'xs:integer'],
      ['Temperature', 'xs:float'],
    ],
  },
  spot: {
    isProperty: false,
    source: MODULE_SOURCE,
    data: [['TimeStamp', 'xs:dateTime']],
    elements: [['Reading', 'ttr:SpotTemperatureReading']],
  },
  box: {
    isProperty: false,
    source: MODULE_SOURCE,
    data: [['TimeStamp', 'xs:dateTime']],
    elements: [['Reading', 'ttr:BoxTemperatureReading']],
  },
  plate: {
    isProperty: false,
    source: RULE_SOURCE,
    data: [
      ['PlateNumber', 'xs:string'],
      ['Confidence', 'xs:float'],
      ['ObjectId', 'xs:integer'],
    ],
  },
};

/** A wstop:TopicSet listing `names`, nested by path as ONVIF devices write it. */
export function topicSetXml(names: readonly TopicName[]): string {
  interface Tree {
    children: Map<string, Tree>;
    leaf?: MessageDescription;
  }
  const root: Tree = { children: new Map() };
  for (const name of names) {
    let at = root;
    for (const segment of TOPICS[name].split('/')) {
      const local = segment.replace(/^.*:/, '');
      const next = at.children.get(local) ?? { children: new Map() };
      at.children.set(local, next);
      at = next;
    }
    at.leaf = DESCRIPTIONS[name];
  }
  const render = (tree: Tree): string =>
    [...tree.children]
      .map(([local, node]) => {
        const mark = node.leaf ? ' wstop:topic="true"' : '';
        const body = (node.leaf ? describe(node.leaf) : '') + render(node);
        return `<tns1:${local}${mark}>${body}</tns1:${local}>`;
      })
      .join('');
  return `<wstop:TopicSet>${render(root)}</wstop:TopicSet>`;
}

function describe(d: MessageDescription): string {
  const items = (tag: string, list: readonly ItemDescription[] | undefined) =>
    (list ?? []).map(([name, type]) => `<tt:${tag} Name="${name}" Type="${type}"/>`).join('');
  return (
    `<tt:MessageDescription IsProperty="${d.isProperty}">` +
    `<tt:Source>${items('SimpleItemDescription', d.source)}</tt:Source>` +
    `<tt:Data>${items('SimpleItemDescription', d.data)}${items('ElementItemDescription', d.elements)}</tt:Data>` +
    '</tt:MessageDescription>'
  );
}

/** Does a topic pass a subscription's filter. */
export type TopicFilter = (topic: string) => boolean;

const DIALECTS = new Set([CONCRETE_SET, 'http://docs.oasis-open.org/wsn/t-1/TopicExpression/Concrete']);

/**
 * A ConcreteSet expression (`TopicPath ('|' TopicPath)*`, a path ending in `//.` takes its
 * subtree). Prefixes are compared away (tns1 is the only topic namespace here). No expression
 * passes everything; an unknown dialect is the WS-BaseNotification fault.
 */
export function topicFilter(expression: string | undefined, dialect: string | undefined): TopicFilter {
  if (expression === undefined || expression.trim() === '') return () => true;
  if (dialect !== undefined && !DIALECTS.has(dialect))
    throw new SoapFault('Sender', 'wsntw:TopicExpressionDialectUnknownFault', `Unknown dialect ${dialect}`);
  const paths = expression.split('|').map((p) => p.trim());
  if (paths.some((p) => p === '' || /\s/.test(p))) throw faults.invalidArgVal('topic expression');
  const wanted = paths.map((p) =>
    p.endsWith('//.')
      ? { path: localPath(p.slice(0, -3)), subtree: true }
      : { path: localPath(p), subtree: false },
  );
  return (topic) => {
    const local = localPath(topic);
    return wanted.some((w) => local === w.path || (w.subtree && local.startsWith(`${w.path}/`)));
  };
}

function localPath(topic: string): string {
  return topic
    .split('/')
    .map((segment) => segment.replace(/^.*:/, ''))
    .join('/');
}
