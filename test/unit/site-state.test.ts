import { describe, expect, it } from 'vitest';
import { RecentTimes } from '../../gateway/checkpoint/recent-times.js';
import { type LaneRef, SiteState } from '../../gateway/checkpoint/site-state.js';
import type { Credential, Household, Person, Vehicle } from '../../gateway/domain/model.js';
import type { JournalEntry } from '../../gateway/journal/events.js';
import { DenseIds, HOUSEHOLD_IDS, SUBJECT_IDS } from '../../gateway/registry/dense-ids.js';
import { RegistrySnapshot } from '../../gateway/registry/snapshot.js';
import { decide } from '../../gateway/rules/decide.js';
import type { Decision, PassRequest } from '../../gateway/rules/types.js';
import { NOW, policy } from '../helpers/world.js';

/**
 * The checkpoint keeps per-subject state by the dense indices the registry snapshot links to
 * each credential (registry/dense-ids.ts). These tests hold the contract that makes that safe:
 * an id keeps its index across snapshot reloads, whatever was added or removed, and a replay
 * of the journal rebuilds state that decides exactly as the live state did.
 */

const H = 3600_000;
const closed = policy('closed');
const IN: LaneRef = {
  gate: { id: 'north', primary: true },
  lane: { id: 'ss-in', kind: 'pedestrian', direction: 'in' },
};
const OUT: LaneRef = {
  gate: { id: 'north', primary: true },
  lane: { id: 'ss-out', kind: 'pedestrian', direction: 'out' },
};
const CAR: LaneRef = {
  gate: { id: 'north', primary: true },
  lane: { id: 'ss-car', kind: 'vehicle', direction: 'in' },
};

const household = (id: string): Household => ({
  id,
  building: '9',
  unit: '1',
  room: id,
  designatedMemberIds: [],
});
const resident = (id: string, householdId: string): Person => ({ id, kind: 'resident', householdId });
const cardOf = (personId: string): Credential => ({
  id: `card-${personId}`,
  kind: 'card',
  value: `CARD${personId.toUpperCase()}`,
  holderId: personId,
});
const car: Vehicle = { id: 'ss-car-1', plate: '京Z11111', kind: 'resident', permit: {} };
const plate: Credential = { id: 'plate-ss-car-1', kind: 'plate', value: '京Z11111', holderId: car.id };

/** First registry: two households, three residents. */
const before = new RegistrySnapshot({
  households: [household('ss-h1'), household('ss-h2')],
  persons: [resident('ss-a', 'ss-h1'), resident('ss-b', 'ss-h2'), resident('ss-c', 'ss-h2')],
  credentials: ['ss-a', 'ss-b', 'ss-c'].map((id) => cardOf(id)),
});
/** The reloaded registry: ss-a moved out, new people listed first, and a car registered. */
const after = new RegistrySnapshot({
  households: [household('ss-h0'), household('ss-h2'), household('ss-h1')],
  persons: [
    resident('ss-new1', 'ss-h0'),
    resident('ss-new2', 'ss-h0'),
    resident('ss-c', 'ss-h2'),
    resident('ss-b', 'ss-h2'),
  ],
  credentials: [...['ss-new1', 'ss-new2', 'ss-c', 'ss-b'].map((id) => cardOf(id)), plate],
  vehicles: [car],
});

let seq = 0;
function entry<T extends JournalEntry['type']>(
  type: T,
  at: number,
  payload: JournalEntry<T>['payload'],
): JournalEntry<T> {
  seq += 1;
  return { seq, at, type, payload, hash: '', prevHash: '' };
}

function newState(): SiteState {
  return new SiteState({
    initialMode: 'closed',
    temperatureWindowMs: closed.temperatureWindowMs,
    escortWindowMs: closed.escortWindowMs,
    exitMemoryMs: 7 * 24 * H,
    codeMemoryMs: 600_000,
  });
}

/** What the checkpoint does for one pass: a reading, the decision, both into the journal. */
function pass(
  state: SiteState,
  registry: RegistrySnapshot,
  journal: JournalEntry[],
  ref: LaneRef,
  request: PassRequest,
): Decision {
  const reading = entry('reading', request.at - 1000, {
    gateId: ref.gate.id,
    laneId: ref.lane.id,
    reading: { at: request.at - 1000, celsius: 36.5, mask: true },
    source: 'test',
  });
  state.apply(reading);
  const decision = decide(closed, registry, state.contextFor(ref), request);
  const recorded = entry('decision', request.at, { gateId: ref.gate.id, request, decision });
  state.apply(recorded);
  journal.push(reading, recorded);
  return decision;
}

const card = (personId: string, at: number, laneId: string): PassRequest => ({
  at,
  laneId,
  shift: 'day',
  credential: { kind: 'card', value: `CARD${personId.toUpperCase()}` },
});
const denies = (d: Decision) => d.reasons.filter((r) => r.effect === 'deny').map((r) => r.code);

describe('DenseIds', () => {
  it('numbers ids densely from 0, keeps each index, and only indexOf gives one out', () => {
    const ids = new DenseIds();
    expect(ids.find('x')).toBeUndefined();
    expect(ids.size).toBe(0);
    expect([ids.indexOf('x'), ids.indexOf('y'), ids.indexOf('x'), ids.indexOf('z')]).toEqual([0, 1, 0, 2]);
    expect(ids.find('y')).toBe(1);
    expect(ids.size).toBe(3);
  });
});

describe('registry snapshot: dense indices', () => {
  it('links each credential to the index of its subject and household, the same in every snapshot', () => {
    const b1 = before.holder('card', 'CARDSS-B');
    const b2 = after.holder('card', 'CARDSS-B');
    expect(b1?.subjectIndex).toBe(SUBJECT_IDS.find('ss-b'));
    expect(b1?.householdIndex).toBe(HOUSEHOLD_IDS.find('ss-h2'));
    expect(b2?.subjectIndex).toBe(b1?.subjectIndex);
    expect(b2?.householdIndex).toBe(b1?.householdIndex);
    expect(after.holder('card', 'CARDSS-NEW1')?.subjectIndex).not.toBe(b1?.subjectIndex);
    expect(after.holder('plate', '京Z11111')).toMatchObject({
      subjectIndex: SUBJECT_IDS.find(car.id),
      householdIndex: -1,
    });
  });

  it('gives no index to a credential whose holder the registry does not know', () => {
    const orphan = new RegistrySnapshot({
      credentials: [{ id: 'o', kind: 'card', value: 'ORPHAN', holderId: 'ss-nobody' }],
    });
    expect(orphan.holder('card', 'ORPHAN')).toMatchObject({ subjectIndex: -1, householdIndex: -1 });
    expect(SUBJECT_IDS.find('ss-nobody')).toBeUndefined();
  });
});

describe('site state kept by index', () => {
  it('survives a snapshot reload in which persons were added, removed and reordered', () => {
    const state = newState();
    const journal: JournalEntry[] = [];
    // Under the first registry: ss-b enters; ss-c goes out for supplies (household ss-h2).
    expect(pass(state, before, journal, IN, card('ss-b', NOW, IN.lane.id)).allow).toBe(true);
    expect(pass(state, before, journal, OUT, card('ss-c', NOW + 1000, OUT.lane.id)).allow).toBe(true);

    // Under the reloaded one, ss-b may not enter again and ss-h2's quota is used up.
    const again = pass(state, after, journal, IN, card('ss-b', NOW + H, IN.lane.id));
    expect(denies(again)).toEqual(['ANTI_PASSBACK']);
    const secondExit = pass(state, after, journal, OUT, card('ss-b', NOW + H + 1000, OUT.lane.id));
    expect(denies(secondExit)).toEqual(['HOUSEHOLD_QUOTA_EXCEEDED']);
    // A newcomer listed first in the new registry inherits nothing.
    expect(pass(state, after, journal, IN, card('ss-new1', NOW + H + 2000, IN.lane.id)).allow).toBe(true);
  });

  it('answers by id exactly as by index (contexts built without a holder)', () => {
    const state = newState();
    pass(state, before, [], IN, card('ss-a', NOW, IN.lane.id));
    pass(state, before, [], OUT, card('ss-b', NOW + 1000, OUT.lane.id));
    const ctx = state.contextFor(IN);
    const a = before.holder('card', 'CARDSS-A');
    expect(ctx.lastDirection('ss-a')).toBe('in');
    expect(ctx.lastDirection('ss-a', a?.subjectIndex)).toBe('in');
    expect(ctx.lastDirection('ss-b')).toBe('out');
    expect(ctx.lastDirection('ss-never-seen')).toBeUndefined();
    expect(ctx.householdExits('ss-h2', NOW)).toBe(1);
    expect(ctx.householdExits('ss-h2', NOW, HOUSEHOLD_IDS.find('ss-h2'))).toBe(1);
    expect(ctx.householdExits('ss-h2', NOW + 1001)).toBe(0);
    expect(ctx.householdExits('ss-h1', NOW)).toBe(0);
    expect(ctx.householdExits('ss-h-never-seen', 0)).toBe(0);
  });

  it('applies state journaled for a subject before the registry knew it once a snapshot adds it', () => {
    const state = newState();
    state.apply(entry('passage', NOW, { subjectId: car.id, direction: 'in', laneId: CAR.lane.id }));
    const request: PassRequest = {
      at: NOW + H,
      laneId: CAR.lane.id,
      shift: 'day',
      credential: { kind: 'plate', value: plate.value },
    };
    expect(denies(decide(closed, after, state.contextFor(CAR), request))).toEqual(['ANTI_PASSBACK']);
  });

  it('keeps the newest pass as the direction when an older one arrives late (from a peer gateway)', () => {
    const state = newState();
    state.apply(entry('passage', NOW, { subjectId: car.id, direction: 'in', laneId: CAR.lane.id }));
    state.apply(
      entry('passage', NOW - H, {
        subjectId: car.id,
        direction: 'out',
        laneId: CAR.lane.id,
        origin: { gateway: 'b', seq: 7 },
      }),
    );
    const request: PassRequest = {
      at: NOW + H,
      laneId: CAR.lane.id,
      shift: 'day',
      credential: { kind: 'plate', value: plate.value },
    };
    expect(denies(decide(closed, after, state.contextFor(CAR), request))).toEqual(['ANTI_PASSBACK']);
  });

  it('rebuilt by replaying the journal, decides every request as the live state did', () => {
    const live = newState();
    const journal: JournalEntry[] = [];
    const people = ['ss-a', 'ss-b', 'ss-c'];
    let at = NOW;
    for (let k = 0; k < 60; k++) {
      const ref = k % 3 === 0 ? OUT : IN;
      at += 7 * 60_000;
      pass(live, k < 30 ? before : after, journal, ref, card(people[k % 3] as string, at, ref.lane.id));
    }
    const replayed = newState();
    for (const e of journal) replayed.apply(e);
    for (const registry of [before, after]) {
      for (const id of [...people, 'ss-new1']) {
        for (const ref of [IN, OUT]) {
          const probe = card(id, at + 60_000, ref.lane.id);
          expect(decide(closed, registry, replayed.contextFor(ref), probe)).toEqual(
            decide(closed, registry, live.contextFor(ref), probe),
          );
        }
      }
    }
    expect(replayed.outsideNow()).toEqual(live.outsideNow());
  });
});

describe('RecentTimes', () => {
  it('keeps every key inside the window however many there are, and forgets older ones', () => {
    const times = new RecentTimes(30_000);
    for (let i = 0; i < 10_000; i++) times.set(`k${i}`, NOW + i);
    expect(times.size).toBe(10_000);
    expect(times.get('k0')).toBe(NOW);
    // Far later, inserts sweep out what is older than the window (amortised, not on each insert).
    for (let i = 0; i < 30_000; i++) times.set(`late${i}`, NOW + H + i);
    expect(times.get('k9999')).toBeUndefined();
    expect(times.get('late29999')).toBe(NOW + H + 29_999);
    times.forgetOlderThanWindow(NOW + H + 50_000);
    expect(times.get('late19999')).toBeUndefined();
    expect(times.get('late20000')).toBe(NOW + H + 20_000);
  });

  it('answers "seen within the window" by the times, whether or not a sweep ran', () => {
    const times = new RecentTimes(30_000);
    times.set('k', NOW);
    expect(times.seenWithinWindow('k', NOW + 30_000)).toBe(true);
    expect(times.seenWithinWindow('k', NOW + 30_001)).toBe(false); // not swept yet, still too old
    expect(times.get('k')).toBe(NOW);
    expect(times.seenWithinWindow('other', NOW)).toBe(false);
  });
});

describe('replayed QR codes (REPLAYED_CODE)', () => {
  it('a live state (pruned by its timer) and one rebuilt from the journal (not pruned) agree on an old code', () => {
    const live = newState();
    const journal: JournalEntry[] = [];
    const withCode: PassRequest = {
      ...card('ss-new1', NOW, IN.lane.id),
      credential: { kind: 'card', value: 'CARDSS-NEW1', codeId: 'dyn-code-1' },
    };
    const decided = pass(live, after, journal, IN, withCode);
    expect(denies(decided)).toEqual([]);
    const replayed = newState();
    for (const e of journal) replayed.apply(e);
    const within = NOW + 5 * 60_000;
    const beyond = NOW + 11 * 60_000; // past the 10-minute code memory
    for (const state of [live, replayed])
      expect(state.contextFor(OUT).codeSeen('dyn-code-1', within)).toBe(true);
    live.prune(beyond);
    for (const state of [live, replayed])
      expect(state.contextFor(OUT).codeSeen('dyn-code-1', beyond)).toBe(false);
  });
});
