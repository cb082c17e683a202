/**
 * Fixed journal entries, one or more of every type the sink sends, rendered to fingerprint a
 * point mapper (prerender.ts): when the mapping or the escaping changes what these render to,
 * text prerendered before the change is no longer used. A new measurement, tag or escaping rule
 * gets a sample here, or a change to it would not be noticed.
 */
import type { AnyJournalEntry } from '../journal/journal.js';

const AT = Date.UTC(2026, 0, 1, 8);
const TRICKY = '体温 "east", a=b\\ line\nbreak\\';

function entry(seq: number, type: string, payload: unknown): AnyJournalEntry {
  return { seq, at: AT + seq, type, payload, hash: '', prevHash: '' } as AnyJournalEntry;
}

export const FINGERPRINT_SAMPLES: readonly AnyJournalEntry[] = [
  entry(1, 'decision', {
    gateId: 'north',
    request: { at: AT, laneId: 'north ped,in', shift: 'day', credential: { kind: 'card', value: 'C1' } },
    decision: {
      allow: false,
      reasons: [
        { effect: 'deny', code: 'FEVER', detail: { celsius: 38.25 } },
        { effect: 'notice', code: 'NO_MASK' },
      ],
      subject: { kind: 'person', id: 'p-1', personKind: 'resident', householdId: 'h-1' },
      direction: 'in',
      actions: [],
    },
    latencyUs: 6.5,
  }),
  entry(2, 'decision', {
    gateId: 'south',
    request: { at: AT, laneId: 'south-car', shift: 'night', override: { operator: 'op', reason: TRICKY } },
    decision: {
      allow: true,
      reasons: [{ effect: 'grant', code: 'OVERRIDE' }],
      subject: { kind: 'vehicle', id: 'v-1', vehicleKind: 'resident' },
      direction: 'out',
      actions: [],
    },
  }),
  entry(3, 'reading', {
    gateId: 'north',
    laneId: 'north-ped-in',
    reading: { at: AT, celsius: 37.3, mask: null },
    source: TRICKY,
  }),
  entry(4, 'reading', {
    gateId: 'north',
    laneId: 'north-ped-in',
    reading: { at: AT, celsius: 37.29, mask: true, instrument: 'handheld', remeasure: 'taken' },
    source: 'cam-1',
  }),
  entry(5, 'alarm', {
    code: 'QUARANTINE_BREACH',
    severity: 'critical',
    laneId: 'north-ped-out',
    subjectId: 'p-2',
    detail: { household: 'h-2', note: TRICKY, count: 3 },
  }),
  entry(6, 'alarm_ack', { alarmSeq: 5, operator: TRICKY }),
  entry(7, 'mode', { from: 'open', to: 'lockdown', operator: 'op', reason: TRICKY }),
  entry(8, 'fire', { active: true, source: TRICKY }),
  entry(9, 'device', { deviceId: 'reader 1', laneId: 'north-ped-in', state: 'error', detail: TRICKY }),
  entry(10, 'operator', { action: 'visitor.register', operator: 'op', shift: 'day', detail: { x: 1 } }),
  entry(11, 'passage', { subjectId: 'p-3', direction: 'out', laneId: 'north-ped-out' }),
];
