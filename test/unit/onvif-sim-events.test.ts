/**
 * The ONVIF simulator's pull-point event service (simulators/onvif/event-service.ts and
 * pull-points.ts) on a hand-moved clock: termination times relative and absolute, held pulls
 * woken by events or ended by their Timeout (capped at a minute), the older of two concurrent
 * pulls answered empty, expiry, Renew/Unsubscribe, bounded queues, limits and topic filters.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { EventService } from '../../simulators/onvif/event-service.js';
import { maskMessage, plateMessage } from '../../simulators/onvif/notifications.js';
import { PullPointHub } from '../../simulators/onvif/pull-points.js';
import { parseEnvelope, type SoapCall, SoapFault, type SoapReply } from '../../simulators/onvif/soap.js';
import { parseXml, path, text } from '../../simulators/onvif/xml.js';
import { parseDuration, parseTerminationTime } from '../../simulators/onvif/xs-time.js';
import { ManualClock } from '../helpers/manual-clock.js';

const T0 = Date.parse('2024-05-01T08:00:00Z');
const SKEW_MS = 30_000;
const TEV = 'xmlns="http://www.onvif.org/ver10/events/wsdl"';
const WSNT = 'xmlns="http://docs.oasis-open.org/wsn/b-2"';

let clock: ManualClock;
let hub: PullPointHub;
let service: EventService;

beforeEach(() => {
  clock = new ManualClock(T0);
  hub = new PullPointHub({ clock, maxPullPoints: 3, maxQueue: 5 });
  service = new EventService({
    hub,
    clock,
    skewMs: () => SKEW_MS,
    topics: () => ['mask', 'body'],
    initialMessages: () => [],
    takeHostileReply: () => undefined,
  });
});

async function soap(
  target: string,
  bodyXml: string,
  signal = new AbortController().signal,
): Promise<unknown> {
  const parsed = await parseEnvelope(
    `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>${bodyXml}</s:Body></s:Envelope>`,
  );
  const call: SoapCall = { ...parsed, path: target, baseUrl: 'http://cam', signal };
  const reply: SoapReply =
    target === 'events'
      ? service.handleService(call)
      : await service.handleSubscription(call, target.replace('sub/', ''));
  if (!('body' in reply)) throw new Error('streamed reply');
  return path(await parseXml(reply.body.toString()), 'Envelope', 'Body');
}

async function fault(run: Promise<unknown>): Promise<string | undefined> {
  try {
    await run;
  } catch (err) {
    if (err instanceof SoapFault) return err.subcode;
    throw err;
  }
  return 'no fault';
}

async function subscribe(initial = 'PT60S', filter = ''): Promise<string> {
  const body = await soap(
    'events',
    `<CreatePullPointSubscription ${TEV}>${filter}<InitialTerminationTime>${initial}</InitialTerminationTime></CreatePullPointSubscription>`,
  );
  const address = text(path(body, 'CreatePullPointSubscriptionResponse', 'SubscriptionReference', 'Address'));
  return `sub/${address?.split('/').pop()}`;
}

const pull = (sub: string, timeout = 'PT10S', limit = 10, signal?: AbortSignal) =>
  soap(
    sub,
    `<PullMessages ${TEV}><Timeout>${timeout}</Timeout><MessageLimit>${limit}</MessageLimit></PullMessages>`,
    signal,
  );

const notifications = (body: unknown): unknown[] => {
  const found = path(body, 'PullMessagesResponse') as Record<string, unknown> | undefined;
  const list = found?.NotificationMessage;
  return list === undefined ? [] : Array.isArray(list) ? list : [list];
};

const objectIds = (body: unknown) =>
  notifications(body).map((n) => {
    const items = path(n, 'Message', 'Message', 'Data') as {
      SimpleItem: { $: { Name: string; Value: string } }[];
    };
    return items.SimpleItem.find((i) => i.$.Name === 'ObjectId')?.$.Value;
  });

const mask = (id: number) => maskMessage(id, true, '2024-05-01T08:00:30.000Z');

/** Lets pending promise callbacks run (the service awaits between steps). */
const settle = () => new Promise((r) => setImmediate(r));

describe('subscriptions', () => {
  it('takes relative and absolute termination times on the camera clock', async () => {
    const body = await soap(
      'events',
      `<CreatePullPointSubscription ${TEV}><InitialTerminationTime>PT2M</InitialTerminationTime></CreatePullPointSubscription>`,
    );
    const response = path(body, 'CreatePullPointSubscriptionResponse');
    expect(text(path(response, 'CurrentTime'))).toBe('2024-05-01T08:00:30.000Z');
    expect(text(path(response, 'TerminationTime'))).toBe('2024-05-01T08:02:30.000Z');
    const absolute = await subscribe('2024-05-01T08:01:30Z');
    expect(hub.get(absolute.slice(4))?.terminationMs).toBe(T0 + 60_000);
    expect(await fault(subscribe('PT'))).toBe('wsntw:UnacceptableInitialTerminationTimeFault');
    expect(await fault(subscribe('2024-05-01T08:00:10Z'))).toBe(
      'wsntw:UnacceptableInitialTerminationTimeFault',
    );
  });

  it('expires at the termination time: then every call is ResourceUnknown', async () => {
    const sub = await subscribe('PT10S');
    clock.advance(9_999);
    expect(hub.size).toBe(1);
    clock.advance(1);
    expect(hub.size).toBe(0);
    expect(await fault(pull(sub))).toBe('wsrf-rw:ResourceUnknownFault');
    expect(
      await fault(soap('sub/nonsense', `<Renew ${WSNT}><TerminationTime>PT1M</TerminationTime></Renew>`)),
    ).toBe('wsrf-rw:ResourceUnknownFault');
  });

  it('renews relative or absolute, and unsubscribes', async () => {
    const sub = await subscribe('PT10S');
    await soap(sub, `<Renew ${WSNT}><TerminationTime>PT2M</TerminationTime></Renew>`);
    expect(hub.get(sub.slice(4))?.terminationMs).toBe(T0 + 120_000);
    const body = await soap(
      sub,
      `<Renew ${WSNT}><TerminationTime>2024-05-01T08:00:50Z</TerminationTime></Renew>`,
    );
    expect(text(path(body, 'RenewResponse', 'TerminationTime'))).toBe('2024-05-01T08:00:50.000Z');
    expect(hub.get(sub.slice(4))?.terminationMs).toBe(T0 + 20_000);
    expect(await fault(soap(sub, `<Renew ${WSNT}><TerminationTime>soon</TerminationTime></Renew>`))).toBe(
      'wsntw:UnacceptableTerminationTimeFault',
    );
    await soap(sub, `<Unsubscribe ${WSNT}/>`);
    expect(await fault(pull(sub))).toBe('wsrf-rw:ResourceUnknownFault');
  });

  it('refuses more pull points than it has', async () => {
    await subscribe();
    await subscribe();
    await subscribe();
    expect(await fault(subscribe())).toBe('wsntw:SubscribeCreationFailedFault');
  });

  it('queues only the topics a filter takes', async () => {
    const filter =
      '<Filter><TopicExpression xmlns="http://docs.oasis-open.org/wsn/b-2" Dialect="http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet">' +
      'tns1:RuleEngine/LicensePlateRecognition//.</TopicExpression></Filter>';
    const sub = await subscribe('PT60S', filter);
    expect(hub.publish([mask(1), plateMessage(2, '京A01234', 0.9, '2024-05-01T08:00:30.000Z')])).toBe(1);
    expect(objectIds(await pull(sub))).toEqual(['2']);
  });
});

describe('event properties and synchronization', () => {
  it('lists the published topics as a nested topic set', async () => {
    const body = await soap('events', `<GetEventProperties ${TEV}/>`);
    const set = path(body, 'GetEventPropertiesResponse', 'TopicSet');
    expect(path(set, 'RuleEngine', 'MaskDetection', 'Mask', '$', 'topic')).toBe('true');
    const alarm = path(set, 'RuleEngine', 'Radiometry', 'BodyTemperatureAlarm', 'MessageDescription');
    expect(path(alarm, '$', 'IsProperty')).toBe('true');
    expect(path(set, 'VideoAnalytics')).toBeUndefined();
  });

  it('sends the property states again on SetSynchronizationPoint', async () => {
    const initialized = maskMessage(99, true, '2024-05-01T08:00:30.000Z');
    service = new EventService({
      hub,
      clock,
      skewMs: () => 0,
      topics: () => ['mask'],
      initialMessages: () => [initialized],
      takeHostileReply: () => undefined,
    });
    const sub = await subscribe();
    expect(objectIds(await pull(sub))).toEqual(['99']);
    await soap(sub, `<SetSynchronizationPoint ${TEV}/>`);
    expect(objectIds(await pull(sub))).toEqual(['99']);
  });
});

describe('PullMessages', () => {
  it('answers at once when messages are queued, MessageLimit at a time', async () => {
    const sub = await subscribe();
    hub.publish([mask(1), mask(2), mask(3)]);
    expect(objectIds(await pull(sub, 'PT10S', 2))).toEqual(['1', '2']);
    expect(objectIds(await pull(sub, 'PT10S', 2))).toEqual(['3']);
  });

  it('holds an empty pull until an event arrives', async () => {
    const sub = await subscribe();
    let answered: unknown;
    const waiting = pull(sub, 'PT1M').then((body) => {
      answered = body;
    });
    await settle();
    clock.advance(59_000);
    await settle();
    expect(answered).toBeUndefined();
    hub.publish([mask(7)]);
    await waiting;
    expect(objectIds(answered)).toEqual(['7']);
  });

  it('honours a short Timeout and caps a long one at a minute', async () => {
    const sub = await subscribe();
    let short: unknown;
    void pull(sub, 'PT2S').then((b) => {
      short = b;
    });
    await settle();
    clock.advance(2_000);
    await settle();
    expect(short).toBeDefined();
    expect(notifications(short)).toEqual([]);
    let long: unknown;
    void pull(sub, 'PT10M').then((b) => {
      long = b;
    });
    await settle();
    clock.advance(59_999);
    await settle();
    expect(long).toBeUndefined();
    clock.advance(1);
    await settle();
    expect(long).toBeDefined();
    expect(notifications(long)).toEqual([]);
  });

  it('keeps the subscription alive at least the Timeout after each pull', async () => {
    const sub = await subscribe('PT5S');
    hub.publish([mask(1)]);
    await pull(sub, 'PT1M');
    expect(hub.get(sub.slice(4))?.terminationMs).toBeGreaterThanOrEqual(T0 + 60_000);
  });

  it('answers the older of two concurrent pulls empty', async () => {
    const sub = await subscribe();
    const first = pull(sub, 'PT1M');
    await settle();
    const second = pull(sub, 'PT1M');
    expect(notifications(await first)).toEqual([]);
    hub.publish([mask(4)]);
    expect(objectIds(await second)).toEqual(['4']);
  });

  it('ends a held pull when the client goes away, and on Unsubscribe with ResourceUnknown', async () => {
    const sub = await subscribe();
    const gone = new AbortController();
    const abandoned = pull(sub, 'PT1M', 10, gone.signal);
    await settle();
    expect(hub.all()[0]?.waiting).toBe(true);
    gone.abort();
    await abandoned;
    expect(hub.all()[0]?.waiting).toBe(false);
    const held = fault(pull(sub, 'PT1M'));
    await settle();
    await soap(sub, `<Unsubscribe ${WSNT}/>`);
    expect(await held).toBe('wsrf-rw:ResourceUnknownFault');
  });

  it('drops the oldest messages of a full queue and counts them', async () => {
    const sub = await subscribe();
    hub.publish([1, 2, 3, 4, 5, 6, 7].map(mask));
    expect(hub.dropped).toBe(2);
    expect(objectIds(await pull(sub))).toEqual(['3', '4', '5', '6', '7']);
  });

  it('refuses a missing Timeout or MessageLimit', async () => {
    const sub = await subscribe();
    expect(await fault(soap(sub, `<PullMessages ${TEV}><MessageLimit>1</MessageLimit></PullMessages>`))).toBe(
      'ter:InvalidArgVal',
    );
    expect(await fault(soap(sub, `<PullMessages ${TEV}><Timeout>PT1S</Timeout></PullMessages>`))).toBe(
      'ter:InvalidArgVal',
    );
  });
});

describe('xs:duration and termination times', () => {
  it('reads the forms clients send', () => {
    expect(parseDuration('PT60S')).toBe(60_000);
    expect(parseDuration('PT2M')).toBe(120_000);
    expect(parseDuration('PT1M30.5S')).toBe(90_500);
    expect(parseDuration('P1DT1H')).toBe(25 * 3_600_000);
    for (const bad of ['P', 'PT', '60', '-PT1S', 'PT1H2', '']) expect(parseDuration(bad)).toBeUndefined();
    expect(parseTerminationTime('PT1M', T0)).toBe(T0 + 60_000);
    expect(parseTerminationTime('2024-05-01T16:00:00+08:00', 0)).toBe(T0);
    expect(parseTerminationTime('2024-05-01T08:00:00', 0)).toBeUndefined();
  });
});
