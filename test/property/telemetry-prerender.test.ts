/**
 * The prerendered `telemetry` column (gateway/telemetry/prerender.ts) changes nothing the sink
 * sends: for any entries, a batch read from a journal appended with the renderer installed is
 * the same, line for line and seq for seq, as one read from a journal appended without it (the
 * fallback path: parse, map, render), replayed or live, and under another renderer's stamp.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../gateway/db.js';
import { type AppendItem, Journal } from '../../gateway/journal/journal.js';
import { prepareBatch } from '../../gateway/telemetry/batches.js';
import { toLine } from '../../gateway/telemetry/line-protocol.js';
import { BULK_TYPES, PointMapper, PRIORITY_TYPES } from '../../gateway/telemetry/points.js';
import {
  lineFromPrerendered,
  prerenderLine,
  prerenderStamp,
  telemetryRenderer,
} from '../../gateway/telemetry/prerender.js';
import { cachedPseudonym } from '../../gateway/telemetry/pseudonym.js';

/** Text with what line protocol escapes, the mark's own text, Chinese, and any code unit. */
const text = fc.string({
  unit: fc.oneof(
    fc.constantFrom('\\', ',', '=', ' ', '"', '\n', '张', '😷', 'replayed=true,', ',replayed=true'),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  ),
  maxLength: 12,
});
const id = fc.oneof(fc.constantFrom('p-1', 'h-2', 'v-3'), text);
const number = fc.oneof(fc.double({ noNaN: true, min: 30, max: 45 }), fc.integer());
const at = fc.integer({ min: 1, max: 4_000_000_000_000 });
const lane = fc.oneof(fc.constantFrom('north-ped-in', 'south-car'), text);

const decision = fc.record({
  type: fc.constant('decision'),
  at,
  payload: fc.record({
    gateId: lane,
    request: fc.record(
      {
        at,
        laneId: lane,
        shift: fc.constantFrom('day', 'night'),
        credential: fc.record({ kind: fc.constantFrom('card', 'qr'), value: text }),
        override: fc.record({ operator: text, reason: text }),
      },
      { requiredKeys: ['at', 'laneId', 'shift'] },
    ),
    decision: fc.record({
      allow: fc.boolean(),
      reasons: fc.array(
        fc.oneof(
          fc.record({ effect: fc.constant('grant'), code: fc.constantFrom('RESIDENT', 'OVERRIDE') }),
          fc.record(
            {
              effect: fc.constant('deny'),
              code: fc.constantFrom('FEVER', 'UNKNOWN'),
              detail: fc.record({ celsius: number }),
            },
            { requiredKeys: ['effect', 'code'] },
          ),
        ),
        { maxLength: 3 },
      ),
      subject: fc.oneof(
        fc.constant({ kind: 'unknown' }),
        fc.record({ kind: fc.constant('person'), id, personKind: fc.constantFrom('resident', 'visitor') }),
        fc.record({ kind: fc.constant('vehicle'), id, vehicleKind: fc.constantFrom('resident', 'visitor') }),
      ),
      direction: fc.constantFrom('in', 'out'),
      actions: fc.constant([]),
    }),
    latencyUs: fc.option(number, { nil: undefined }),
  }),
});

const reading = fc.record({
  type: fc.constant('reading'),
  at,
  payload: fc.record({
    gateId: lane,
    laneId: lane,
    reading: fc.record({ at, celsius: number, mask: fc.constantFrom(true, false, null) }),
    source: text,
  }),
});

const alarm = fc.record({
  type: fc.constant('alarm'),
  at,
  payload: fc.record(
    {
      code: fc.constantFrom('QUARANTINE_BREACH', 'DEVICE_OFFLINE'),
      severity: fc.constantFrom('warning', 'critical'),
      laneId: lane,
      subjectId: id,
      detail: fc.dictionary(
        fc.oneof(fc.constantFrom('household', 'person', 'note'), fc.stringMatching(/^[a-z]{1,6}$/)),
        fc.oneof(text, number),
      ),
    },
    { requiredKeys: ['code', 'severity'] },
  ),
});

const others = fc.oneof(
  fc.record({
    type: fc.constant('passage'),
    at,
    payload: fc.record({ subjectId: id, direction: fc.constantFrom('in', 'out'), laneId: lane }),
  }),
  fc.record({
    type: fc.constant('mode'),
    at,
    payload: fc.record({
      from: fc.constant('open'),
      to: fc.constant('lockdown'),
      operator: text,
      reason: text,
    }),
  }),
  fc.record({ type: fc.constant('fire'), at, payload: fc.record({ active: fc.boolean(), source: text }) }),
  fc.record({
    type: fc.constant('device'),
    at,
    payload: fc.record({ deviceId: lane, state: fc.constantFrom('online', 'error'), detail: text }),
  }),
  fc.record({
    type: fc.constant('alarm_ack'),
    at,
    payload: fc.record({ alarmSeq: fc.nat(), operator: text }),
  }),
  fc.record({
    type: fc.constant('operator'),
    at,
    payload: fc.record({ action: text, operator: text, shift: fc.constant('day'), detail: fc.constant({}) }),
  }),
);

const entries = fc.array(fc.oneof(decision, reading, alarm, others), {
  minLength: 1,
  maxLength: 12,
}) as fc.Arbitrary<AppendItem[]>;

const KEY = Buffer.alloc(32, 3);
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const mapperFor = (siteId: string) =>
  new PointMapper({ siteId, feverThresholdC: 37.3, pseudonym: cachedPseudonym(KEY) });

function journalOf(items: readonly AppendItem[], renderer?: PointMapper) {
  const db = openDatabase(':memory:');
  const journal = Journal.open(db);
  if (renderer !== undefined) journal.setTelemetryRenderer(telemetryRenderer(renderer));
  journal.appendMany(items);
  return { db, journal };
}

/** Every batch of both cursors, as the sink asks for them. */
function batches(
  items: readonly AppendItem[],
  reader: PointMapper,
  renderer: PointMapper | undefined,
  horizon: number,
) {
  const { db, journal } = journalOf(items, renderer);
  const requests = [PRIORITY_TYPES, BULK_TYPES].flatMap((types) =>
    [0, 3].map((from) => ({ types, from, limit: 4, horizon })),
  );
  const result = requests.map((request) => prepareBatch(db, journal, reader, request));
  db.close();
  return result;
}

describe('prerendered telemetry column', () => {
  test.prop([entries, fc.nat({ max: 14 })], { numRuns: 150 })(
    'batches from the column equal batches rendered from the payload',
    (items, horizon) => {
      const mapper = mapperFor('demo');
      expect(batches(items, mapper, mapper, horizon)).toEqual(batches(items, mapper, undefined, horizon));
    },
  );

  test.prop([entries, fc.nat({ max: 14 })], { numRuns: 50 })(
    'text rendered under another stamp (another site id) is rendered again, not sent',
    (items, horizon) => {
      const reader = mapperFor('demo');
      expect(batches(items, reader, mapperFor('other site'), horizon)).toEqual(
        batches(items, reader, undefined, horizon),
      );
    },
  );

  test.prop([entries, fc.boolean()], { numRuns: 300 })(
    'the line from the text is toLine of the point, marked replayed or not',
    (items, replayed) => {
      const mapper = mapperFor('demo');
      items.forEach((item, i) => {
        const entry = { ...item, seq: i + 1, hash: '', prevHash: '' } as Parameters<typeof prerenderLine>[1];
        let expected: string | undefined;
        try {
          expected = toLine(mapper.points(entry, replayed)[0] as Parameters<typeof toLine>[0]);
        } catch {
          expected = undefined;
        }
        const text = prerenderLine(mapper, entry);
        if (text !== undefined) expect(lineFromPrerendered(text, 0, replayed)).toBe(expected);
        // Only a lone surrogate (not storable as UTF-8) or an unmappable entry has no text.
        else if (expected !== undefined) expect(expected).toMatch(LONE_SURROGATE);
      });
    },
  );

  it('the stamp follows the site id, the fever threshold and the pseudonym key', () => {
    const stamp = (siteId: string, feverThresholdC: number, key: Buffer) =>
      prerenderStamp(new PointMapper({ siteId, feverThresholdC, pseudonym: cachedPseudonym(key) }));
    const base = stamp('demo', 37.3, KEY);
    expect(stamp('demo', 37.3, KEY)).toBe(base);
    expect(stamp('demo2', 37.3, KEY)).not.toBe(base);
    expect(stamp('demo', 37.5, KEY)).not.toBe(base);
    expect(stamp('demo', 37.3, Buffer.alloc(32, 4))).not.toBe(base);
    expect(base).toMatch(/^[0-9a-f]{12}:$/);
  });
});
