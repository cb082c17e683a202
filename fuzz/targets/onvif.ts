import assert from 'node:assert/strict';
import fc from 'fast-check';
import { HttpResponseGuard } from '../../drivers/onvif/codec-http-response.js';
import { parseProbeMatches } from '../../drivers/onvif/discovery-messages.js';
import { parsePullMessagesResponse } from '../../drivers/onvif/notifications.js';
import { interpretWithProblems } from '../../drivers/onvif/observations.js';
import { SoapFaultError } from '../../drivers/onvif/soap-xml.js';
import { checkXml, OnvifXmlError, XmlGuard, type XmlLimits } from '../../drivers/onvif/xml-guard.js';
import { defineTarget, neverThrows, onlyThrows } from '../target.js';
import { fixture } from './bytes.js';

/** ONVIF camera replies (drivers/onvif): the streaming XML guard, SOAP parsing, notifications, discovery. */

/** XML-ish text: markup that opens and closes depth, hides `>` and `/`, declares DTDs, breaks off. */
const fragment = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      '<a>',
      '</a>',
      '<tt:Data x="1">',
      '</tt:Data>',
      '<b/>',
      "<c y='/>'/>",
      '<env:Body>',
    ),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '<!-- <a> -->',
      '<![CDATA[<a>]]>',
      '<?pi <a>?>',
      '<!DOCTYPE d>',
      '<!ENTITY',
      '<!DOCTYPE x [<!ENTITY e "x">]>',
    ),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '\r\n1f\r\n',
      '\r\n0;x=y\r\n',
      '<',
      '>',
      '/',
      '"',
      "'",
      '-',
      ']',
      '!',
      '?',
      '&amp;',
      '&e;',
      '&#0;',
    ),
  },
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme', maxLength: 6 }) },
);
const xmlish = fc.array(fragment, { maxLength: 40 }).map((parts) => parts.join(''));

const PULL = [
  'pull-body-temperature.xml',
  'pull-radiometry-readings.xml',
  'pull-other-prefix.xml',
  'pull-mixed.xml',
];
const fixtures = new Map<string, string>();
const fixtureText = (name: string) =>
  fixtures.get(name) ?? fixtures.set(name, fixture(`onvif/${name}`)).get(name) ?? '';

/** One of `names` with a few slices replaced by XML-ish fragments: mostly well-formed, often not. */
function mutatedFixture(names: readonly string[]): fc.Arbitrary<string> {
  return fc
    .tuple(
      fc.constantFrom(...names),
      fc.array(fc.tuple(fc.nat(), fc.nat({ max: 40 }), fc.oneof(fragment, fc.constant(''))), {
        maxLength: 4,
      }),
    )
    .map(([name, edits]) =>
      edits.reduce((s, [at, length, insert]) => {
        const i = at % (s.length + 1);
        return s.slice(0, i) + insert + s.slice(i + length);
      }, fixtureText(name)),
    );
}

const limits: fc.Arbitrary<XmlLimits> = fc.record(
  {
    maxBytes: fc.integer({ min: 1, max: 400 }),
    maxDepth: fc.integer({ min: 1, max: 8 }),
  },
  { noNullPrototype: true },
);

/** `kind@offset`: what a refusal says, and where. */
function verdictOf(run: () => void): string {
  const outcome = onlyThrows(run, OnvifXmlError);
  return outcome.ok
    ? 'ok'
    : `${(outcome.error as OnvifXmlError).kind}@${(outcome.error as OnvifXmlError).offset ?? 'none'}`;
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

export const onvifXmlGuard = defineTarget({
  name: 'onvif-xml-guard',
  contract:
    'XmlGuard on XML-ish text (nesting, DTDs, comments, CDATA, chunk-size lines) under any size and depth ' +
    'limits throws only OnvifXmlError, and gives the same verdict at the same byte however the text or its ' +
    'UTF-8 bytes are cut.',
  arbitrary: fc.record(
    { xml: fc.oneof(xmlish, mutatedFixture(PULL)), limits, cuts: fc.array(fc.nat(), { maxLength: 12 }) },
    { noNullPrototype: true },
  ),
  check({ xml, limits: l, cuts }) {
    const whole = verdictOf(() => checkXml(xml, l));
    const fed = (pieces: readonly (string | Buffer)[]) =>
      verdictOf(() => {
        const guard = new XmlGuard(l);
        for (const p of pieces) guard.feed(p);
        guard.end();
      });
    assert.equal(fed(cut(xml, cuts)), whole, 'cutting the text changed the verdict');
    assert.equal(fed(cut(Buffer.from(xml), cuts)), whole, 'cutting the bytes changed the verdict');
  },
});

export const onvifPullMessages = defineTarget({
  name: 'onvif-pull-messages',
  contract:
    'parsePullMessagesResponse on mutated camera replies, XML-ish text and any text throws only ' +
    'OnvifXmlError or SoapFaultError, counts every skipped notification with its reason, and the standard ' +
    'interpreter never throws on what it returns.',
  boundedCases: 200,
  arbitrary: fc.oneof(
    { weight: 3, arbitrary: mutatedFixture(PULL) },
    xmlish,
    fc.string({ unit: 'binary', maxLength: 300 }),
    fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('utf8')),
  ),
  check(xml) {
    const parsed = onlyThrows(() => parsePullMessagesResponse(xml), OnvifXmlError, SoapFaultError);
    if (!parsed.ok) return;
    const result = parsed.value;
    assert.equal(result.skipped, result.skippedReasons.length);
    for (const n of result.notifications) {
      assert.ok(n.topic !== '', 'a notification without a topic');
      for (const part of [n.source, n.key, n.data])
        for (const v of Object.values(part)) assert.equal(typeof v, 'string');
      const read = neverThrows(() => interpretWithProblems(n));
      assert.ok(Array.isArray(read.observations) && read.problems.every((p) => typeof p === 'string'));
    }
  },
});

const HEADS = [
  'HTTP/1.1 200 OK\r\nContent-Type: application/soap+xml\r\n\r\n',
  'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n',
  'HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Digest realm="x"\r\n\r\n',
  'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\n',
  'HTTP/1.0 500 Internal\n\n',
  'HTTP/1.1 200',
  'SSH-2.0-OpenSSH\r\n\r\n',
];

/** A body's bytes, or the same bytes as chunked transfer encoding with size lines. */
const body = fc
  .record({
    xml: fc.oneof(xmlish, mutatedFixture(PULL), fc.constant('<!DOCTYPE html><html></html>')),
    chunked: fc.boolean(),
  })
  .map(({ xml, chunked }) => {
    const bytes = Buffer.from(xml);
    if (!chunked) return bytes;
    const half = bytes.length >> 1;
    const part = (b: Buffer) => [Buffer.from(`${b.length.toString(16)}\r\n`), b, Buffer.from('\r\n')];
    return Buffer.concat([
      ...part(bytes.subarray(0, half)),
      ...part(bytes.subarray(half)),
      Buffer.from('0\r\n\r\n'),
    ]);
  });

export const onvifHttpResponse = defineTarget({
  name: 'onvif-http-response',
  contract:
    'HttpResponseGuard on HTTP heads (interim 1xx, 401 pages, bare LF, garbage) and XML bodies, plain or ' +
    'chunked, throws only OnvifXmlError, with the same verdict however the bytes arrive.',
  arbitrary: fc.record(
    { head: fc.constantFrom(...HEADS), body, cuts: fc.array(fc.nat(), { maxLength: 12 }) },
    { noNullPrototype: true },
  ),
  check({ head, body: payload, cuts }) {
    const bytes = Buffer.concat([Buffer.from(head, 'latin1'), payload]);
    const accept = (pieces: readonly Buffer[]) =>
      verdictOf(() => {
        const guard = new HttpResponseGuard({ maxBytes: 8192, maxDepth: 16 });
        for (const p of pieces) guard.accept(p);
      });
    assert.equal(accept(cut(bytes, cuts)), accept([bytes]), 'cutting the response changed the verdict');
  },
});

export const onvifProbeMatches = defineTarget({
  name: 'onvif-probe-matches',
  contract:
    'parseProbeMatches on mutated WS-Discovery replies and any text (what arrives on UDP 3702 from anyone) ' +
    'throws only OnvifXmlError or SoapFaultError, and every match it returns has an endpoint.',
  boundedCases: 200,
  arbitrary: fc.oneof(
    { weight: 3, arbitrary: mutatedFixture(['probe-matches.xml', 'fault-not-authorized.xml']) },
    xmlish,
  ),
  check(xml) {
    const parsed = onlyThrows(() => parseProbeMatches(xml), OnvifXmlError, SoapFaultError);
    if (!parsed.ok) return;
    for (const m of parsed.value) {
      assert.ok(m.endpoint !== '', 'a match without an endpoint');
      if (m.metadataVersion !== undefined) assert.ok(Number.isSafeInteger(m.metadataVersion));
    }
  },
});
