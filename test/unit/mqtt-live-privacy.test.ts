import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import type { AppendItem } from '../../gateway/journal/journal.js';
import { LiveFeed } from '../../gateway/mqtt/live-feed.js';
import { alarmDetail, denyDetail, technicalText } from '../../gateway/mqtt/live-feed-privacy.js';
import { MemoryBus } from '../../gateway/mqtt/memory-bus.js';
import { ALARM_LABELS, MODE_LABELS } from '../../gateway/reports/labels.js';
import { REASON_MESSAGES, REASON_TITLES } from '../../gateway/rules/reasons.js';
import { memoryLog } from '../helpers/idcard-lane.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { granted, KEY, refused, siteConfig, T0, tempJournal } from './mqtt-live-fixtures.js';

/** Texts the feed itself writes (reason and alarm titles): a "name" found in them proves nothing. */
const FIXED_TEXT = JSON.stringify([REASON_MESSAGES, REASON_TITLES, ALARM_LABELS, MODE_LABELS]);

const chineseName = fc
  .tuple(
    fc.constantFrom(...'王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗'),
    fc.string({
      unit: fc.constantFrom(...'伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛超兰霞刚桂'),
      minLength: 1,
      maxLength: 2,
    }),
  )
  .map(([family, given]) => family + given);
const pinyinName = fc
  .tuple(fc.constantFrom('Wang', 'Li', 'Zhang', 'Liu', 'Chen'), fc.stringMatching(/^[A-Z][a-z]{3,6}$/))
  .map(([family, given]) => `${family} ${given}`);
/** 18 characters as GB 11643 writes them (the check digit is not computed: shape is what leaks). */
const idNumber = fc.stringMatching(/^[1-6]\d{5}(19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d)\d{3}[\dX]$/);
const name = fc.oneof(chineseName, pinyinName);
const secret = fc.oneof(name, idNumber).filter((s) => !FIXED_TEXT.includes(s));

/** Journal items of every type with a secret in each free-text and registry-id position. */
function items(s: string[], id: string): AppendItem[] {
  const [a = 'x', b = 'y', c = 'z'] = s;
  const pass = granted(T0, {
    subject: { kind: 'person', id: a, personKind: 'resident', householdId: b },
  });
  pass.request.credential = { kind: 'idcard', value: id };
  pass.request.override = { operator: c, reason: a };
  const refusal = refused(T0, [
    { effect: 'deny', code: 'QUARANTINED', detail: { order: a } },
    { effect: 'deny', code: 'HIGH_RISK_ORIGIN', detail: { region: b } },
    { effect: 'deny', code: 'UNKNOWN_CREDENTIAL', detail: { kind: id } },
  ]);
  refusal.request.credential = { kind: 'plate', value: c };
  return [
    { type: 'decision', at: T0, payload: pass },
    { type: 'decision', at: T0, payload: refusal },
    {
      type: 'reading',
      at: T0,
      payload: {
        gateId: 'north',
        laneId: 'north-ped-in',
        reading: { at: T0, celsius: 36.6, mask: null },
        source: a,
      },
    },
    {
      type: 'alarm',
      at: T0,
      payload: {
        code: 'OVERDUE_RETURN',
        severity: 'warning',
        laneId: 'north-ped-in',
        subjectId: a,
        detail: { household: b, person: c, note: a, name: b, reason: `card of ${id}` },
      },
    },
    { type: 'alarm_ack', at: T0, payload: { alarmSeq: 4, operator: a, note: b } },
    { type: 'mode', at: T0, payload: { from: 'closed', to: 'open', operator: c, reason: a } },
    {
      type: 'operator',
      at: T0,
      payload: { action: 'visitor.register', operator: a, shift: 'day', detail: { name: b, id } },
    },
    {
      type: 'device',
      at: T0,
      payload: { deviceId: 'idcard-1', state: 'error', detail: `read ${id} failed` },
    },
    { type: 'passage', at: T0, payload: { subjectId: b, direction: 'out', laneId: 'north-ped-in' } },
    { type: 'fire', at: T0, payload: { active: true, source: c } },
  ];
}

describe('no names or ID numbers on the local bus', () => {
  test.prop([fc.array(secret, { minLength: 3, maxLength: 3 }), idNumber, fc.boolean()], { numRuns: 40 })(
    'whatever names and ID numbers the journal holds, no topic or payload carries one',
    async (secrets, id, before) => {
      const site = tempJournal();
      const bus = new MemoryBus();
      const clock = new ManualClock(T0);
      const feed = new LiveFeed({
        journal: site.journal,
        config: siteConfig(),
        bus,
        log: memoryLog().logger,
        pseudonymKey: KEY,
        now: clock.now,
        timers: clock,
      });
      try {
        // Half the runs journal first and publish from the rebuild; half publish live.
        if (before) site.journal.appendMany(items(secrets, id));
        feed.start();
        if (!before) site.journal.appendMany(items(secrets, id));
        await feed.flush();
        expect(bus.published.length).toBeGreaterThan(before ? 8 : 15);
        const text = bus.published.map((m) => `${m.topic} ${m.payload.toString()}`).join('\n');
        for (const s of [...secrets, id]) expect(text).not.toContain(s);
      } finally {
        await feed.stop();
        site.close();
      }
    },
  );

  test.prop([fc.string({ maxLength: 40 }), idNumber, fc.string({ maxLength: 200 })])(
    'technical text masks an ID number wherever it sits and is never longer than 160',
    (head, id, tail) => {
      const out = technicalText(`${head}${id} ${tail}`);
      expect(out).not.toContain(id);
      expect(out.length).toBeLessThanOrEqual(160);
    },
  );

  it('passes reason and alarm detail by key: numbers, technical texts, pseudonymous ids, nothing else', () => {
    expect(denyDetail({ celsius: 38, used: 1, allowed: 1, order: 'q1', region: 'r' })).toEqual({
      celsius: 38,
      used: 1,
      allowed: 1,
    });
    expect(denyDetail({ order: 'q1' })).toBeUndefined();
    expect(alarmDetail({ household: 'h1', device: 'd1', note: 'n', heldMs: 5 }, (x) => `p(${x})`)).toEqual({
      household: 'p(h1)',
      device: 'd1',
      heldMs: 5,
    });
  });
});
