import { VIDEO_SOURCE_TOKEN } from './identity.js';
import { type TemperatureTopic, TOPICS } from './topics.js';
import { CONCRETE_SET, escapeXml } from './xml.js';

/**
 * One ONVIF event (a `tt:Message` with its topic), kept as data until it is written into a
 * PullMessagesResponse for a particular subscription. Values are strings exactly as they go on
 * the wire ("309.75", "true", "京A01234"), so what a test injects is what it reads back.
 */
export interface EventMessage {
  topic: string;
  /** Camera clock, xs:dateTime. */
  utcTime: string;
  propertyOperation?: 'Initialized' | 'Changed' | 'Deleted';
  source: readonly (readonly [name: string, value: string])[];
  data: readonly (readonly [name: string, value: string])[];
  /** ElementItems: name and the element's XML. */
  elements?: readonly (readonly [name: string, xml: string])[];
}

export const RULES = {
  mask: 'MaskDetectionRule',
  body: 'BodyTemperatureRule',
  plate: 'PlateRecognitionRule',
} as const;
const ANALYTICS_CONFIGURATION = 'VideoAnalyticsConfig_1';

/** Celsius (0.01 resolution) to the Kelvin text the radiometry events carry, e.g. 36.6 → "309.75". */
export function kelvinText(celsius: number): string {
  return (Math.round(celsius * 100) / 100 + 273.15).toFixed(2);
}

export function maskMessage(objectId: number, mask: boolean, utcTime: string): EventMessage {
  return {
    topic: TOPICS.mask,
    utcTime,
    source: [
      ['VideoSourceToken', VIDEO_SOURCE_TOKEN],
      ['RuleName', RULES.mask],
    ],
    data: [
      ['ObjectId', String(objectId)],
      ['Mask', String(mask)],
    ],
  };
}

export interface TemperatureReading {
  objectId: number;
  /** Measured (calibration drift included). */
  celsius: number;
  /** At or over the camera's alarm threshold. */
  alarm: boolean;
}

/** The temperature of one person in the configured form (see topics.ts). */
export function temperatureMessage(
  form: TemperatureTopic,
  reading: TemperatureReading,
  utcTime: string,
  propertyOperation: 'Initialized' | 'Changed' = 'Changed',
): EventMessage {
  const id = String(reading.objectId);
  const kelvin = kelvinText(reading.celsius);
  if (form === 'body') {
    return {
      topic: TOPICS.body,
      utcTime,
      propertyOperation,
      source: [
        ['VideoSource', VIDEO_SOURCE_TOKEN],
        ['RuleName', RULES.body],
      ],
      data: [
        ['State', String(reading.alarm)],
        ['ObjectId', id],
        ['Temperature', kelvin],
      ],
    };
  }
  const element =
    form === 'spot'
      ? `<ttr:SpotTemperatureReading ItemID="${id}" SpotTemperature="${kelvin}"/>`
      : `<ttr:BoxTemperatureReading ItemID="${id}" MaxTemperature="${kelvin}"` +
        ` MinTemperature="${kelvinText(reading.celsius - 3.5)}"` +
        ` AverageTemperature="${kelvinText(reading.celsius - 1.2)}"/>`;
  return {
    topic: form === 'spot' ? TOPICS.spot : TOPICS.box,
    utcTime,
    source: [
      ['VideoSourceToken', VIDEO_SOURCE_TOKEN],
      ['VideoAnalyticsConfigurationToken', ANALYTICS_CONFIGURATION],
      ['AnalyticsModuleName', form === 'spot' ? 'RadiometrySpot' : 'RadiometryBox'],
    ],
    data: [['TimeStamp', utcTime]],
    elements: [['Reading', element]],
  };
}

/** The BodyTemperatureAlarm property as first sent to a subscription (Core: `Initialized`). */
export function bodyAlarmInitialized(last: TemperatureReading | undefined, utcTime: string): EventMessage {
  if (last) return temperatureMessage('body', last, utcTime, 'Initialized');
  return {
    topic: TOPICS.body,
    utcTime,
    propertyOperation: 'Initialized',
    source: [
      ['VideoSource', VIDEO_SOURCE_TOKEN],
      ['RuleName', RULES.body],
    ],
    data: [['State', 'false']],
  };
}

export function plateMessage(
  objectId: number,
  plate: string,
  confidence: number,
  utcTime: string,
): EventMessage {
  return {
    topic: TOPICS.plate,
    utcTime,
    source: [
      ['VideoSourceToken', VIDEO_SOURCE_TOKEN],
      ['RuleName', RULES.plate],
    ],
    data: [
      ['PlateNumber', plate],
      ['Confidence', confidence.toFixed(2)],
      ['ObjectId', String(objectId)],
    ],
  };
}

/** A wsnt:NotificationMessage for a subscription (prefixes as declared by soap.ts `envelope`). */
export function notificationXml(message: EventMessage, subscriptionAddress: string): string {
  const simple = (items: EventMessage['source']) =>
    items
      .map(([name, value]) => `<tt:SimpleItem Name="${escapeXml(name)}" Value="${escapeXml(value)}"/>`)
      .join('');
  const elements = (message.elements ?? [])
    .map(([name, xml]) => `<tt:ElementItem Name="${escapeXml(name)}">${xml}</tt:ElementItem>`)
    .join('');
  const operation =
    message.propertyOperation === undefined ? '' : ` PropertyOperation="${message.propertyOperation}"`;
  return (
    '<wsnt:NotificationMessage>' +
    `<wsnt:SubscriptionReference><wsa5:Address>${escapeXml(subscriptionAddress)}</wsa5:Address></wsnt:SubscriptionReference>` +
    `<wsnt:Topic Dialect="${CONCRETE_SET}">${escapeXml(message.topic)}</wsnt:Topic>` +
    `<wsnt:Message><tt:Message UtcTime="${escapeXml(message.utcTime)}"${operation}>` +
    `<tt:Source>${simple(message.source)}</tt:Source>` +
    `<tt:Data>${simple(message.data)}${elements}</tt:Data>` +
    '</tt:Message></wsnt:Message></wsnt:NotificationMessage>'
  );
}
