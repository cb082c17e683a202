import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type OnvifNotification, parsePullMessagesResponse } from '../../drivers/onvif/notifications.js';
import {
  type CameraObservation,
  interpreterFor,
  interpretWithProblems,
  registerInterpreter,
  standardInterpreter,
  type TopicInterpreter,
} from '../../drivers/onvif/observations.js';

const T = (iso: string) => Date.parse(iso);

function fixture(name: string): OnvifNotification[] {
  const xml = readFileSync(new URL(`../fixtures/onvif/${name}`, import.meta.url), 'utf8');
  return parsePullMessagesResponse(xml).notifications;
}

function notification(topic: string, data: Record<string, string>, extra: Partial<OnvifNotification> = {}) {
  return { topic, source: {}, key: {}, data, elements: {}, ...extra } satisfies OnvifNotification;
}

const BODY = 'tns1:RuleEngine/Radiometry/BodyTemperatureAlarm';
const all = (ns: OnvifNotification[]) => ns.flatMap((n) => standardInterpreter.interpret(n));

describe('standardInterpreter: body temperature', () => {
  it('reads Changed BodyTemperatureAlarms and not the Initialized state re-sent after subscribing', () => {
    const [initialized, first, second] = fixture('pull-body-temperature.xml').map((n) =>
      standardInterpreter.interpret(n),
    );
    expect(initialized).toEqual([
      { kind: 'temperature-alarm', active: true, topic: BODY, cameraTime: T('2022-04-01T03:04:00Z') },
    ]);
    const at = T('2022-04-01T03:04:04.250Z');
    expect(first).toEqual([
      { kind: 'temperature-alarm', active: false, topic: BODY, cameraTime: at },
      { kind: 'temperature', celsius: 37.1, objectId: '0123', mask: true, topic: BODY, cameraTime: at },
      { kind: 'mask', mask: true, objectId: '0123', cameraTime: at },
    ]);
    expect(second?.find((o) => o.kind === 'temperature')).toMatchObject({
      celsius: 39.2,
      objectId: '0124',
      mask: false,
    });
  });

  it('rounds kelvin to 0.01 °C and accepts exactly 0 and 100 °C', () => {
    const celsius = (k: string) =>
      standardInterpreter
        .interpret(notification(BODY, { Temperature: k }))
        .find((o) => o.kind === 'temperature');
    expect(celsius('309.9449')).toMatchObject({ celsius: 36.79 });
    expect(celsius('309.9451')).toMatchObject({ celsius: 36.8 });
    expect(celsius('273.15')).toMatchObject({ celsius: 0 });
    expect(celsius('373.15')).toMatchObject({ celsius: 100 });
    expect(celsius('3.1015E2')).toMatchObject({ celsius: 37 });
  });

  it.each([
    ['400.15', 'K is outside 273.15..373.15 K (0–100 °C)'],
    ['273.14', 'K is outside'],
    ['373.16', 'K is outside'],
    ['37.5', 'K is outside'],
    ['-1', 'K is outside'],
    ['NaN', 'is not a finite number'],
    ['INF', 'is not a finite number'],
    ['', 'is not a finite number'],
    ['0x137', 'is not a finite number'],
    ['1e400', 'is not a finite number'],
  ])('refuses Temperature %j and says why', (kelvin, why) => {
    const result = interpretWithProblems(notification(BODY, { Temperature: kelvin }));
    expect(result.observations).toEqual([]);
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]).toContain(`${BODY}: Temperature ${JSON.stringify(kelvin)}`);
    expect(result.problems[0]).toContain(why);
  });

  it('makes nothing from a Deleted property, and only the state from an Initialized one', () => {
    const data = { State: 'true', Temperature: '310.15', Mask: 'true' };
    expect(standardInterpreter.interpret(notification(BODY, data, { operation: 'Deleted' }))).toEqual([]);
    expect(standardInterpreter.interpret(notification(BODY, data, { operation: 'Initialized' }))).toEqual([
      { kind: 'temperature-alarm', active: true, topic: BODY },
    ]);
  });

  it('reports a State that is not a boolean', () => {
    const result = interpretWithProblems(notification(BODY, { State: 'maybe', Temperature: '310.15' }));
    expect(result.observations.map((o) => o.kind)).toEqual(['temperature']);
    expect(result.problems).toEqual([`${BODY}: State "maybe" is not a boolean`]);
  });
});

describe('standardInterpreter: radiometry readings and alarms', () => {
  it('reads spot, box (hottest point) and measurement readings, and AlarmActive', () => {
    const observations = all(fixture('pull-radiometry-readings.xml'));
    const summary = observations.map((o) =>
      o.kind === 'temperature'
        ? ['temperature', o.celsius, o.topic.split('/').pop()]
        : [o.kind, 'active' in o && o.active],
    );
    expect(summary).toEqual([
      ['temperature', 36.8, 'SpotTemperatureReading'],
      ['temperature', 37.4, 'BoxTemperatureReading'],
      ['temperature', 36.5, 'TemperatureReading'],
      ['temperature', 37, 'TemperatureReading'],
      ['temperature-alarm', true],
      ['temperature-alarm', false],
    ]);
    expect(observations[0]).toEqual({
      kind: 'temperature',
      celsius: 36.8,
      topic: 'tns1:VideoAnalytics/Radiometry/SpotTemperatureReading',
      cameraTime: T('2022-04-01T03:09:58Z'),
    });
  });

  it('refuses a reading without its attribute or with a bad one', () => {
    const spot = 'tns1:VideoAnalytics/Radiometry/SpotTemperatureReading';
    const missing = notification(spot, {}, { elements: { Reading: { name: 'X', ns: '', attrs: {} } } });
    expect(interpretWithProblems(missing)).toEqual({ observations: [], problems: [] });
    const bad = notification(
      spot,
      {},
      { elements: { Reading: { name: 'X', ns: '', attrs: { SpotTemperature: 'hot' } } } },
    );
    expect(interpretWithProblems(bad).problems).toEqual([
      `${spot}: Reading@SpotTemperature "hot" is not a finite number`,
    ]);
  });
});

describe('standardInterpreter: masks and plates', () => {
  it('reads masks and plates, whatever prefix the topics had', () => {
    const observations = all(fixture('pull-other-prefix.xml'));
    expect(observations).toEqual([
      { kind: 'temperature-alarm', active: false, topic: BODY, cameraTime: T('2022-04-01T03:04:01Z') },
      {
        kind: 'temperature',
        celsius: 36.7,
        objectId: '7',
        topic: BODY,
        cameraTime: T('2022-04-01T03:04:01Z'),
      },
      { kind: 'mask', mask: true, objectId: '7', cameraTime: T('2022-04-01T03:04:01Z') },
      {
        kind: 'plate',
        plate: '京A0123B',
        confidence: 0.93,
        objectId: '0042',
        cameraTime: T('2022-04-01T03:04:03Z'),
      },
    ]);
  });

  it('keeps what it can from a mixed response and reports the rest', () => {
    const results = fixture('pull-mixed.xml').map((n) => interpretWithProblems(n));
    const observations: CameraObservation[] = results.flatMap((r) => r.observations);
    expect(observations.filter((o) => o.kind !== 'temperature-alarm')).toEqual([
      { kind: 'mask', mask: false, objectId: '0007', cameraTime: T('2022-04-01T03:19:50Z') },
      { kind: 'plate', plate: '沪B00001', cameraTime: T('2022-04-01T03:19:55Z') },
      {
        kind: 'temperature',
        celsius: 36,
        objectId: '12',
        mask: true,
        topic: BODY,
        cameraTime: T('2022-04-01T03:19:56Z'),
      },
      { kind: 'mask', mask: true, objectId: '12', cameraTime: T('2022-04-01T03:19:56Z') },
    ]);
    expect(results.flatMap((r) => r.problems)).toEqual([
      `${BODY}: Temperature "400.15" K is outside 273.15..373.15 K (0–100 °C)`,
      `${BODY}: Temperature "NaN" is not a finite number`,
      'tns1:RuleEngine/LicensePlateRecognition/Vehicle: Confidence "high" is not a finite number',
    ]);
  });

  it('reads a plate only on LicensePlateRecognition topics, exactly as sent but trimmed and ASCII upper-cased', () => {
    const plate = (topic: string, data: Record<string, string>) =>
      interpretWithProblems(notification(topic, data));
    const lpr = 'tns1:RuleEngine/LicensePlateRecognition/Plate';
    expect(plate(lpr, { PlateNumber: '\t粤b 0a1c2 ' }).observations).toEqual([
      { kind: 'plate', plate: '粤B 0A1C2' },
    ]);
    expect(plate(lpr, { Plate: '0001' }).observations).toEqual([{ kind: 'plate', plate: '0001' }]);
    expect(plate('tns1:RuleEngine/Other', { PlateNumber: 'A1' }).observations).toEqual([]);
    expect(plate(lpr, { PlateNumber: '   ' }).problems).toEqual([`${lpr}: PlateNumber "   " is empty`]);
    expect(plate(lpr, { PlateNumber: 'A\u0000B' }).problems[0]).toContain('is not a plate');
    expect(plate(lpr, { PlateNumber: 'X'.repeat(33) }).observations).toEqual([]);
  });

  it('reads a Mask item on any topic, and reports one that is not a boolean', () => {
    const other = 'tns1:RuleEngine/FaceDetection/Face';
    expect(standardInterpreter.interpret(notification(other, { MaskWearing: 'false' }))).toEqual([
      { kind: 'mask', mask: false },
    ]);
    expect(interpretWithProblems(notification(other, { Mask: 'unknown' })).problems).toEqual([
      `${other}: Mask "unknown" is not a boolean`,
    ]);
  });

  it('ignores topics it does not know', () => {
    expect(all(fixture('pull-other-prefix.xml').filter((n) => n.topic.includes('tnshik')))).toEqual([]);
  });
});

describe('interpreter registry', () => {
  const vendor: TopicInterpreter = {
    vendor: 'AcmeThermal',
    topicFilter: 'tns1:RuleEngine//.|acme:Thermal//.',
    interpret: (n) =>
      n.topic === 'acme:Thermal/Face'
        ? [{ kind: 'temperature', celsius: Number(n.data.C), topic: n.topic }]
        : standardInterpreter.interpret(n),
  };

  it('gives the standard interpreter for unknown or absent vendors', () => {
    expect(interpreterFor('nobody')).toBe(standardInterpreter);
    expect(interpreterFor(undefined)).toBe(standardInterpreter);
    expect(standardInterpreter.topicFilter).toBe('tns1:RuleEngine//.|tns1:VideoAnalytics//.');
  });

  it('gives a registered vendor interpreter, case-insensitively, beside the standard one', () => {
    registerInterpreter(vendor);
    registerInterpreter(vendor);
    expect(interpreterFor(' acmethermal ')).toBe(vendor);
    const interpreter = interpreterFor('AcmeThermal');
    expect(interpreter.interpret(notification('acme:Thermal/Face', { C: '36.6' }))).toEqual([
      { kind: 'temperature', celsius: 36.6, topic: 'acme:Thermal/Face' },
    ]);
    expect(interpretWithProblems(notification(BODY, { Temperature: '999' }), interpreter)).toEqual({
      observations: [],
      problems: [],
    });
  });

  it('refuses a second interpreter for a vendor, and the reserved name', () => {
    expect(() => registerInterpreter({ ...vendor })).toThrow('already registered');
    expect(() => registerInterpreter({ ...vendor, vendor: 'ONVIF' })).toThrow('reserved');
  });
});
