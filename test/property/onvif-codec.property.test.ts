import { readFileSync } from 'node:fs';
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { ONVIF_TOPICS_NS, parsePullMessagesResponse } from '../../drivers/onvif/notifications.js';
import { interpretWithProblems } from '../../drivers/onvif/observations.js';
import { SoapFaultError } from '../../drivers/onvif/soap-xml.js';
import { checkXml, OnvifXmlError, XmlGuard, type XmlLimits } from '../../drivers/onvif/xml-guard.js';

// --- XmlGuard: the verdict does not depend on how the input is cut ---------------------------

/** XML-ish text: markup that opens and closes depth, hides `>`/`/`, declares DTDs, breaks off. */
const fragment = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom('<a>', '</a>', '<tt:Data x="1">', '</tt:Data>', '<b/>', "<c y='/>'/>"),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom('<!-- <a> -->', '<![CDATA[<a>]]>', '<?pi <a>?>', '<!DOCTYPE d>', '<!ENTITY'),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom('\r\n1f\r\n', '\r\n0;x=y\r\n', '<', '>', '/', '"', "'", '-', ']', '!', '?'),
  },
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme', maxLength: 6 }) },
);
const xmlish = fc.array(fragment, { maxLength: 40 }).map((parts) => parts.join(''));
const limitsArb: fc.Arbitrary<XmlLimits> = fc.record({
  maxBytes: fc.integer({ min: 1, max: 400 }),
  maxDepth: fc.integer({ min: 1, max: 8 }),
});

type Verdict = 'ok' | `${string}@${number | 'none'}`;

function verdictOf(run: () => void): Verdict {
  try {
    run();
    return 'ok';
  } catch (err) {
    if (!(err instanceof OnvifXmlError)) throw err;
    return `${err.kind}@${err.offset ?? 'none'}`;
  }
}

function cut<T extends string | Buffer>(input: T, cuts: readonly number[]): T[] {
  const at = [...new Set(cuts.map((c) => c % (input.length + 1)))].sort((x, y) => x - y);
  const pieces: T[] = [];
  let from = 0;
  for (const to of [...at, input.length]) {
    pieces.push(input.slice(from, to) as T);
    from = to;
  }
  return pieces;
}

function fedInPieces(pieces: readonly (string | Buffer)[], limits: XmlLimits): Verdict {
  return verdictOf(() => {
    const guard = new XmlGuard(limits);
    for (const p of pieces) guard.feed(p);
    guard.end();
  });
}

describe('XmlGuard', () => {
  test.prop([xmlish, limitsArb, fc.array(fc.nat(), { maxLength: 12 })], { numRuns: 500 })(
    'gives the same verdict, at the same byte, however a string or its UTF-8 bytes are cut',
    (xml, limits, cuts) => {
      const whole = verdictOf(() => checkXml(xml, limits));
      expect(fedInPieces(cut(xml, cuts), limits)).toBe(whole);
      expect(fedInPieces(cut(Buffer.from(xml), cuts), limits)).toBe(whole);
      expect(fedInPieces([...xml], limits)).toBe(whole);
    },
  );

  test.prop([fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 10 })])(
    'throws nothing but OnvifXmlError on random bytes',
    (chunks) => {
      expect(() =>
        fedInPieces(
          chunks.map((c) => Buffer.from(c)),
          { maxBytes: 1000, maxDepth: 4 },
        ),
      ).not.toThrow();
    },
  );
});

// --- parsePullMessagesResponse: nothing but the documented errors ---------------------------

const FIXTURES = [
  'pull-body-temperature.xml',
  'pull-radiometry-readings.xml',
  'pull-other-prefix.xml',
  'pull-mixed.xml',
].map((name) => readFileSync(new URL(`../fixtures/onvif/${name}`, import.meta.url), 'utf8'));

/** A fixture with a few slices replaced by XML-ish fragments: mostly well-formed, often not. */
const mutatedFixture = fc
  .tuple(
    fc.constantFrom(...FIXTURES),
    fc.array(fc.tuple(fc.nat(), fc.nat({ max: 40 }), fc.oneof(fragment, fc.constant(''))), { maxLength: 4 }),
  )
  .map(([xml, edits]) =>
    edits.reduce((s, [at, length, insert]) => {
      const i = at % (s.length + 1);
      return s.slice(0, i) + insert + s.slice(i + length);
    }, xml),
  );

function onlyDocumentedErrors(input: string): void {
  try {
    parsePullMessagesResponse(input);
  } catch (err) {
    if (err instanceof OnvifXmlError || err instanceof SoapFaultError) return;
    throw err;
  }
}

describe('parsePullMessagesResponse', () => {
  test.prop([fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), xmlish, mutatedFixture)], {
    numRuns: 500,
  })('throws nothing but OnvifXmlError or SoapFaultError, whatever it is given', (input) => {
    expect(() => onlyDocumentedErrors(input)).not.toThrow();
  });

  test.prop([fc.uint8Array({ maxLength: 500 })])('survives arbitrary bytes read as UTF-8', (bytes) => {
    expect(() => onlyDocumentedErrors(Buffer.from(bytes).toString('utf8'))).not.toThrow();
  });
});

// --- Round trip: notification built as XML → parsed → interpreted ----------------------------

/** Characters XML 1.0 can carry (no lone surrogates, no U+FFFE/FFFF, no C0 controls but tab/LF/CR). */
const XML_TEXT = /^[\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]*$/u;

const kelvinText = fc.oneof(
  fc.double({ min: 273.15, max: 373.15, noNaN: true }).map((k) => k.toString()),
  fc.integer({ min: 27315, max: 37315 }).map((k) => (k / 100).toFixed(2)),
  fc.double({ min: 200, max: 450, noNaN: true }).map((k) => k.toExponential(6)),
  fc.double().map(String),
  fc.constantFrom('', 'NaN', 'INF', '-INF', '0x137', '36.6 C', '273.15', '373.15', '373.150001'),
);
const plateText = fc.oneof(
  fc.constantFrom('京A0123B', ' 沪b00001 ', '0001', 'gd·a 12', '粤Z1234港', ''),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
);
const noteArb = fc.record({
  prefix: fc.constantFrom('tns1', 'ons', 't', 'onvif_topics'),
  kelvin: kelvinText,
  objectId: fc.stringMatching(/^[0-9]{1,6}$/),
  plate: plateText.filter((p) => XML_TEXT.test(p)),
});
type Note = typeof noteArb extends fc.Arbitrary<infer N> ? N : never;

function attr(value: string): string {
  return value.replace(/[&<>"\t\n\r]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function notificationXml(topic: string, prefix: string, items: Record<string, string>): string {
  const simple = Object.entries(items)
    .map(([name, value]) => `<tt:SimpleItem Name="${name}" Value="${attr(value)}"/>`)
    .join('');
  return (
    `<wsnt:NotificationMessage><wsnt:Topic xmlns:${prefix}="${ONVIF_TOPICS_NS}" ` +
    `Dialect="http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet">${prefix}:${topic}</wsnt:Topic>` +
    `<wsnt:Message><tt:Message UtcTime="2022-04-01T03:04:05Z" PropertyOperation="Changed">` +
    `<tt:Source/><tt:Data>${simple}</tt:Data></tt:Message></wsnt:Message></wsnt:NotificationMessage>`
  );
}

function pullResponse(notes: readonly Note[]): string {
  const messages = notes.flatMap((n) => [
    notificationXml('RuleEngine/Radiometry/BodyTemperatureAlarm', n.prefix, {
      ObjectId: n.objectId,
      Temperature: n.kelvin,
    }),
    notificationXml('RuleEngine/LicensePlateRecognition/Plate', n.prefix, {
      PlateNumber: n.plate,
      ObjectId: n.objectId,
    }),
  ]);
  return (
    '<?xml version="1.0" encoding="UTF-8"?><env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope" ' +
    'xmlns:tev="http://www.onvif.org/ver10/events/wsdl" xmlns:wsnt="http://docs.oasis-open.org/wsn/b-2" ' +
    `xmlns:tt="http://www.onvif.org/ver10/schema"><env:Body><tev:PullMessagesResponse>${messages.join('')}` +
    '</tev:PullMessagesResponse></env:Body></env:Envelope>'
  );
}

/** What the gateway should make of a kelvin text: °C to 0.01, or nothing. */
function expectedCelsius(text: string): number | undefined {
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return undefined;
  const k = Number(text);
  return Number.isFinite(k) && k >= 273.15 && k <= 373.15 ? Math.round((k - 273.15) * 100) / 100 : undefined;
}

function expectedPlate(raw: string): string | undefined {
  const plate = raw.trim().replace(/[a-z]/g, (c) => c.toUpperCase());
  return plate === '' || [...plate].length > 32 || /\p{Cc}/u.test(plate) ? undefined : plate;
}

describe('notifications round trip', () => {
  test.prop([fc.array(noteArb, { minLength: 1, maxLength: 5 })], { numRuns: 300 })(
    'kelvin and plate values come back as the gateway should read them, or are reported',
    (notes) => {
      const { notifications, skipped } = parsePullMessagesResponse(pullResponse(notes));
      expect(skipped).toBe(0);
      expect(notifications).toHaveLength(notes.length * 2);
      notes.forEach((note, i) => {
        const body = notifications[2 * i];
        const plate = notifications[2 * i + 1];
        expect(body?.topic).toBe('tns1:RuleEngine/Radiometry/BodyTemperatureAlarm');
        expect(body?.data.Temperature).toBe(note.kelvin);
        expect(plate?.data.PlateNumber).toBe(note.plate);

        const temperature = interpretWithProblems(body ?? fail());
        const celsius = expectedCelsius(note.kelvin);
        if (celsius === undefined) {
          expect(temperature.observations).toEqual([]);
          expect(temperature.problems).toHaveLength(1);
        } else {
          expect(temperature.observations).toEqual([
            {
              kind: 'temperature',
              celsius,
              objectId: note.objectId,
              topic: body?.topic,
              cameraTime: body?.utcTime,
            },
          ]);
          expect(temperature.problems).toEqual([]);
        }

        const read = interpretWithProblems(plate ?? fail());
        const expected = expectedPlate(note.plate);
        if (expected === undefined) {
          expect(read.observations).toEqual([]);
          expect(read.problems).toHaveLength(1);
        } else {
          expect(read.observations).toEqual([
            { kind: 'plate', plate: expected, objectId: note.objectId, cameraTime: plate?.utcTime },
          ]);
        }
      });
    },
  );
});

function fail(): never {
  throw new Error('missing notification');
}
