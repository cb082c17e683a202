/**
 * The duty roster fold (gateway/duty/duty-roster.ts) against a plain model: whatever the order
 * of log-ins, log-outs and handovers, the guards on duty are those whose last entry in the shift
 * is a log-in or handover; entries of other shifts change nothing; `emptySince` is set exactly
 * when nobody is on duty.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rosterOf } from '../../gateway/duty/duty-roster.js';
import type { JournalEntry } from '../../gateway/journal/events.js';

const SHIFT = { date: '2022-04-10', shift: 'day' as const };
const START = 1_000;

const entryArb = fc.record({
  action: fc.constantFrom('login' as const, 'logout' as const, 'handover' as const),
  guard: fc.constantFrom('wang', 'li', 's-1', 's-2'),
  via: fc.constantFrom('card' as const, 'dashboard' as const),
  otherShift: fc.boolean(),
});

type DutyInput = typeof entryArb extends fc.Arbitrary<infer T> ? T : never;

function entries(list: readonly DutyInput[]) {
  return list.map(
    (e, i): Pick<JournalEntry<'duty'>, 'at' | 'payload'> => ({
      at: START + i,
      payload: {
        action: e.action,
        guard: e.guard,
        via: e.via,
        shift: e.otherShift ? 'night' : 'day',
        date: SHIFT.date,
      },
    }),
  );
}

describe('rosterOf', () => {
  it('puts on duty exactly the guards whose last entry of the shift is a log-in or handover', () => {
    fc.assert(
      fc.property(fc.array(entryArb, { maxLength: 40 }), (list) => {
        const roster = rosterOf(entries(list), SHIFT, START);
        const last = new Map<string, string>();
        for (const e of list) if (!e.otherShift) last.set(e.guard, e.action);
        const expected = [...last].filter(([, action]) => action !== 'logout').map(([g]) => g);
        expect(new Set(roster.guards.map((g) => g.guard))).toEqual(new Set(expected));
        expect(roster.emptySince === undefined).toBe(expected.length > 0);
        expect(roster.handovers).toHaveLength(
          list.filter((e) => !e.otherShift && e.action === 'handover').length,
        );
      }),
    );
  });

  it('keeps the first time a guard came on duty, and dates an empty checkpoint from the last log-out', () => {
    const roster = rosterOf(
      entries([
        { action: 'login', guard: 'wang', via: 'card', otherShift: false },
        { action: 'login', guard: 'wang', via: 'dashboard', otherShift: false },
        { action: 'logout', guard: 'wang', via: 'card', otherShift: false },
      ]),
      SHIFT,
      START,
    );
    expect(roster).toEqual({ guards: [], emptySince: START + 2, handovers: [] });
    expect(rosterOf(entries([]), SHIFT, START).emptySince).toBe(START);
    const on = rosterOf(
      entries([
        { action: 'login', guard: 'wang', via: 'card', otherShift: false },
        { action: 'login', guard: 'wang', via: 'dashboard', otherShift: false },
      ]),
      SHIFT,
      START,
    );
    expect(on.guards).toEqual([{ guard: 'wang', via: 'card', since: START }]);
  });
});
