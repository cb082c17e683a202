import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseBoolean, parseDecimal, parseXsDateTime } from '../../drivers/onvif/codec-values.js';
import {
  normaliseTopic,
  ONVIF_TOPICS_NS,
  parsePullMessagesResponse,
} from '../../drivers/onvif/notifications.js';
import {
  childOf,
  parseSoap,
  parseSoapEnvelope,
  SOAP12_NS,
  SoapFaultError,
} from '../../drivers/onvif/soap-xml.js';
import { OnvifXmlError, type OnvifXmlErrorKind } from '../../drivers/onvif/xml-guard.js';

function fixture(name: string): string {
  return readFileSync(new URL(`../fixtures/onvif/${name}`, import.meta.url), 'utf8');
}

const T = (iso: string) => Date.parse(iso);

function xmlErrorKind(run: () => unknown): OnvifXmlErrorKind {
  try {
    run();
  } catch (err) {
    if (err instanceof OnvifXmlError) return err.kind;
    throw err;
  }
  throw new Error('expected an OnvifXmlError');
}

const envelope = (body: string) => `<s:Envelope xmlns:s="${SOAP12_NS}"><s:Body>${body}</s:Body></s:Envelope>`;

describe('parseSoap', () => {
  it('returns the body element as a namespace-resolved tree with raw strings', () => {
    const body = parseSoap(
      envelope(
        '<r:Reply xmlns:r="urn:r" xmlns="urn:default" a="0123" r:b="true"> 0042 <Item x="1"/><r:Item/></r:Reply>',
      ),
    );
    expect(body).toMatchObject({
      ns: 'urn:r',
      name: 'Reply',
      attrs: { a: '0123', b: 'true' },
      text: ' 0042 ',
    });
    expect(body.children.map((c) => [c.ns, c.name])).toEqual([
      ['urn:default', 'Item'],
      ['urn:r', 'Item'],
    ]);
    expect(body.prefixes.r).toBe('urn:r');
  });

  it('keeps attributes and elements named like Object.prototype members as plain data', () => {
    const body = parseSoap(
      envelope('<a constructor="c" toString="t"><hasOwnProperty/><__proto__ x="1"/></a>'),
    );
    expect(body.attrs.constructor).toBe('c');
    expect(body.children.map((c) => c.name)).toEqual(['hasOwnProperty', '__proto__']);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('returns the header too', () => {
    const { header, body } = parseSoapEnvelope(fixture('probe-matches.xml'));
    expect(body.name).toBe('ProbeMatches');
    expect(childOf(header, 'RelatesTo')?.text).toBe('RELATES_TO');
  });

  it('throws SoapFaultError with code, subcode, reason and detail', () => {
    let fault: unknown;
    try {
      parseSoap(fixture('fault-not-authorized.xml'));
    } catch (err) {
      fault = err;
    }
    expect(fault).toBeInstanceOf(SoapFaultError);
    expect(fault).toMatchObject({
      code: 'env:Sender',
      subcode: 'ter:NotAuthorized',
      subcodes: ['ter:NotAuthorized'],
      reason: 'Sender not Authorized',
      detail: 'The action requested requires authorization and the sender is not authorized',
    });
    expect((fault as Error).message).toBe('SOAP fault env:Sender / ter:NotAuthorized: Sender not Authorized');
  });

  it('reads a SOAP 1.1 fault', () => {
    const xml =
      '<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body><e:Fault>' +
      '<faultcode>e:Client</faultcode><faultstring>bad</faultstring></e:Fault></e:Body></e:Envelope>';
    expect(() => parseSoap(xml)).toThrow(SoapFaultError);
    expect(() => parseSoap(xml)).toThrow('SOAP fault e:Client: bad');
  });

  it.each<[string, string, OnvifXmlErrorKind]>([
    ['an HTML page', '<html><body>401</body></html>', 'not-soap'],
    ['an Envelope in another namespace', '<Envelope xmlns="urn:x"><Body><a/></Body></Envelope>', 'not-soap'],
    ['an Envelope without Body', `<s:Envelope xmlns:s="${SOAP12_NS}"><s:Header/></s:Envelope>`, 'not-soap'],
    ['an empty Body', envelope(''), 'not-soap'],
    ['an unterminated document', envelope('<a>').slice(0, -10), 'malformed'],
    ['mismatched tags', envelope('<a></b>'), 'malformed'],
    ['an undefined entity', envelope('<a>&noSuchEntity;</a>'), 'malformed'],
    ['garbage bytes', '\u0000\u0001<<>>&&\uffff', 'malformed'],
    ['an empty string', '', 'malformed'],
    [
      'a DOCTYPE with an external entity',
      `<!DOCTYPE s [<!ENTITY x SYSTEM "file:///etc/passwd">]>${envelope('<a>&x;</a>')}`,
      'doctype',
    ],
    ['deep nesting', envelope('<a>'.repeat(80) + '</a>'.repeat(80)), 'too-deep'],
  ])('refuses %s', (_what, xml, kind) => {
    expect(xmlErrorKind(() => parseSoap(xml))).toBe(kind);
  });

  it('applies the caller limits', () => {
    expect(xmlErrorKind(() => parseSoap(envelope('<a/>'), { maxBytes: 20, maxDepth: 64 }))).toBe('too-large');
    expect(xmlErrorKind(() => parseSoap(envelope('<a><b></b></a>'), { maxBytes: 1000, maxDepth: 3 }))).toBe(
      'too-deep',
    );
  });
});

describe('parsePullMessagesResponse', () => {
  it('reads BodyTemperatureAlarm notifications with their times, operations and raw items', () => {
    const result = parsePullMessagesResponse(fixture('pull-body-temperature.xml'));
    expect(result.currentTime).toBe(T('2022-04-01T03:04:05Z'));
    expect(result.terminationTime).toBe(T('2022-04-01T03:06:05Z'));
    expect(result.skipped).toBe(0);
    expect(result.notifications).toHaveLength(3);
    const [initialized, changed] = result.notifications;
    expect(initialized).toMatchObject({ operation: 'Initialized', utcTime: T('2022-04-01T03:04:00Z') });
    expect(changed).toEqual({
      topic: 'tns1:RuleEngine/Radiometry/BodyTemperatureAlarm',
      utcTime: T('2022-04-01T03:04:04.250Z'),
      operation: 'Changed',
      source: { VideoSource: 'VideoSource_1', RuleName: 'BodyTemperature' },
      key: {},
      data: { State: 'false', ObjectId: '0123', Temperature: '310.25', Mask: 'true' },
      elements: {},
    });
  });

  it('reads ElementItems and Key items', () => {
    const { notifications } = parsePullMessagesResponse(fixture('pull-radiometry-readings.xml'));
    expect(notifications.map((n) => n.topic)).toEqual([
      'tns1:VideoAnalytics/Radiometry/SpotTemperatureReading',
      'tns1:VideoAnalytics/Radiometry/BoxTemperatureReading',
      'tns1:VideoAnalytics/Radiometry/TemperatureReading',
      'tns1:VideoAnalytics/Radiometry/TemperatureReading',
      'tns1:RuleEngine/Radiometry/TemperatureAlarm',
      'tns1:RuleEngine/Radiometry/TemperatureMeasurementAlarm',
    ]);
    expect(notifications[1]?.elements.Reading).toEqual({
      name: 'BoxTemperatureReading',
      ns: 'http://www.onvif.org/ver20/analytics/radiometry',
      attrs: {
        ItemID: 'box-1',
        MaxTemperature: '310.55',
        MinTemperature: '295.15',
        AverageTemperature: '303.2',
      },
    });
    expect(notifications[4]?.key).toEqual({ RadiometryModuleID: 'box-1' });
    expect(notifications[0]?.operation).toBeUndefined();
  });

  it('writes the ONVIF topics namespace as tns1: whatever the camera called it', () => {
    const result = parsePullMessagesResponse(fixture('pull-other-prefix.xml'));
    expect(result.notifications.map((n) => n.topic)).toEqual([
      'tns1:RuleEngine/Radiometry/BodyTemperatureAlarm',
      'tns1:RuleEngine/MaskDetection/Mask',
      'tns1:Device/tnshik:AlarmIn',
      'tns1:RuleEngine/LicensePlateRecognition/Plate',
    ]);
    expect(result.currentTime).toBe(T('2022-04-01T03:04:05Z'));
    expect(result.notifications[3]?.data.PlateNumber).toBe(' 京a0123b ');
  });

  it('skips broken NotificationMessages, counting each with its reason, and keeps their neighbours', () => {
    const result = parsePullMessagesResponse(fixture('pull-mixed.xml'));
    expect(result.skipped).toBe(3);
    expect(result.skippedReasons).toEqual([
      { index: 1, reason: 'no Topic' },
      {
        index: 3,
        reason: 'Message holds no tt:Message (topic tns1:RuleEngine/Radiometry/BodyTemperatureAlarm)',
      },
      { index: 7, reason: 'empty Topic' },
    ]);
    expect(result.notifications).toHaveLength(5);
  });

  it('also reads the reply as the onvif package hands it to callbacks (xmlns declarations deleted)', () => {
    const stripped = fixture('pull-other-prefix.xml').replace(/xmlns([^=]*?)=(".*?")/g, '');
    const result = parsePullMessagesResponse(stripped);
    expect(result.notifications.map((n) => n.topic)).toEqual([
      'ons:RuleEngine/Radiometry/BodyTemperatureAlarm',
      'tns1:RuleEngine/MaskDetection/Mask',
      'tns1:Device/tnshik:AlarmIn',
      't:RuleEngine/LicensePlateRecognition/Plate',
    ]);
    const plain = parsePullMessagesResponse(
      fixture('pull-body-temperature.xml').replace(/xmlns([^=]*?)=(".*?")/g, ''),
    );
    expect(plain.notifications[1]?.topic).toBe('tns1:RuleEngine/Radiometry/BodyTemperatureAlarm');
  });

  it('accepts an empty response and a base-notification Notify', () => {
    const empty = parsePullMessagesResponse(
      envelope(
        '<tev:PullMessagesResponse xmlns:tev="urn:tev"><tev:CurrentTime>bad</tev:CurrentTime></tev:PullMessagesResponse>',
      ),
    );
    expect(empty).toEqual({ notifications: [], skipped: 0, skippedReasons: [] });
    const notify = parsePullMessagesResponse(
      envelope(
        '<Notify xmlns="http://docs.oasis-open.org/wsn/b-2"><NotificationMessage><Topic>x:A</Topic>' +
          '<Message><Message xmlns="urn:tt"/></Message></NotificationMessage></Notify>',
      ),
    );
    expect(notify.notifications.map((n) => n.topic)).toEqual(['x:A']);
  });

  it('refuses hostile replies before parsing them, naming the kind', () => {
    const huge = envelope(`<PullMessagesResponse>${'<x>0123</x>'.repeat(110_000)}</PullMessagesResponse>`);
    expect(huge.length).toBeGreaterThan(1024 * 1024);
    expect(xmlErrorKind(() => parsePullMessagesResponse(huge))).toBe('too-large');
    const laughs =
      '<!DOCTYPE lolz [<!ENTITY lol "lol">' +
      Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i || ''};`.repeat(10)}">`).join(
        '',
      ) +
      `]>${envelope('<PullMessagesResponse>&lol9;</PullMessagesResponse>')}`;
    expect(xmlErrorKind(() => parsePullMessagesResponse(laughs))).toBe('doctype');
    const deep = envelope(
      `<PullMessagesResponse>${'<a>'.repeat(100_000)}${'</a>'.repeat(100_000)}</PullMessagesResponse>`,
    );
    expect(xmlErrorKind(() => parsePullMessagesResponse(deep))).toBe('too-deep');
  });

  it('refuses another answer in the body, and faults', () => {
    expect(xmlErrorKind(() => parsePullMessagesResponse(envelope('<RenewResponse/>')))).toBe(
      'unexpected-body',
    );
    expect(() => parsePullMessagesResponse(fixture('fault-not-authorized.xml'))).toThrow(SoapFaultError);
  });

  it('ignores unknown PropertyOperation values and unreadable UtcTime', () => {
    const result = parsePullMessagesResponse(
      envelope(
        '<PullMessagesResponse><NotificationMessage><Topic>tns1:A</Topic><Message>' +
          '<Message UtcTime="yesterday" PropertyOperation="Exploded"><Data><SimpleItem Name="X"/>' +
          '<SimpleItem Value="no name"/><SimpleItem Name="X" Value="second"/></Data></Message>' +
          '</Message></NotificationMessage></PullMessagesResponse>',
      ),
    );
    const [n] = result.notifications;
    expect(n?.utcTime).toBeUndefined();
    expect(n?.operation).toBeUndefined();
    expect(n?.data).toEqual({ X: '' });
  });
});

describe('normaliseTopic', () => {
  const scope = { tns1: ONVIF_TOPICS_NS, ons: ONVIF_TOPICS_NS, v: 'urn:vendor', '': 'urn:default' };
  it.each([
    ['tns1:RuleEngine/Radiometry/BodyTemperatureAlarm', 'tns1:RuleEngine/Radiometry/BodyTemperatureAlarm'],
    ['ons:RuleEngine/ons:Radiometry/X', 'tns1:RuleEngine/Radiometry/X'],
    ['ons:Device/v:Vendor/Sub', 'tns1:Device/v:Vendor/Sub'],
    ['v:Vendor/ons:Back', 'v:Vendor/tns1:Back'],
    ['undeclared:A/B', 'undeclared:A/B'],
    ['NoPrefix/B', 'NoPrefix/B'],
  ])('%s → %s', (topic, expected) => {
    expect(normaliseTopic(topic, scope)).toBe(expected);
  });

  it('does not let a tns1 prefix bound to another namespace pass for ONVIF', () => {
    expect(normaliseTopic('tns1:RuleEngine/X', { tns1: 'urn:fake' })).toBe('{urn:fake}RuleEngine/X');
  });
});

describe('value readers', () => {
  it.each([
    ['2022-04-01T03:04:05Z', T('2022-04-01T03:04:05Z')],
    ['2022-04-01T03:04:05.123456Z', T('2022-04-01T03:04:05.123Z')],
    ['2022-04-01T11:04:05+08:00', T('2022-04-01T03:04:05Z')],
    ['2022-04-01T03:04:05', T('2022-04-01T03:04:05Z')],
    [' 2022-04-01T03:04:05Z\n', T('2022-04-01T03:04:05Z')],
    ['2022-02-30T00:00:00Z', undefined],
    ['2022-13-01T00:00:00Z', undefined],
    ['2022-04-01', undefined],
    ['', undefined],
  ])('parseXsDateTime(%j)', (text, expected) => {
    expect(parseXsDateTime(text)).toBe(expected);
  });

  it('parseXsDateTime keeps years below 100 (Date.UTC would make 0099 into 1999)', () => {
    expect(new Date(parseXsDateTime('0099-01-01T00:00:00Z') ?? Number.NaN).getUTCFullYear()).toBe(99);
  });

  it('parseDecimal accepts decimal forms only', () => {
    expect(['310.15', ' 3.1015e2 ', '+7', '.5', '5.'].map(parseDecimal)).toEqual([310.15, 310.15, 7, 0.5, 5]);
    expect(['', 'NaN', 'INF', '0x1F', '1,5', '37 C', '1e999'].map(parseDecimal)).toEqual(
      Array(7).fill(undefined),
    );
  });

  it('parseBoolean accepts xs:boolean, any case', () => {
    expect(['true', 'True', '1', 'false', 'FALSE', '0', 'yes', ''].map(parseBoolean)).toEqual([
      true,
      true,
      true,
      false,
      false,
      false,
      undefined,
      undefined,
    ]);
  });
});
